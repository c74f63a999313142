"""Execute solution notebooks in a fresh kernel and store them by the storage rules.

``python -m wtcourse solutions [FILE ...]`` runs each notebook
(default: every ``solutions/*.ipynb``) top to bottom in a new ``python3``
kernel whose working directory is the notebook's folder and whose
``PYTHONPATH`` starts with the repository root (so ``import gridlib`` works
without an install), with a per-cell timeout. The notebook is then written
back atomically (temporary file + rename) with:

* outputs and execution counts kept;
* no widget state (notebook ``metadata["widgets"]`` dropped);
* no timing metadata (cell ``metadata["execution"]`` / ``["ExecuteTime"]`` dropped).

A cell that raises (or times out, or kills the kernel) fails the command,
naming the notebook and the cell, and leaves the file untouched. A stored
notebook larger than the size budget (2.5 MB) is written but reported, and
the exit status is non-zero.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from .generate import TIMING_KEYS, atomic_write, notebook_text

__all__ = ["SIZE_BUDGET", "clean_for_storage", "execute_notebook", "kernel_env", "main"]

SIZE_BUDGET = 2_500_000  # bytes
KERNEL = "python3"
REPO_ROOT = Path(__file__).resolve().parents[1]


def kernel_env() -> dict[str, str]:
    """Environment for a kernel: ours, with the repository root first on PYTHONPATH."""
    env = dict(os.environ)
    parts = [str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(parts)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def clean_for_storage(nb: Any) -> Any:
    """Drop widget state and execution timing from `nb` (in place); return it."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for key in TIMING_KEYS:
            cell.metadata.pop(key, None)
    return nb


class _Tracker:
    """Remember which cell is executing (for error messages)."""

    def __init__(self) -> None:
        self.index: int | None = None

    def __call__(self, cell: Any = None, cell_index: int | None = None, **_: Any) -> None:
        self.index = cell_index


TIMEOUT_ENAME = "CellTimeout"


def make_client(nb: Any, cwd: Path, timeout: float, allow_errors: bool = False,
                interrupt_on_timeout: bool = False) -> tuple[NotebookClient, _Tracker]:
    """A NotebookClient for `nb` in a fresh python3 kernel running in `cwd`.

    With ``interrupt_on_timeout`` a cell that runs over ``timeout`` is interrupted, gets
    an error output named ``CellTimeout`` and execution goes on with the next cell.
    """
    tracker = _Tracker()
    extra = {}
    if interrupt_on_timeout:
        extra["error_on_timeout"] = {"ename": TIMEOUT_ENAME, "traceback": [],
                                     "evalue": f"cell did not finish within {timeout:g} s and was interrupted"}
    client = NotebookClient(
        nb, timeout=timeout, kernel_name=KERNEL, allow_errors=allow_errors, **extra,
        record_timing=False, interrupt_on_timeout=interrupt_on_timeout, shutdown_kernel="immediate",
        startup_timeout=120, resources={"metadata": {"path": str(cwd)}},
        on_cell_start=tracker,
    )
    return client, tracker


def execute_notebook(path: Path, timeout: float = 600, budget: int = SIZE_BUDGET,
                     out=None, err=None) -> int:
    """Execute the notebook at `path` and store it; return 0, or 1 on failure/over budget."""
    out, err = out or sys.stdout, err or sys.stderr
    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:
        print(f"error: {path}: not a readable notebook: {exc}", file=err)
        return 1
    client, tracker = make_client(nb, path.resolve().parent, timeout)
    where = lambda: (f"cell {tracker.index + 1} (id {nb.cells[tracker.index].get('id')})"
                     if tracker.index is not None else "kernel start-up")
    try:
        client.execute(env=kernel_env())
    except CellTimeoutError:
        print(f"error: {path}: {where()} did not finish within {timeout:g} s; file left untouched",
              file=err)
        return 1
    except DeadKernelError as exc:
        print(f"error: {path}: the kernel died in {where()} ({exc}); file left untouched", file=err)
        return 1
    except CellExecutionError as exc:
        print(f"error: {path}: {where()} raised {exc.ename}: {exc.evalue}; file left untouched",
              file=err)
        return 1
    except Exception as exc:
        print(f"error: {path}: execution failed in {where()}: {type(exc).__name__}: {exc}; "
              "file left untouched", file=err)
        return 1
    text = notebook_text(clean_for_storage(nb))
    atomic_write(path, text)
    size = len(text.encode("utf-8"))
    if size > budget:
        print(f"warning: {path} is {size / 1e6:.2f} MB, over the {budget / 1e6:.2f} MB budget: "
              "downsample its figures", file=err)
        return 1
    print(f"executed {path} ({size / 1e3:.0f} kB)", file=out)
    return 0


def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="*", type=Path,
                        help="solution notebooks to execute (default: solutions/*.ipynb)")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds allowed per cell (default: 600)")
    parser.add_argument("--budget", type=float, default=SIZE_BUDGET / 1e6,
                        help="size budget per stored notebook in MB (default: 2.5)")


def run(args) -> int:
    files = args.files or sorted(Path("solutions").glob("*.ipynb"))
    if not files:
        print("no solution notebooks to execute", file=sys.stderr)
        return 1
    status = 0
    for path in files:
        status = max(status, execute_notebook(path, args.timeout, int(args.budget * 1e6)))
    return status


def main(argv: list[str] | None = None) -> int:
    import argparse
    parser = argparse.ArgumentParser(prog="python -m wtcourse solutions",
                                     description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))
