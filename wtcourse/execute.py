"""Execute solution notebooks in a fresh kernel and store them by the storage rules.

``python -m wtcourse solutions [FILE ...]`` runs each notebook (default: every
``ROOT/solutions/*.ipynb``) top to bottom in a new ``python3`` kernel whose working
directory is the notebook's folder, with a per-cell timeout (``--timeout``, a
positive number of seconds, rounded up to a whole second: nbclient counts whole
seconds). The kernel imports the installed ``gridlib`` and
``wtcourse``; when the course root is itself a source checkout (it holds a
``wtcourse/`` package), that folder comes first on the kernel's ``PYTHONPATH``, so a
course copy runs its own check modules. The notebook is then written back
atomically (temporary file + rename) with:

* outputs and execution counts kept;
* no widget state (``store_widget_state=False``) and no timing metadata;
* consecutive stream outputs merged (how printing is split into messages is timing);
* figure JSON floats rounded to :data:`~wtcourse.contract.FIGURE_DIGITS` significant
  digits (also inside plotly's base64 ``bdata`` arrays), and widget-view model ids
  replaced by ids derived from the cell id;
* measurements kept: a cell tagged :data:`~wtcourse.contract.TAG_MEASURED` (a timing)
  keeps its stored output when that output was stored by this command from the same
  source and this run's output has the same shape (the same kinds of output, the same
  number of lines each: what a measurement prints, and the words it derives from its
  numbers, may differ); otherwise (or with ``--remeasure``) this run's output is stored. Every cell still runs.

so that running the same notebook twice stores the same bytes.

A cell that raises (or times out, or kills the kernel) fails the command, naming
the notebook and the cell, and leaves the file untouched. A stored notebook larger
than the size budget (2.5 MB) is written but reported, and the exit status is
non-zero.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import math
import os
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from . import paths
from .contract import (
    FIGURE_DIGITS,
    META_KEY,
    PLOTLY_MIME,
    TAG_MEASURED,
    TIMING_KEYS,
    WIDGET_MIME,
)
from .generate import atomic_write, notebook_text

__all__ = [
    "SIZE_BUDGET",
    "TIMEOUT_ENAME",
    "add_arguments",
    "clean_for_storage",
    "execute_notebook",
    "kernel_env",
    "keep_measurements",
    "make_client",
    "positive_seconds",
    "round_figure",
    "run",
]

SIZE_BUDGET = 2_500_000  # bytes
KERNEL = "python3"
TIMEOUT_ENAME = "CellTimeout"


def positive_seconds(text: str) -> float:
    """argparse type: a finite number of seconds > 0 (``--timeout 2.5``).

    Examples
    --------
    >>> positive_seconds("2.5")
    2.5
    >>> positive_seconds("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a positive number of seconds, got '0'
    """
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def kernel_env(root: Path | None = None) -> dict[str, str]:
    """Environment for a kernel: ours, plus `root` first on PYTHONPATH if it holds ``wtcourse/``.

    Without a source checkout the kernel imports the installed packages, as a learner's does.
    """
    env = dict(os.environ)
    if root is not None and (Path(root) / "wtcourse" / "__init__.py").is_file():
        parts = [str(Path(root).resolve())]
        parts += [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join(parts)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def _round(x: float, digits: int) -> float:
    return float(f"{x:.{digits - 1}e}") if math.isfinite(x) else x


def _round_bdata(node: dict[str, Any], digits: int) -> dict[str, Any]:
    """Round a plotly typed array ``{"dtype": "f8", "bdata": base64, "shape": ...}``."""
    import numpy as np

    dtype = np.dtype(node["dtype"])
    if dtype.kind != "f":
        return node
    values = np.frombuffer(base64.b64decode(node["bdata"]), dtype=dtype)
    rounded = np.array([_round(float(v), digits) for v in values], dtype=dtype)
    return {**node, "bdata": base64.b64encode(rounded.tobytes()).decode("ascii")}


def round_figure(value: Any, digits: int = FIGURE_DIGITS) -> Any:
    """A copy of figure JSON `value` with every float rounded to `digits` significant digits.

    Examples
    --------
    >>> round_figure({"x": [0.1 + 0.2, 1, "a"], "y": 2 / 3})
    {'x': [0.3, 1, 'a'], 'y': 0.666667}
    """
    if isinstance(value, float):
        return _round(value, digits)
    if isinstance(value, list):
        return [round_figure(v, digits) for v in value]
    if isinstance(value, dict):
        if isinstance(value.get("bdata"), str) and isinstance(value.get("dtype"), str):
            return _round_bdata(value, digits)
        return {k: round_figure(v, digits) for k, v in value.items()}
    return value


def clean_for_storage(nb: Any) -> Any:
    """Make `nb` (in place) what is stored: no widget state, no timing, stable bytes.

    Consecutive stream outputs are merged (nbconvert's CoalesceStreamsPreprocessor): how a
    cell's printing is split into messages depends on timing, not on what it printed.
    """
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    CoalesceStreamsPreprocessor().preprocess(nb, {})
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for key in TIMING_KEYS:
            cell.metadata.pop(key, None)
        for k, out in enumerate(cell.get("outputs", [])):
            data = out.get("data", {})
            if PLOTLY_MIME in data:
                data[PLOTLY_MIME] = nbformat.from_dict(round_figure(data[PLOTLY_MIME]))
            if isinstance(data.get(WIDGET_MIME), dict) and "model_id" in data[WIDGET_MIME]:
                # No widget state is stored, so the random model id points at nothing.
                data[WIDGET_MIME]["model_id"] = f"{cell.get('id', 'cell')}-{k}"
    return nb


def _source_key(cell: Any) -> str:
    return hashlib.sha256(cell.source.encode("utf-8")).hexdigest()[:16]


def _shape(outputs: Any) -> list[tuple[Any, ...]]:
    """What stays when a measurement is repeated: each output's kind, MIME types and lines."""
    shape = []
    for out in outputs:
        data = out.get("data", {})
        lines = [str(v).count("\n") for _, v in sorted(data.items()) if isinstance(v, str)]
        text = out.get("text", "")
        shape.append(
            (
                out.get("output_type"),
                out.get("name"),
                sorted(data),
                lines,
                text.count("\n") if isinstance(text, str) else None,
            )
        )
    return shape


def _measured_cells(nb: Any) -> list[Any]:
    return [c for c in nb.cells if TAG_MEASURED in c.get("metadata", {}).get("tags", [])]


def keep_measurements(before: Any, after: Any, remeasure: bool = False) -> list[str]:
    """Give `after`'s measured cells `before`'s outputs where nothing but numbers changed.

    `before` is the notebook as it was stored, `after` the same notebook just executed and
    cleaned (changed in place). A measured cell keeps its stored outputs when they were
    stored by ``make solutions`` from the same source (its key in the notebook metadata
    ``measured``) and the two outputs have the same :func:`_shape`. The keys of the
    cells run now are recorded in `after`'s metadata. Returns the ids of the cells kept.
    """
    stored_keys = before.metadata.get(META_KEY, {}).get("measured", {})
    old = {c.get("id"): c for c in _measured_cells(before)}
    keys, kept = {}, []
    for cell in _measured_cells(after):
        cid, key = cell.get("id"), _source_key(cell)
        keys[cid] = key
        prev = old.get(cid)
        if (
            not remeasure
            and prev is not None
            and stored_keys.get(cid) == key
            and _source_key(prev) == key
            and _shape(prev.outputs) == _shape(cell.outputs)
        ):
            cell.outputs = copy.deepcopy(prev.outputs)
            kept.append(cid)
    meta = after.metadata.setdefault(META_KEY, nbformat.NotebookNode())
    if keys:
        meta["measured"] = nbformat.from_dict(dict(sorted(keys.items())))
    else:
        meta.pop("measured", None)
    if not meta:
        after.metadata.pop(META_KEY, None)
    return kept


class _Tracker:
    """Remember which cell is executing (for error messages)."""

    def __init__(self) -> None:
        self.index: int | None = None

    def __call__(self, cell: Any = None, cell_index: int | None = None, **_: Any) -> None:
        self.index = cell_index


def make_client(
    nb: Any,
    cwd: Path,
    timeout: float,
    allow_errors: bool = False,
    interrupt_on_timeout: bool = False,
) -> tuple[NotebookClient, _Tracker]:
    """A NotebookClient for `nb` in a fresh python3 kernel running in `cwd`.

    With ``interrupt_on_timeout`` a cell that runs over ``timeout`` is interrupted, gets
    an error output named ``CellTimeout`` and execution goes on with the next cell.
    """
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    tracker = _Tracker()
    extra = {}
    if interrupt_on_timeout:
        extra["error_on_timeout"] = {
            "ename": TIMEOUT_ENAME,
            "traceback": [],
            "evalue": f"cell did not finish within {timeout:g} s and was interrupted",
        }
    client = NotebookClient(
        nb,
        timeout=int(math.ceil(timeout)),
        kernel_name=KERNEL,
        allow_errors=allow_errors,
        **extra,
        record_timing=False,
        store_widget_state=False,
        interrupt_on_timeout=interrupt_on_timeout,
        shutdown_kernel="immediate",
        startup_timeout=120,
        resources={"metadata": {"path": str(cwd)}},
        on_cell_start=tracker,
        # The kernel's start-up log (e.g. "running over TCP without encryption": it listens on
        # 127.0.0.1 only) is noise here; errors still show, and cell output is unaffected.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    return client, tracker


def execute_notebook(
    path: Path,
    timeout: float = 600,
    budget: int = SIZE_BUDGET,
    out=None,
    err=None,
    root: Path | None = None,
    remeasure: bool = False,
) -> int:
    """Execute the notebook at `path` and store it; return 0, or 1 on failure/over budget.

    ``remeasure=True`` stores this run's outputs of measured cells even when only their
    numbers changed (see :func:`keep_measurements`).
    """
    out, err = out or sys.stdout, err or sys.stderr
    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:
        print(f"error: {path}: not a readable notebook: {exc}", file=err)
        return 1
    before = copy.deepcopy(nb)
    client, tracker = make_client(nb, path.resolve().parent, timeout)

    def where() -> str:
        if tracker.index is None:
            return "kernel start-up"
        return f"cell {tracker.index + 1} (id {nb.cells[tracker.index].get('id')})"

    try:
        client.execute(env=kernel_env(root))
    except CellTimeoutError:
        print(
            f"error: {path}: {where()} did not finish within {timeout:g} s; file left untouched",
            file=err,
        )
        return 1
    except DeadKernelError as exc:
        print(f"error: {path}: the kernel died in {where()} ({exc}); file left untouched", file=err)
        return 1
    except CellExecutionError as exc:
        print(
            f"error: {path}: {where()} raised {exc.ename}: {exc.evalue}; file left untouched",
            file=err,
        )
        return 1
    except Exception as exc:
        print(
            f"error: {path}: execution failed in {where()}: {type(exc).__name__}: {exc}; "
            "file left untouched",
            file=err,
        )
        return 1
    kept = keep_measurements(before, clean_for_storage(nb), remeasure)
    text = notebook_text(nb)
    atomic_write(path, text)
    size = len(text.encode("utf-8"))
    if size > budget:
        print(
            f"warning: {path} is {size / 1e6:.2f} MB, over the {budget / 1e6:.2f} MB budget: "
            "downsample its figures",
            file=err,
        )
        return 1
    note = ""
    if kept:
        note = (
            f"; kept the stored measurements of {', '.join(kept)} (same shape, other numbers: "
            "--remeasure stores this run's)"
        )
    print(f"executed {path} ({size / 1e3:.0f} kB){note}", file=out)
    return 0


def add_arguments(parser) -> None:
    """Options of ``python -m wtcourse solutions``."""
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        help="solution notebooks to execute (default: ROOT/solutions/*.ipynb)",
    )
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=600.0,
        help="seconds allowed per cell, a positive number (default: 600)",
    )
    parser.add_argument(
        "--budget",
        type=positive_seconds,
        default=SIZE_BUDGET / 1e6,
        help="size budget per stored notebook in MB (default: 2.5)",
    )
    parser.add_argument(
        "--remeasure",
        action="store_true",
        help=(
            "store this run's output of cells tagged 'measured' (timings) even when only "
            "their numbers changed (default: keep the stored numbers, so reruns are byte-stable)"
        ),
    )


def run(args) -> int:
    """Execute the given notebooks, or every solution of the course at ``args.root``."""
    root = paths.course_root(getattr(args, "root", None))
    files = args.files or sorted(paths.solutions_dir(root).glob("*.ipynb"))
    if not files:
        print(f"no solution notebooks to execute in {paths.solutions_dir(root)}", file=sys.stderr)
        return 1
    status = 0
    for path in files:
        status = max(
            status,
            execute_notebook(
                path,
                args.timeout,
                int(args.budget * 1e6),
                root=root,
                remeasure=getattr(args, "remeasure", False),
            ),
        )
    return status
