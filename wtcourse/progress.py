"""``python -m wtcourse progress``: each lesson's exercises, from the last saved outputs.

For every notebook in a learner's ``lessons/`` folder this prints the status of each
exercise -- correct, wrong (with the first line of the message), not attempted, or not
run -- read from the check verdicts saved in the notebook (the ``contract.CHECK_MIME``
bundle every check cell publishes). It runs nothing and changes nothing. The exercises
of a lesson are its ``### Exercise N.k`` headings (and any id that has a verdict); when an
exercise has several saved verdicts, the last one in the notebook wins. A lesson with no
saved output at all is listed as never run; a notebook that cannot be read gets one line
saying so. The exit code is 0 whatever the progress (2 if the folder does not exist).

The folder is ``ROOT/lessons`` where ROOT is ``--root`` or, by default, the course root
this package belongs to (the folder that holds ``wtcourse/`` and ``lessons/``), never
the current folder; ``--lessons DIR`` names the folder directly.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .contract import CHECK_MIME, EXERCISE_RE, NOT_RUN, STATUSES, WRONG

__all__ = [
    "LessonProgress",
    "add_arguments",
    "course_root",
    "format_report",
    "main",
    "read_lesson",
    "run",
    "scan",
]

#: Longest message shown for a wrong answer (first line only).
MESSAGE_WIDTH = 90


@dataclass
class LessonProgress:
    """The saved progress of one notebook.

    ``state`` is ``"ran"`` (it has saved outputs), ``"never run"`` (none) or
    ``"unreadable"`` (``error`` says why); ``exercises`` maps each id, in id order, to
    ``(status, message)``.
    """

    name: str
    state: str
    exercises: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    error: str | None = None


def course_root() -> Path:
    """The course root this package belongs to (the parent of the ``wtcourse`` folder)."""
    return Path(__file__).resolve().parent.parent


def _id_key(exercise_id: str) -> tuple[int, ...]:
    return tuple(int(p) for p in exercise_id.split("."))


def _text(source: Any) -> str:
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _verdicts(cells: list) -> tuple[bool, dict[str, tuple[str, str | None]]]:
    """(has any output, last verdict per exercise) from a notebook's cells, in order."""
    ran, found = False, {}
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        outputs = cell.get("outputs")
        if cell.get("execution_count") is not None or outputs:
            ran = True
        for out in outputs if isinstance(outputs, list) else []:
            data = out.get("data") if isinstance(out, dict) else None
            bundle = data.get(CHECK_MIME) if isinstance(data, dict) else None
            if isinstance(bundle, str):  # a JSON MIME type stored as text by some tool
                try:
                    bundle = json.loads(bundle)
                except ValueError:
                    bundle = None
            if not isinstance(bundle, dict):
                continue
            ex, status, message = (
                bundle.get("exercise"),
                bundle.get("status"),
                bundle.get("message"),
            )
            if not isinstance(ex, str) or status not in STATUSES:
                continue
            try:
                _id_key(ex)
            except ValueError:
                continue
            found[ex] = (status, message if isinstance(message, str) else None)
    return ran, found


def read_lesson(path: Path) -> LessonProgress:
    """Read one notebook's saved progress; never raises for a bad file."""
    name = path.name
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise ValueError("'cells' is not a list")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:MESSAGE_WIDTH]
        return LessonProgress(name, "unreadable", error=reason)
    ids: set[str] = set()
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            ids.update(m.group("id") for m in EXERCISE_RE.finditer(_text(cell.get("source"))))
    ran, found = _verdicts(cells)
    ids.update(found)
    exercises = {i: found.get(i, (NOT_RUN, None)) for i in sorted(ids, key=_id_key)}
    return LessonProgress(name, "ran" if ran else "never run", exercises)


def scan(lessons: Path) -> list[LessonProgress]:
    """:func:`read_lesson` for every ``*.ipynb`` in `lessons` (not recursive), by name."""
    return [read_lesson(p) for p in sorted(Path(lessons).glob("*.ipynb")) if p.is_file()]


def _counts(statuses: list[str]) -> str:
    return " · ".join(f"{statuses.count(s)} {s}" for s in STATUSES) + f" (of {len(statuses)})"


def _short(message: str | None) -> str:
    line = (message or "").strip().splitlines()[0] if (message or "").strip() else ""
    return line if len(line) <= MESSAGE_WIDTH else line[: MESSAGE_WIDTH - 1] + "…"


def format_report(lessons: Path, results: list[LessonProgress]) -> str:
    """The text the command prints."""
    lines = [f"Progress in {lessons} (from the saved outputs; nothing was run)", ""]
    if not results:
        lines.append("no notebooks in this folder")
    for lesson in results:
        if lesson.state == "unreadable":
            lines.append(f"{lesson.name}: could not read this notebook ({lesson.error})")
            continue
        statuses = [s for s, _ in lesson.exercises.values()]
        if lesson.state == "never run":
            n = len(lesson.exercises)
            summary = f"never run (no saved outputs; {n} exercise{'s' if n != 1 else ''})"
        elif not lesson.exercises:
            summary = "ran; no exercises"
        else:
            summary = _counts(statuses)
        lines.append(f"{lesson.name}: {summary}")
        if lesson.state == "never run":
            continue
        width = max((len(i) for i in lesson.exercises), default=0)
        for ex, (status, message) in lesson.exercises.items():
            detail = f"  {_short(message)}" if status == WRONG and message else ""
            lines.append(f"  {ex:<{width}}  {status}{detail}")
    never = [r.name for r in results if r.state == "never run"]
    if results:
        lines.append("")
        lines.append("Never run: " + (", ".join(never) if never else "none"))
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--root`` and ``--lessons``."""
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="course root holding lessons/ (default: the root of this course package)",
    )
    parser.add_argument(
        "--lessons", type=Path, default=None, help="the lessons folder itself (overrides --root)"
    )


def run(args: argparse.Namespace) -> int:
    """Print the report; exit 0 (2 if the lessons folder does not exist)."""
    lessons = args.lessons if args.lessons is not None else (args.root or course_root()) / "lessons"
    lessons = Path(lessons).resolve()
    if not lessons.is_dir():
        print(
            f"error: no lessons folder at {lessons}; pass --root COURSE_ROOT or --lessons DIR",
            file=sys.stderr,
        )
        return 2
    print(format_report(lessons, scan(lessons)))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run as ``python -m wtcourse.progress [--root DIR | --lessons DIR]``."""
    parser = argparse.ArgumentParser(
        prog="python -m wtcourse progress",
        description="Show each lesson's exercise status from the saved notebooks (runs nothing).",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
