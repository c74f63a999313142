"""The notebook contract: the one place that states the rules every course tool shares.

Solution markers, metadata keys, exercise-id rules, cell-id and file-name rules,
output MIME types, check statuses, cell tags, the course-map markers, the precision
of stored figures and the format of a lesson's title cell live here and nowhere
else; generation, execution, checks, grading, progress, the course map and the site
import them. This module imports only the standard library, so a lesson's setup
cell (through :mod:`wtcourse.checking`) can import it cheaply.

The title cell (the first cell of every lesson) reads::

    # 01 · Loss hypersurfaces

    Teaching: 25 min · Exercises: 20 min · Execution budget: under 30 s

    **Questions**
    - What does a loss function look like over the space of a model's parameters?

    **Objectives**
    - Evaluate a loss on a 2-D weight grid without Python loops.

:func:`parse_title_cell` turns it into a :class:`LessonInfo` (or raises
:class:`ContractError` naming the line it expected).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BEGIN_RE",
    "CELL_ID_RE",
    "CHECK_CALL_RE",
    "CHECK_MIME",
    "CORRECT",
    "ContractError",
    "END_RE",
    "EXERCISE_ID_RE",
    "EXERCISE_RE",
    "FIGURE_DIGITS",
    "LessonInfo",
    "MAP_BEGIN",
    "MAP_END",
    "META_KEY",
    "NAV_MARK",
    "NOTEBOOK_NAME_RE",
    "NOT_ATTEMPTED",
    "NOT_RUN",
    "PLACEHOLDER",
    "PLOTLY_MIME",
    "PROBE_MIME",
    "SOLUTION_TAG",
    "STATUSES",
    "TAG_CHECK_OUTPUT",
    "TAG_IGNORE_OUTPUT",
    "TAG_MEASURED",
    "TAG_SKIP",
    "TIMING_KEYS",
    "TIMING_RE",
    "TITLE_RE",
    "WIDGET_MIME",
    "WRONG",
    "agreement_problems",
    "cell_id",
    "check_calls",
    "check_name",
    "check_reports",
    "exercise_ids",
    "exercise_lesson",
    "lesson_info",
    "module_exercise_ids",
    "nav_cell_id",
    "parse_title_cell",
    "timing_line",
]


class ContractError(ValueError):
    """A notebook (or a file the course map owns) breaks the notebook contract."""


# --- solution regions (solutions/ -> lessons/) ------------------------------------------
#: A line that opens an answer region: any indentation, one or more ``#``.
BEGIN_RE = re.compile(r"^(?P<indent>[ \t]*)#+\s*BEGIN SOLUTION\s*$")
#: A line that closes an answer region.
END_RE = re.compile(r"^[ \t]*#+\s*END SOLUTION\s*$")
#: A code cell tagged with this is an answer as a whole.
SOLUTION_TAG = "solution"
#: What an answer region becomes in lessons/.
PLACEHOLDER = "...  # YOUR CODE HERE"

# --- files and cells ---------------------------------------------------------------------
#: ``NN-kebab-topic.ipynb``, the same name in solutions/ and lessons/.
NOTEBOOK_NAME_RE = re.compile(r"^(?P<number>\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.ipynb$")
#: Cell ids: ``cNN-name`` (``c01-ex2-answer``), stable, so diffs stay small.
CELL_ID_RE = re.compile(r"^c(?P<number>\d{2})-(?P<name>[a-z0-9]+(?:-[a-z0-9]+)*)$")

# --- exercises ---------------------------------------------------------------------------
#: A markdown heading that starts an exercise: ``### Exercise 1.2 — Title``.
EXERCISE_RE = re.compile(r"^#{1,6}\s*Exercise\s+(?P<id>\d+(?:\.\d+)*)\b", re.MULTILINE)
#: An exercise id: lesson number (no leading zero) and exercise number, ``"1.2"``.
EXERCISE_ID_RE = re.compile(r"^(?P<lesson>0|[1-9]\d*)\.(?P<number>[1-9]\d*)$")
#: A check cell's call: ``check.e1_2(batch_loss)``.
CHECK_CALL_RE = re.compile(r"\bcheck\.(?P<name>e\d+_\d+)\s*\(")

# --- metadata -----------------------------------------------------------------------------
#: Notebook-level metadata key the course tools own.
META_KEY = "weights_traversal"
#: Cell metadata keys that carry timing (dropped when stored).
TIMING_KEYS = ("execution", "ExecuteTime")

# --- outputs ---------------------------------------------------------------------------------
#: A self-check's machine-readable report ``{"exercise", "status", "message"}``.
CHECK_MIME = "application/vnd.weights-traversal.check+json"
#: What a grading probe returns from the student's kernel.
PROBE_MIME = "application/vnd.weights-traversal.probe+json"
PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
#: Significant digits of the floats stored in figure JSON by ``make solutions``
#: (so that two runs store the same bytes; a figure is drawn at far coarser precision).
FIGURE_DIGITS = 6

# --- check statuses -------------------------------------------------------------------------
CORRECT, WRONG, NOT_ATTEMPTED, NOT_RUN = "correct", "wrong", "not attempted", "not run"
STATUSES = (CORRECT, WRONG, NOT_ATTEMPTED, NOT_RUN)

# --- cell tags (nbval reads these; learners see no test comments) ----------------------------
TAG_CHECK_OUTPUT = "nbval-check-output"
TAG_IGNORE_OUTPUT = "nbval-ignore-output"
TAG_SKIP = "nbval-skip"
#: A cell whose output is a measurement that varies run to run (a timing). ``make solutions``
#: keeps its stored output when this run printed the same lines with other numbers, so two runs
#: store the same bytes; ``--remeasure`` stores this run's numbers.
TAG_MEASURED = "measured"

# --- the course map (python -m wtcourse map) ---------------------------------------------------
#: The generated lesson table sits between these lines (README.md and lesson 00's map cell).
MAP_BEGIN = "<!-- course-map:begin (generated by `python -m wtcourse map --write`) -->"
MAP_END = "<!-- course-map:end -->"
#: First line of every lesson's generated previous/next cell (its id: :func:`nav_cell_id`).
NAV_MARK = "<!-- course-nav (generated by `python -m wtcourse map --write`) -->"

# --- the title cell ---------------------------------------------------------------------------
#: ``# 01 · Loss hypersurfaces``
TITLE_RE = re.compile(r"^# (?P<number>\d{2}) · (?P<title>\S.*?)\s*$")
#: ``Teaching: 25 min · Exercises: 20 min · Execution budget: under 30 s``
TIMING_RE = re.compile(
    r"^Teaching: (?P<teaching>\d+) min · Exercises: (?P<exercises>\d+) min"
    r" · Execution budget: under (?P<budget>\d+) s$"
)


@dataclass(frozen=True)
class LessonInfo:
    """What a lesson's title cell states: number, title, timing, questions, objectives."""

    number: str
    title: str
    teaching_min: int
    exercises_min: int
    budget_s: int
    questions: tuple[str, ...] = field(default_factory=tuple)
    objectives: tuple[str, ...] = field(default_factory=tuple)
    name: str = ""  # the notebook's file stem, ``01-loss-hypersurfaces``, when known

    @property
    def heading(self) -> str:
        """``01 · Loss hypersurfaces``."""
        return f"{self.number} · {self.title}"

    @property
    def timing(self) -> str:
        """The timing line, exactly as the title cell writes it."""
        return timing_line(self.teaching_min, self.exercises_min, self.budget_s)


def timing_line(teaching_min: int, exercises_min: int, budget_s: int) -> str:
    """The title cell's timing line.

    Examples
    --------
    >>> timing_line(25, 20, 30)
    'Teaching: 25 min · Exercises: 20 min · Execution budget: under 30 s'
    """
    return (
        f"Teaching: {teaching_min} min · Exercises: {exercises_min} min"
        f" · Execution budget: under {budget_s} s"
    )


def _bullets(lines: list[str], start: int, what: str) -> tuple[tuple[str, ...], int]:
    """The ``- item`` bullets from ``lines[start]`` on (continuation lines indented)."""
    items: list[str] = []
    i = start
    while i < len(lines):
        line = lines[i]
        if line.startswith("- "):
            items.append(line[2:].strip())
        elif items and line.startswith((" ", "\t")) and line.strip():
            items[-1] += " " + line.strip()
        else:
            break
        i += 1
    if not items:
        raise ContractError(f"the title cell needs at least one `- ` bullet under **{what}**")
    return tuple(items), i


def parse_title_cell(source: str, name: str = "") -> LessonInfo:
    """Parse a lesson's first cell (see the module docstring) into a :class:`LessonInfo`.

    Examples
    --------
    >>> info = parse_title_cell(
    ...     "# 01 · Loss hypersurfaces\\n\\n"
    ...     "Teaching: 25 min · Exercises: 20 min · Execution budget: under 30 s\\n\\n"
    ...     "**Questions**\\n- What is a loss surface?\\n\\n"
    ...     "**Objectives**\\n- Evaluate a loss on a grid,\\n  without loops.\\n- Plot it.")
    >>> info.heading, info.budget_s, info.objectives
    ('01 · Loss hypersurfaces', 30, ('Evaluate a loss on a grid, without loops.', 'Plot it.'))
    """
    where = f"{name}: " if name else ""
    lines = [ln.rstrip() for ln in source.splitlines()]
    body = [ln for ln in lines if ln.strip()]
    if not body:
        raise ContractError(f"{where}the first cell is empty; it must be the title cell")
    title = TITLE_RE.match(body[0])
    if not title:
        raise ContractError(
            f"{where}the first line of the title cell must read `# NN · Title`, not {body[0]!r}"
        )
    if len(body) < 2 or not TIMING_RE.match(body[1]):
        got = body[1] if len(body) > 1 else "nothing"
        raise ContractError(
            f"{where}the line after the title must read `{timing_line(25, 20, 30)}` "
            f"(with this lesson's numbers), not {got!r}"
        )
    timing = TIMING_RE.match(body[1])
    assert timing is not None
    sections: dict[str, tuple[str, ...]] = {}
    i = lines.index(body[1]) + 1
    while i < len(lines):
        line = lines[i].strip()
        if not line:
            i += 1
            continue
        header = re.fullmatch(r"\*\*(Questions|Objectives)\*\*", line)
        if not header or header.group(1) in sections:
            raise ContractError(
                f"{where}the title cell must continue with **Questions** and **Objectives**, "
                f"each followed by `- ` bullets; unexpected line {lines[i]!r}"
            )
        sections[header.group(1)], i = _bullets(lines, i + 1, header.group(1))
    for what in ("Questions", "Objectives"):
        if what not in sections:
            raise ContractError(f"{where}the title cell has no **{what}** list")
    file_name = NOTEBOOK_NAME_RE.match(name + ".ipynb") if name else None
    if file_name:
        number = file_name.group("number")
        if number != title.group("number"):
            raise ContractError(
                f"{where}the title says lesson {title.group('number')}, the file name {number}"
            )
    return LessonInfo(
        number=title.group("number"),
        title=title.group("title"),
        teaching_min=int(timing.group("teaching")),
        exercises_min=int(timing.group("exercises")),
        budget_s=int(timing.group("budget")),
        questions=sections["Questions"],
        objectives=sections["Objectives"],
        name=name,
    )


def _cells(nb: Any) -> list[Mapping[str, Any]]:
    return list(nb["cells"])


def _source(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def lesson_info(nb: Any, name: str = "") -> LessonInfo:
    """The :class:`LessonInfo` of a notebook (nbformat node or plain dict) from its first cell."""
    cells = _cells(nb)
    if not cells or cells[0].get("cell_type") != "markdown":
        raise ContractError(f"{name or 'notebook'}: the first cell must be the markdown title cell")
    return parse_title_cell(_source(cells[0]), name)


def exercise_ids(nb: Any) -> list[str]:
    """Exercise ids (``"1.2"``) from markdown headings ``### Exercise 1.2 — Title``, in order."""
    ids: list[str] = []
    for cell in _cells(nb):
        if cell.get("cell_type") == "markdown":
            for m in EXERCISE_RE.finditer(_source(cell)):
                if m.group("id") not in ids:
                    ids.append(m.group("id"))
    return ids


def check_name(exercise_id: str) -> str:
    """The check function's name for an exercise id.

    Examples
    --------
    >>> check_name("1.2")
    'e1_2'
    """
    if not EXERCISE_ID_RE.match(exercise_id):
        raise ContractError(f"exercise id {exercise_id!r} is not of the form '1.2'")
    return "e" + exercise_id.replace(".", "_")


def exercise_lesson(exercise_id: str) -> int:
    """The lesson number an exercise id belongs to (``"1.2"`` -> 1)."""
    m = EXERCISE_ID_RE.match(exercise_id)
    if not m:
        raise ContractError(f"exercise id {exercise_id!r} is not of the form '1.2'")
    return int(m.group("lesson"))


def cell_id(number: int | str, name: str) -> str:
    """A cell id in the house convention: ``cell_id(1, "ex2-answer") == "c01-ex2-answer"``."""
    cid = f"c{int(number):02d}-{name}"
    if not CELL_ID_RE.match(cid):
        raise ContractError(f"cell id {cid!r} is not of the form cNN-lowercase-words")
    return cid


def nav_cell_id(number: int | str) -> str:
    """Id of a lesson's generated previous/next cell (``c01-nav``)."""
    return cell_id(number, "nav")


def check_calls(nb: Any) -> list[str]:
    """Check names called in the notebook's code cells (``["e1_1", "e1_2"]``), in order."""
    names: list[str] = []
    for cell in _cells(nb):
        if cell.get("cell_type") == "code":
            for m in CHECK_CALL_RE.finditer(_source(cell)):
                names.append(m.group("name"))
    return names


def check_reports(nb: Any) -> list[dict[str, Any]]:
    """Every stored :data:`CHECK_MIME` report ``{"exercise", "status", "message"}``, in order."""
    reports: list[dict[str, Any]] = []
    for cell in _cells(nb):
        outputs: Iterable[Mapping[str, Any]] = cell.get("outputs", []) or []
        for out in outputs:
            data = out.get("data", {}) or {}
            if CHECK_MIME in data:
                reports.append(dict(data[CHECK_MIME]))
    return reports


def module_exercise_ids(module: Any) -> dict[str, str]:
    """``{check name: exercise id}`` of a check module, found through its ``__all__``.

    Works for :class:`wtcourse.checking.Exercise` objects (attribute ``id``) and for the
    older ``@exercise`` wrappers (attribute ``exercise_id``).
    """
    found: dict[str, str] = {}
    for name in getattr(module, "__all__", None) or [
        n for n in vars(module) if not n.startswith("_")
    ]:
        obj = getattr(module, name, None)
        exercise_id = getattr(obj, "id", None) or getattr(obj, "exercise_id", None)
        if isinstance(exercise_id, str) and EXERCISE_ID_RE.match(exercise_id):
            found[name] = exercise_id
    return found


def agreement_problems(solution: Any, lesson: Any, module: Any, name: str = "") -> list[str]:
    """Where a lesson breaks the exercise contract (an empty list: nowhere).

    For a solution notebook, its generated lesson and its check module: the exercise
    headings, the check module's exercises (name ``eN_k`` and id ``N.k``), the check cells
    and the stored :data:`CHECK_MIME` reports name the same exercises in the same order;
    every stored report is "correct"; the lesson has the same headings and check cells and
    no outputs.
    """
    where = f"{name}: " if name else ""
    problems: list[str] = []
    headings = exercise_ids(solution)
    number = None
    if name and NOTEBOOK_NAME_RE.match(name + ".ipynb"):
        number = int(name[:2])
    for ex in headings:
        if not EXERCISE_ID_RE.match(ex):
            problems.append(f"{where}exercise heading {ex!r} is not of the form N.k")
        elif number is not None and exercise_lesson(ex) != number:
            problems.append(f"{where}exercise {ex} is in lesson {number}")
    valid = [ex for ex in headings if EXERCISE_ID_RE.match(ex)]
    expected = [check_name(ex) for ex in valid]
    in_module = module_exercise_ids(module)
    for check, ex in in_module.items():
        if check_name(ex) != check:
            problems.append(
                f"{where}check {check} has exercise id {ex} (expected {check_name(ex)})"
            )
    if sorted(in_module.values(), key=_id_key) != sorted(valid, key=_id_key):
        problems.append(
            f"{where}headings {valid} but the check module has {sorted(in_module.values(), key=_id_key)}"
        )
    calls = check_calls(solution)
    if calls != expected:
        problems.append(f"{where}check cells call {calls}, the headings need {expected}")
    reports = check_reports(solution)
    stored = [r.get("exercise") for r in reports]
    if stored != valid:
        problems.append(f"{where}stored check reports {stored}, the headings need {valid}")
    for r in reports:
        if r.get("status") != CORRECT:
            problems.append(
                f"{where}exercise {r.get('exercise')} is stored as {r.get('status')!r}: "
                f"{r.get('message')}"
            )
    if exercise_ids(lesson) != headings:
        problems.append(f"{where}the lesson's headings {exercise_ids(lesson)} differ: make lessons")
    if check_calls(lesson) != calls:
        problems.append(
            f"{where}the lesson's check cells {check_calls(lesson)} differ: make lessons"
        )
    for i, cell in enumerate(_cells(lesson)):
        if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count")):
            problems.append(f"{where}lesson cell {i + 1} has outputs or an execution count")
    return problems


def _id_key(exercise_id: str) -> tuple[int, ...]:
    return tuple(int(p) for p in exercise_id.split("."))
