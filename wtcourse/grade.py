"""Grade submitted notebooks from the reports their check cells publish.

``python -m wtcourse grade PATH [PATH ...] --out grades.csv [--json grades.json]``

**This runs the submitted code** with your permissions. Grade untrusted
submissions inside a sandbox: a container or VM with no network and no
secrets (no SSH keys, tokens or cloud credentials) mounted.

Each PATH is a notebook or a folder searched recursively for ``*.ipynb``
(``.ipynb_checkpoints`` skipped). A copy of each notebook is executed in a
temporary folder, in a fresh ``python3`` kernel, with a per-cell timeout and
errors allowed (one wrong answer does not stop the rest); the kernel's
working directory is the folder of the matching ``solutions/`` notebook
(same file name) if there is one, else the temporary folder. The submitted
files are only read.

Every check cell publishes ``{"exercise", "status", "message"}``
(:mod:`wtcourse.checking`); the last report per exercise wins. Each
exercise is *correct*, *wrong* (with the check's message), *not attempted*,
or *not run* (no report: the notebook stopped before its check, or the check
cell was deleted). The exercise list comes from the notebook's metadata
``weights_traversal.exercises``, else from the matching solution notebook,
else from the reports seen. A notebook's status is ``ok``, ``ok (N cells
raised)``, ``ok (timeout in cell N of M, interrupted after T s)`` (a cell that
ran over the per-cell timeout is interrupted and grading goes on; after three
timeouts the notebook is abandoned: ``timeout in cell N of M``), ``kernel died in
cell N of M`` (cells counted from 1) or
``unreadable: ...``; the rest of the class is graded either way.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .checking import MIME_TYPE
from .execute import TIMEOUT_ENAME, kernel_env, make_client
from .generate import EXERCISE_RE, META_KEY, exercise_ids

#: A notebook whose cells time out this many times is abandoned (the kernel ignores interrupts).
MAX_TIMEOUTS = 3

__all__ = ["DESCRIPTION", "Result", "collect", "grade_notebook", "main"]

WARNING = ("NOTE: grading RUNS the submitted code with your permissions. Grade untrusted "
           "submissions in a sandbox (container or VM, no network, no secrets).")
DESCRIPTION = ("Grade submitted notebooks from their self-check reports.\n\n" + WARNING +
               "\n\nPATH is a notebook or a folder (searched recursively for *.ipynb). The "
               "submitted files are never modified.")
CORRECT, WRONG, NOT_ATTEMPTED, NOT_RUN = "correct", "wrong", "not attempted", "not run"
SYMBOL = {CORRECT: "✓", WRONG: "✗", NOT_ATTEMPTED: "·", NOT_RUN: "-"}


@dataclass
class Result:
    """The grade of one notebook."""

    file: str
    status: str = "ok"
    score: int = 0
    total: int = 0
    exercises: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str | None] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def collect(paths: list[Path]) -> list[Path]:
    """Notebooks named by `paths` (files, or folders searched recursively), sorted, unique."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found += [f for f in sorted(p.rglob("*.ipynb"))
                      if ".ipynb_checkpoints" not in f.parts and f.is_file()]
        else:
            found.append(p)
    seen: set[Path] = set()
    return [f for f in found if not (f.resolve() in seen or seen.add(f.resolve()))]


def _sort_key(ex: str) -> tuple:
    return tuple(int(n) if n.isdigit() else n for n in re.split(r"[.]", ex))


def reports(nb: Any) -> tuple[dict[str, str], dict[str, str | None]]:
    """The last status and message per exercise published in `nb`'s outputs."""
    status: dict[str, str] = {}
    message: dict[str, str | None] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {}) if output.get("output_type") in (
                "display_data", "execute_result") else {}
            rep = data.get(MIME_TYPE)
            if isinstance(rep, str):
                try:
                    rep = json.loads(rep)
                except ValueError:
                    continue
            if isinstance(rep, dict) and "exercise" in rep:
                ex = str(rep["exercise"])
                status[ex] = str(rep.get("status"))
                message[ex] = rep.get("message")
    return status, message


def _solution_exercises(solution: Path) -> list[str]:
    try:
        return exercise_ids(nbformat.read(solution, as_version=4)) if solution.is_file() else []
    except Exception:
        return []


def grade_notebook(path: Path, solutions: Path, timeout: float) -> Result:
    """Execute a copy of the notebook at `path` and grade it (never raises for bad input)."""
    result = Result(file=str(path))
    solution = solutions / path.name
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    except Exception as exc:
        detail = ("not valid JSON" if type(exc).__name__ == "NotJSONError" else
                  f"{type(exc).__name__}: {(str(exc) or '?').splitlines()[0][:120]}")
        result.status = f"unreadable: {detail}"
        result.exercises = {ex: NOT_RUN for ex in _solution_exercises(solution)}
        result.total = len(result.exercises)
        return result
    expected = [str(e) for e in nb.metadata.get(META_KEY, {}).get("exercises", [])]
    expected = expected or _solution_exercises(solution)
    with tempfile.TemporaryDirectory(prefix="wt-grade-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        cwd = solution.resolve().parent if solution.is_file() else Path(tmp)
        for cell in nb.cells:  # stored outputs must not count as reports
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        client, tracker = make_client(nb, cwd, timeout, allow_errors=True, interrupt_on_timeout=True)
        timed_out: list[int] = []

        def on_executed(cell=None, cell_index=None, execute_reply=None, **_):
            content = (execute_reply or {}).get("content", {})
            if content.get("ename") == TIMEOUT_ENAME:
                timed_out.append(cell_index)
                if len(timed_out) >= MAX_TIMEOUTS:   # a hang the interrupt cannot stop
                    raise CellTimeoutError(f"{MAX_TIMEOUTS} cells timed out")

        client.on_cell_executed = on_executed
        where = lambda: (f"cell {tracker.index + 1} of {len(nb.cells)}"
                         if tracker.index is not None else "kernel start-up")
        try:
            client.execute(env=kernel_env())
        except CellTimeoutError:
            result.status = f"timeout in {where()} (over {timeout:g} s)"
        except DeadKernelError:
            result.status = f"kernel died in {where()}"
        except Exception as exc:
            result.status = f"error in {where()}: {type(exc).__name__}: {exc}"[:300]
    result.errors = [f"cell {i + 1}: {o.get('ename')}: {o.get('evalue')}"
                     for i, c in enumerate(nb.cells) for o in c.get("outputs", [])
                     if o.get("output_type") == "error"]
    if result.status == "ok" and timed_out:
        cells = ", ".join(str(i + 1) for i in timed_out)
        result.status = (f"ok (timeout in cell{'s' if len(timed_out) > 1 else ''} {cells} of {len(nb.cells)}, "
                         f"interrupted after {timeout:g} s)")
    elif result.status == "ok" and result.errors:
        n = len(result.errors)
        result.status = f"ok ({n} cell{'s' if n > 1 else ''} raised)"
    status, message = reports(nb)
    for index in timed_out:        # a check that never finished: that exercise is wrong
        ex = _exercise_of_cell(nb, index)
        if ex is not None and ex not in status:
            status[ex] = WRONG
            message[ex] = (f"cell {index + 1} did not finish within {timeout:g} s and was interrupted "
                           "(an infinite loop, or far too slow?)")
    exercises = expected or sorted(status, key=_sort_key)
    exercises += sorted((e for e in status if e not in exercises), key=_sort_key)
    result.exercises = {ex: status.get(ex, NOT_RUN) for ex in exercises}
    result.messages = {ex: message.get(ex) for ex in exercises}
    result.total = len(expected or exercises)
    result.score = sum(result.exercises.get(ex) == CORRECT for ex in (expected or exercises))
    return result


def _exercise_of_cell(nb: Any, index: int) -> str | None:
    """The exercise whose ``### Exercise N.k`` heading last precedes cell ``index``."""
    for cell in reversed(nb.cells[:index]):
        if cell.cell_type == "markdown":
            found = list(EXERCISE_RE.finditer(cell.source))
            if found:
                return found[-1].group("id")
    return None


def write_csv(results: list[Result], path: Path) -> None:
    """One row per notebook: file, status, score, total, one column per exercise."""
    columns = sorted({ex for r in results for ex in r.exercises}, key=_sort_key)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "status", "score", "total"] + [f"exercise {c}" for c in columns])
        for r in results:
            writer.writerow([r.file, r.status, r.score, r.total]
                            + [r.exercises.get(c, "") for c in columns])


def summary(results: list[Result]) -> str:
    """A plain-text table: one line per notebook, one symbol per exercise."""
    columns = sorted({ex for r in results for ex in r.exercises}, key=_sort_key)
    width = max([len("file")] + [len(r.file) for r in results])
    lines = [f"{'file':<{width}}  {'score':>5}  " + " ".join(f"{c:>4}" for c in columns) + "  status"]
    for r in results:
        marks = " ".join(f"{SYMBOL.get(r.exercises.get(c, ''), ' '):>4}" for c in columns)
        lines.append(f"{r.file:<{width}}  {f'{r.score}/{r.total}':>5}  {marks}  {r.status}")
    lines.append("✓ correct  ✗ wrong  · not attempted  - not run (no check report)")
    return "\n".join(lines)


def add_arguments(parser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                        help="a submitted notebook or a folder of them")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"),
                        help="CSV file to write (default: grades.csv)")
    parser.add_argument("--json", type=Path, default=None, help="also write full details as JSON")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per cell (default: 60)")
    parser.add_argument("--solutions", type=Path, default=Path("solutions"),
                        help="folder of solution notebooks, matched by file name (default: solutions)")


def run(args) -> int:
    print(WARNING, flush=True)
    files = collect(args.paths)
    if not files:
        print("no notebooks found in " + ", ".join(map(str, args.paths)), file=sys.stderr)
        return 1
    results = []
    for i, path in enumerate(files, 1):
        print(f"[{i}/{len(files)}] grading {path}", flush=True)
        results.append(grade_notebook(path, args.solutions, args.timeout))
    write_csv(results, args.out)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1, ensure_ascii=False)
                             + "\n", encoding="utf-8")
    print(summary(results))
    print(f"wrote {args.out}" + (f" and {args.json}" if args.json else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    import argparse
    parser = argparse.ArgumentParser(prog="python -m wtcourse grade", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run(parser.parse_args(argv))
