"""Where the course is: the course root and the folders every tool reads and writes.

The course root is a folder that holds ``solutions/`` (and ``lessons/``, which
``python -m wtcourse lessons`` creates when it is missing). Every course command
finds it the same way (:func:`course_root`):

1. ``--root DIR`` when given (it must be a course root);
2. else the current folder or the nearest parent folder that is one;
3. else the source checkout this package was imported from, when it is one.

No tool opens a bare relative path such as ``Path("solutions")``: the paths
below are all built from the root.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "CourseRootError",
    "checks_dir",
    "course_root",
    "is_course_root",
    "lessons_dir",
    "solutions_dir",
]


class CourseRootError(FileNotFoundError):
    """No course root (a folder with ``solutions/``) could be found."""


def is_course_root(path: str | os.PathLike[str]) -> bool:
    """True if `path` is a folder with a ``solutions/`` subfolder (the source of truth)."""
    return (Path(path) / "solutions").is_dir()


def course_root(
    root: str | os.PathLike[str] | None = None, start: str | os.PathLike[str] | None = None
) -> Path:
    """The course root, resolved (see the module docstring for the search order).

    Parameters
    ----------
    root : path, optional
        An explicit root (``--root``); it must contain ``solutions/``.
    start : path, optional
        Where the upward search starts (default: the current folder).
    """
    if root is not None:
        path = Path(root).expanduser().resolve()
        if not is_course_root(path):
            raise CourseRootError(
                f"--root {root}: not a course folder (expected {path}/solutions/)"
            )
        return path
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if is_course_root(folder):
            return folder
    checkout = Path(__file__).resolve().parent.parent
    if is_course_root(checkout):
        return checkout
    raise CourseRootError(
        f"no course folder (one with solutions/) at or above {here}; "
        "run the command inside the course folder or pass --root DIR"
    )


def solutions_dir(root: Path) -> Path:
    """``ROOT/solutions``: the complete, executed notebooks (the source of truth)."""
    return root / "solutions"


def lessons_dir(root: Path) -> Path:
    """``ROOT/lessons``: the learner's notebooks, generated from solutions/."""
    return root / "lessons"


def checks_dir(root: Path) -> Path:
    """``ROOT/wtcourse/checks``: the per-lesson check modules of a source checkout."""
    return root / "wtcourse" / "checks"
