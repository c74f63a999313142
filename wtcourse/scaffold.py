"""``python -m wtcourse lesson NN "Title"`` (``make lesson NN=06 TITLE="..."``): a new lesson.

Writes two files, and refuses to overwrite anything:

* ``ROOT/solutions/NN-topic.ipynb`` -- the title cell in the contract's format
  (:func:`wtcourse.contract.parse_title_cell`), the setup cell, one section, a worked
  exercise set (a value exercise and a multiple-choice exercise, each with its statement,
  answer region and check cell), ``## Summary``, ``## Key points`` and the progress cell
  ``check.progress()``. Cell ids follow the house convention ``cNN-name``.
* ``ROOT/wtcourse/checks/lNN.py`` -- their checks in the probe/judge API of
  :mod:`wtcourse.checking`: one value check (``expect_close`` against gridlib's reference)
  and one multiple-choice check (``expect_choice`` with the hashed key from
  :func:`wtcourse.checking.choice_key` and an explanation for every letter).

Both checks pass on the scaffolded answers, so ``make map solutions lessons test`` passes
right after scaffolding; then replace the example content with the lesson's own.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

from . import paths
from .contract import TAG_CHECK_OUTPUT, cell_id, parse_title_cell, timing_line

__all__ = ["add_arguments", "checks_source", "lesson_notebook", "run", "scaffold", "slugify"]

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def slugify(title: str, max_words: int = 6) -> str:
    """The kebab-case topic of a file name.

    Examples
    --------
    >>> slugify("Momentum on the batch bowl!")
    'momentum-on-the-batch-bowl'
    """
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    if not words:
        raise ValueError(f"the title {title!r} has no letters or digits to name the file after")
    return "-".join(words[:max_words])


def _number(text: str | int) -> int:
    try:
        n = int(str(text), 10)
    except ValueError:
        raise ValueError(f"the lesson number must be 0-99, like 06; got {text!r}") from None
    if not 0 <= n <= 99:
        raise ValueError(f"the lesson number must be 0-99, like 06; got {text!r}")
    return n


def _title(title: str) -> str:
    title = " ".join(str(title).split())
    if not title:
        raise ValueError('the title must not be empty (make lesson NN=06 TITLE="...")')
    return title


def _markdown(cid: str, text: str) -> dict:
    return {"cell_type": "markdown", "id": cid, "metadata": {}, "source": text}


def _code(cid: str, text: str, tags: tuple[str, ...] = ()) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cid,
        "metadata": {"tags": list(tags)} if tags else {},
        "outputs": [],
        "source": text,
    }


def lesson_notebook(number: int, title: str) -> dict:
    """The solution notebook of a new lesson, as nbformat-4 JSON (a dict)."""
    nn, n = f"{number:02d}", str(number)

    def cid(name: str) -> str:
        return cell_id(number, name)

    cells = [
        _markdown(
            cid("title"),
            f"# {nn} · {title}\n\n{timing_line(15, 10, 30)}\n\n"
            "**Questions**\n"
            "- Where is the lowest loss on the post's grid, and what kind of point is it?\n\n"
            "**Objectives**\n"
            "- Evaluate the post's batch loss on its grid with `gridlib` and read off its "
            "smallest value.\n"
            "- Distinguish the grid argmin from the exact minimum and the generating parameters.",
        ),
        _code(
            cid("setup"),
            "import numpy as np\n\n"
            "import gridlib\n"
            "from gridlib import plotting\n"
            f"from wtcourse.checks import l{nn} as check\n\n"
            "plotting.setup_notebook()  # figures as plotly JSON, drawn offline by JupyterLab\n"
            "rng = np.random.default_rng(0)",
        ),
        _markdown(
            cid("grid-md"),
            "## The loss on the post's grid\n\n"
            "The batch loss $L(w; X, y) = \\sum_i (y_i - x_i^\\top w)^2$ evaluated at every point "
            "of the post's $101 \\times 501$ grid, in one call:",
        ),
        _code(
            cid("grid"),
            "ex = gridlib.post_example()\n"
            "loss = gridlib.LeastSquares(ex.X_batch, ex.y_batch)\n"
            "values = gridlib.evaluate(loss, ex.grid)\n"
            'print("values:", values.shape)',
            (TAG_CHECK_OUTPUT,),
        ),
        _markdown(
            cid("ex1-md"),
            f"### Exercise {n}.1 — The smallest loss on the grid\n\n"
            "Set `best_loss` to the smallest value in `values` (a float).",
        ),
        _code(
            cid("ex1-answer"),
            "### BEGIN SOLUTION\nbest_loss = float(values.min())\n### END SOLUTION",
        ),
        _code(cid("ex1-check"), f"check.e{n}_1(best_loss)"),
        _markdown(
            cid("ex2-md"),
            f"### Exercise {n}.2 — Which point is it?\n\n"
            "`gridlib.best_point(ex.grid, values)` returns\n\n"
            "- (a) the exact least-squares minimum of the batch loss;\n"
            "- (b) the grid point with the smallest loss;\n"
            "- (c) the parameters that generated the data.\n\n"
            'Set `answer` to a letter, e.g. `answer = "a"`.',
        ),
        _code(cid("ex2-answer"), '### BEGIN SOLUTION\nanswer = "b"\n### END SOLUTION'),
        _code(cid("ex2-check"), f"check.e{n}_2(answer)"),
        _markdown(
            cid("summary"),
            "## Summary\n\n"
            "`gridlib.evaluate` fills the whole grid in one call; the grid's best point is the "
            "smallest of the values it computed, which is neither the exact minimum nor the "
            "generating parameters.\n\n"
            "## Key points\n\n"
            "- `gridlib.evaluate(loss, grid)` returns the loss at every grid point, shaped like "
            "the grid.\n"
            "- The grid argmin is a grid point: the exact minimum lies between grid points, and "
            "the generating parameters differ from both.",
        ),
        _code(cid("progress"), "check.progress()"),
    ]
    return {
        "cells": cells,
        "metadata": {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def checks_source(number: int, title: str) -> str:
    """The check module ``lNN.py`` of a new lesson (probe/judge API, hashed choice key)."""
    from .checking import choice_key

    n = str(number)
    key = choice_key(f"{n}.2", "b")
    title = title.replace("\\", "/").replace('"', "'")  # safe inside the docstring
    return f'''"""Self-checks for lesson {number:02d} · {title} (``check.e{n}_1(...)``, ``check.e{n}_2(...)``).

Every reference is computed with gridlib when the check runs.
"""

from __future__ import annotations

import gridlib
from wtcourse import checking
from wtcourse.checking import Exercise, expect_choice, expect_close

__all__ = ["e{n}_1", "e{n}_2", "progress"]

e{n}_1 = Exercise("{n}.1", "the smallest loss on the post's grid")


@e{n}_1.judge
def _(best_loss):
    ex = gridlib.post_example()
    expected = gridlib.evaluate(gridlib.LeastSquares(ex.X_batch, ex.y_batch), ex.grid).min()
    expect_close(
        best_loss,
        expected,
        "best_loss",
        rtol=1e-9,
        hint="the smallest entry of `values` (`values.min()`), not its position",
    )
    return "the grid's smallest value; lesson 01 shows why it is not the exact minimum."


#: choice_key("{n}.2", letter) of the right letter, from `python -m wtcourse key {n}.2 LETTER`.
KEY_{n}_2 = "{key}"
CHOICES_{n}_2 = {{
    "a": "No: the exact minimum lies between grid points; gridlib.LeastSquares(...).minimizer "
    "gives it.",
    "b": "Yes: best_point is the grid point whose value is the smallest of those computed.",
    "c": "No: the generating parameters are not a minimum of any loss here; the noise moves "
    "the minimum away from them.",
}}

e{n}_2 = Exercise("{n}.2", "which point best_point returns")


@e{n}_2.judge
def _(answer):
    return expect_choice(answer, KEY_{n}_2, CHOICES_{n}_2)


def progress():
    """This lesson's exercises: correct / wrong / not attempted / not run (this session)."""
    return checking.progress(__name__)
'''


def scaffold(root: Path, number: int | str, title: str, out=None) -> list[Path]:
    """Write the new lesson's solution notebook and check module; return their paths."""
    out = out or sys.stdout
    n, title = _number(number), _title(title)
    nn = f"{n:02d}"
    solution = paths.solutions_dir(root) / f"{nn}-{slugify(title)}.ipynb"
    checks = paths.checks_dir(root) / f"l{nn}.py"
    if not paths.checks_dir(root).is_dir():
        raise FileNotFoundError(
            f"{paths.checks_dir(root)} does not exist: scaffolding needs the course's source "
            "folder (a clone of the course repository)"
        )
    taken = [
        p
        for folder in (paths.solutions_dir(root), paths.lessons_dir(root))
        for p in sorted(folder.glob(f"{nn}-*.ipynb"))
    ]
    taken += [checks] if checks.exists() else []
    if taken:
        raise FileExistsError(
            f"lesson {nn} already exists ({', '.join(str(p) for p in taken)}); nothing was "
            "written. Pick another number."
        )
    nb = lesson_notebook(n, title)
    parse_title_cell(nb["cells"][0]["source"], solution.stem)  # the template obeys the contract
    text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    with open(solution, "x", encoding="utf-8") as fh:  # "x": never overwrite
        fh.write(text)
    try:
        with open(checks, "x", encoding="utf-8") as fh:
            fh.write(checks_source(n, title))
    except BaseException:
        solution.unlink()
        raise
    from .generate import shown

    print(f"wrote {shown(solution)}\nwrote {shown(checks)}", file=out)
    return [solution, checks]


def add_arguments(parser) -> None:
    """Arguments of ``python -m wtcourse lesson``."""
    parser.add_argument("number", help="the lesson number, 0-99 (06)")
    parser.add_argument("title", help='the lesson title ("Momentum on the batch bowl")')


def run(args) -> int:
    """Scaffold the lesson in the course at ``args.root``; print what to do next."""
    root = paths.course_root(getattr(args, "root", None))
    try:
        scaffold(root, args.number, args.title)
    except (ValueError, FileExistsError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        "Next: write the lesson in the solution notebook and its checks, then\n"
        "    make map solutions lessons test\n"
        "(`make map` adds the lesson to the README table, lesson 00's map and the "
        "previous/next links)."
    )
    return 0
