"""Generate ``lessons/NN-topic.ipynb`` from ``solutions/NN-topic.ipynb``.

The solution notebook is the single source of truth; the lesson is derived
from it and is never edited by hand (``python -m wtcourse lessons``).

Placeholder rules
-----------------
An answer is either a region of a code cell between a line ``### BEGIN
SOLUTION`` and a line ``### END SOLUTION``, or a whole code cell tagged
``solution`` (cell metadata ``tags``). Each answer is replaced by a
placeholder that still runs, so "Run All" goes to the end:

1. An **indented** region (inside a function body; by convention the region
   is the end of the body) becomes ``<indent>return ...  # YOUR CODE HERE``
   when the region contains a ``return`` at its own level. Without a
   ``return`` it follows rule 2 at the region's indentation.
2. A **top-level** region (and a whole-cell answer) becomes one line
   ``name = ...  # YOUR CODE HERE`` per name it assigns at module level
   (found with :mod:`ast`: assignments, annotated and augmented assignments,
   ``for``/``with`` targets, also inside ``if``/``for``/``with``/``try``
   blocks; in order of first appearance). A top-level ``def`` keeps its
   decorators, signature and docstring and gets the body
   ``return ...  # YOUR CODE HERE``; a ``class`` becomes ``Name = ...``.
   A region that assigns nothing becomes ``# YOUR CODE HERE``.

Everything else is copied: cell ids are the solution's (stable, small
diffs); outputs and execution counts are cleared; cell metadata loses
execution timing (``execution``, ``ExecuteTime``) and notebook metadata
keeps only ``kernelspec``, ``language_info`` and ``weights_traversal``:
``{"lesson": "01-loss-hypersurfaces", "exercises": ["1.1", ...],
"generated_hash": "<sha256 of the cell types and sources>"}``. Exercise ids
come from markdown headings ``### Exercise 1.2 — Title``.

Never destroying a learner's work
---------------------------------
An existing lesson is overwritten only if it has no outputs or execution
counts and its cells equal either the new content or the content recorded
by ``generated_hash`` (i.e. it is exactly what the generator wrote last
time). Otherwise the command stops with a non-zero exit naming the file;
``--force`` first copies it to ``lessons/X.ipynb.bak-YYYYmmdd-HHMMSS``.
Files in ``lessons/`` without a matching solution are left alone.
``--check`` writes nothing and exits non-zero if any lesson is missing or
differs from what would be generated.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import os
import re
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from . import paths
from .contract import (
    BEGIN_RE,
    END_RE,
    EXERCISE_RE,
    META_KEY,
    PLACEHOLDER,
    SOLUTION_TAG,
    TIMING_KEYS,
    exercise_ids,
)

__all__ = [
    "EXERCISE_RE",
    "GenerationError",
    "META_KEY",
    "add_arguments",
    "atomic_write",
    "exercise_ids",
    "generate",
    "generated_hash",
    "make_lesson",
    "notebook_text",
    "run",
    "strip_solutions",
]

KEPT_NOTEBOOK_META = ("kernelspec", "language_info", META_KEY)


class GenerationError(ValueError):
    """A solution notebook cannot be turned into a lesson (bad markers, syntax)."""


# --------------------------------------------------------------------------
# placeholders
# --------------------------------------------------------------------------


def _assigned_names(tree: ast.Module) -> list[str]:
    """Names a module-level block binds, in order of first appearance."""
    names: list[str] = []

    def add_target(target: ast.AST) -> None:
        if isinstance(target, ast.Name):
            if target.id not in names:
                names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                add_target(elt)
        elif isinstance(target, ast.Starred):
            add_target(target.value)

    def visit(body: Iterable[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    add_target(t)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                add_target(node.target)
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                add_target(node.target)
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        add_target(item.optional_vars)
                visit(node.body)
            elif isinstance(node, (ast.If, ast.While)):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for h in node.handlers:
                    visit(h.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, ast.ClassDef) and node.name not in names:
                names.append(node.name)

    visit(tree.body)
    return names


def _function_stub(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> list[str]:
    """Decorators, signature and docstring of `node`, then ``return ...``."""
    first = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
    body0 = node.body[0]
    has_doc = (
        isinstance(body0, ast.Expr)
        and isinstance(body0.value, ast.Constant)
        and isinstance(body0.value.value, str)
    )
    last = body0.end_lineno if has_doc else body0.lineno - 1
    head = lines[first:last]
    if not has_doc and body0.lineno == node.lineno:  # one-line `def f(): return x`
        head = [lines[node.lineno - 1][: body0.col_offset].rstrip()]
    indent = " " * (body0.col_offset if body0.lineno != node.lineno else node.col_offset + 4)
    return head + [f"{indent}return {PLACEHOLDER}"]


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(_ipython_to_python(code))
    except SyntaxError:
        return None


def _ipython_to_python(code: str) -> str:
    """Turn IPython syntax (``%magic``, ``!cmd``) into Python so :mod:`ast` can parse it."""
    if not re.search(r"^\s*[%!]|\?\s*$", code, re.MULTILINE):
        return code
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(code)


def placeholder_lines(region: list[str], indent: str = "") -> list[str]:
    """Placeholder lines for the answer `region` (see the module docstring).

    Examples
    --------
    >>> placeholder_lines(["    R = y - W @ X.T", "    return (R**2).sum(1)"], "    ")
    ['    return ...  # YOUR CODE HERE']
    >>> placeholder_lines(["W, b = 1, 2", "lr: float = 0.1"])
    ['W = ...  # YOUR CODE HERE', 'b = ...  # YOUR CODE HERE', 'lr = ...  # YOUR CODE HERE']
    >>> placeholder_lines(["print('hi')"])
    ['# YOUR CODE HERE']
    """
    code = textwrap.dedent("\n".join(region))
    tree = _parse(code)
    if tree is None:
        raise GenerationError("the answer region is not valid Python on its own:\n" + code)
    if indent and _returns(tree.body):
        return [f"{indent}return {PLACEHOLDER}"]
    lines = code.splitlines()
    out: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out += [indent + ln if ln.strip() else ln for ln in _function_stub(node, lines)]
    names = _assigned_names(tree)
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    out += [f"{indent}{name} = {PLACEHOLDER}" for name in names if name not in defined]
    if not out:  # a bare comment would leave an indented block empty
        out = [f"{indent}{PLACEHOLDER}" if indent else "# YOUR CODE HERE"]
    return out


def _returns(body: list[ast.stmt]) -> bool:
    """True if `body` has a ``return`` outside nested functions and classes."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return False


def strip_solutions(source: str, whole_cell: bool = False) -> str:
    """Replace every answer region in a code cell's `source` by its placeholder.

    Examples
    --------
    >>> src = '''def f(x):
    ...     \"\"\"Double x.\"\"\"
    ...     ### BEGIN SOLUTION
    ...     return 2 * x
    ...     ### END SOLUTION'''
    >>> print(strip_solutions(src))
    def f(x):
        \"\"\"Double x.\"\"\"
        return ...  # YOUR CODE HERE
    """
    lines = source.splitlines()
    end = "\n" if source.endswith("\n") else ""
    if whole_cell:
        return "\n".join(placeholder_lines(lines)) + end
    if not any(BEGIN_RE.match(ln) or END_RE.match(ln) for ln in lines):
        return source
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = BEGIN_RE.match(lines[i])
        if END_RE.match(lines[i]):
            raise GenerationError(f"line {i + 1}: END SOLUTION without BEGIN SOLUTION")
        if not m:
            out.append(lines[i])
            i += 1
            continue
        start = i
        i += 1
        region: list[str] = []
        while i < len(lines) and not END_RE.match(lines[i]):
            if BEGIN_RE.match(lines[i]):
                raise GenerationError(f"line {i + 1}: nested BEGIN SOLUTION")
            region.append(lines[i])
            i += 1
        if i == len(lines):
            raise GenerationError(f"line {start + 1}: BEGIN SOLUTION without END SOLUTION")
        i += 1  # skip END
        out += placeholder_lines(region, m.group("indent"))
    return "\n".join(out) + end


# --------------------------------------------------------------------------
# notebooks
# --------------------------------------------------------------------------


def generated_hash(nb: Any) -> str:
    """SHA-256 of the cells' types and sources (what the learner edits)."""
    payload = json.dumps([[c.cell_type, c.source] for c in nb.cells], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _is_whole_cell_answer(cell: Any) -> bool:
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def _clean(nb: Any) -> Any:
    """Clear outputs, execution counts, timing and foreign notebook metadata (in place).

    nbconvert's own preprocessors do the clearing: :class:`ClearOutputPreprocessor`
    (outputs, counts) and :class:`ClearMetadataPreprocessor` (notebook metadata other
    than ``kernelspec``, ``language_info`` and ours; cell timing keys).
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor, ClearOutputPreprocessor

    ClearOutputPreprocessor().preprocess(nb, {})
    ClearMetadataPreprocessor(
        clear_cell_metadata=False,
        clear_notebook_metadata=True,
        preserve_nb_metadata_mask=set(KEPT_NOTEBOOK_META),
    ).preprocess(nb, {})
    for cell in nb.cells:  # ClearMetadataPreprocessor keeps or drops cell metadata whole
        for key in TIMING_KEYS:
            cell.metadata.pop(key, None)
    return nb


def make_lesson(solution: Any, name: str) -> Any:
    """Return the lesson notebook generated from the `solution` notebook (not modified)."""
    nb = _clean(copy.deepcopy(solution))
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            new = strip_solutions(cell.source, whole_cell=_is_whole_cell_answer(cell))
        except GenerationError as exc:
            raise GenerationError(f"{name}: cell {index} (id {cell.get('id')}): {exc}") from None
        if new != cell.source and _parse(cell.source) is not None and _parse(new) is None:
            raise GenerationError(
                f"{name}: cell {index} (id {cell.get('id')}): "
                f"the placeholder code does not parse:\n{new}"
            )
        cell.source = new
    nb.metadata[META_KEY] = nbformat.NotebookNode(
        {"lesson": name, "exercises": exercise_ids(solution), "generated_hash": generated_hash(nb)}
    )
    return nb


def notebook_text(nb: Any) -> str:
    """Serialize `nb` exactly as it is stored in git (nbformat's layout, final newline)."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _has_run(nb: Any) -> bool:
    return any(
        c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
        for c in nb.cells
    )


@dataclass
class Verdict:
    """What to do with one lesson file."""

    action: str  # "create", "unchanged", "update", "refuse"
    reason: str = ""


def judge(path: Path, new: Any, new_text: str) -> Verdict:
    """Decide whether the lesson at `path` may be replaced by `new` (see the module docstring)."""
    if not path.exists():
        return Verdict("create")
    old_text = path.read_text(encoding="utf-8")
    if old_text == new_text:
        return Verdict("unchanged")
    try:
        old = nbformat.reads(old_text, as_version=4)
    except Exception as exc:
        return Verdict("refuse", f"it is not a readable notebook ({exc})")
    if _has_run(old):
        return Verdict("refuse", "it has outputs or execution counts (someone ran it)")
    old_hash = generated_hash(old)
    recorded = old.metadata.get(META_KEY, {}).get("generated_hash")
    if old_hash in (new.metadata[META_KEY]["generated_hash"], recorded):
        return Verdict("update")
    return Verdict("refuse", "its cells differ from what the generator wrote (someone edited it)")


def backup(path: Path) -> Path:
    """Copy `path` to ``path.bak-YYYYmmdd-HHMMSS`` (a new name; never overwrites)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.bak-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.bak-{stamp}-{n}")
        n += 1
    data = path.read_bytes()
    with open(target, "xb") as fh:
        fh.write(data)
    return target


def shown(path: Path) -> str:
    """`path` relative to the current folder when it lies inside it (shorter messages)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def generate(
    solutions: Path, lessons: Path, force: bool = False, check: bool = False, out=None, err=None
) -> int:
    """Generate every lesson; return the exit status (0 ok, 1 refused/differs, 2 errors)."""
    out, err = out or sys.stdout, err or sys.stderr
    files = sorted(solutions.glob("*.ipynb"))
    if not files:
        print(f"no solution notebooks in {shown(solutions)}/", file=err)
        return 1
    plans = []
    status = 0
    for sol in files:
        try:
            nb = nbformat.read(sol, as_version=4)
            lesson = make_lesson(nb, sol.stem)
        except Exception as exc:
            print(f"error: {shown(sol)}: {exc}", file=err)
            status = 2
            continue
        target = lessons / sol.name
        text = notebook_text(lesson)
        plans.append((target, lesson, text, judge(target, lesson, text)))
    if check:
        stale = [t for t, _, _, v in plans if v.action != "unchanged"]
        for t in stale:
            print(f"out of date: {shown(t)} (run `python -m wtcourse lessons`)", file=err)
        if not stale and status == 0:
            print(f"{len(plans)} lessons up to date", file=out)
        return max(status, 1 if stale else 0)
    refused = [(t, v) for t, _, _, v in plans if v.action == "refuse"]
    if refused and not force:
        for t, v in refused:
            print(f"refusing to overwrite {shown(t)}: {v.reason}.", file=err)
        print(
            "Nothing was written. Save your own work under another name, or re-run with "
            "`python -m wtcourse lessons --force`, which first copies each of these files "
            "to <file>.bak-YYYYmmdd-HHMMSS.",
            file=err,
        )
        return 1
    lessons.mkdir(parents=True, exist_ok=True)
    for target, _, text, verdict in plans:
        if verdict.action == "unchanged":
            continue
        if verdict.action == "refuse":
            saved = backup(target)
            print(f"backed up {shown(target)} to {shown(saved)}", file=out)
        atomic_write(target, text)
        print(f"{'wrote' if verdict.action == 'create' else 'updated'} {shown(target)}", file=out)
    return status


def add_arguments(parser) -> None:
    """Options of ``python -m wtcourse lessons``."""
    parser.add_argument(
        "--solutions",
        type=Path,
        default=None,
        help="folder of solution notebooks (default: ROOT/solutions)",
    )
    parser.add_argument(
        "--lessons",
        type=Path,
        default=None,
        help="folder of generated lessons (default: ROOT/lessons)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite edited or executed lessons after backing each one up "
        "to <file>.bak-YYYYmmdd-HHMMSS",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if any lesson is missing or out of date",
    )


def run(args) -> int:
    """Generate the lessons of the course at ``args.root`` (see :mod:`wtcourse.__main__`)."""
    root = paths.course_root(getattr(args, "root", None))
    solutions = args.solutions or paths.solutions_dir(root)
    lessons = args.lessons or paths.lessons_dir(root)
    return generate(solutions, lessons, force=args.force, check=args.check)
