"""One course map: every place that lists the lessons is generated from ``solutions/``.

``python -m wtcourse map --check`` (what the tests run) fails when one of these
disagrees with the lessons in ``ROOT/solutions/`` (file names, and each first cell
parsed by :func:`wtcourse.contract.lesson_info`):

* the lesson table in ``README.md``, between the :data:`~wtcourse.contract.MAP_BEGIN`
  and :data:`~wtcourse.contract.MAP_END` lines;
* the same block in lesson 00's map cell (``c00-map``, or the cell that holds the block);
* every lesson's previous/next cell (id ``cNN-nav``, first line
  :data:`~wtcourse.contract.NAV_MARK`), the last cell of the notebook;
* the site's ``site/index.html``, when one has been built (every lesson's title, timing
  and page, and no page of a lesson that is gone).

``python -m wtcourse map --write`` (``make map``) regenerates the README block, lesson
00's block and the navigation cells in ``solutions/`` (outputs untouched); then ``make
lessons`` carries them to ``lessons/`` and ``make html`` to the site. Adding a lesson
therefore needs no hand edit anywhere else.
"""

from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import paths
from .contract import (
    MAP_BEGIN,
    MAP_END,
    NAV_MARK,
    NOTEBOOK_NAME_RE,
    ContractError,
    LessonInfo,
    cell_id,
    lesson_info,
    nav_cell_id,
)

__all__ = [
    "add_arguments",
    "check",
    "lesson_map",
    "map_block",
    "nav_source",
    "readme_block",
    "run",
    "write",
]

#: The table lesson 00 used before the map was generated (replaced by ``--write`` once).
_OLD_00_TABLE = re.compile(r"^\| lesson \| topic \|\n(?:\|.*\|\n?)+", re.MULTILINE)


@dataclass
class Problem:
    """One disagreement between a generated place and solutions/."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def lesson_map(root: Path) -> list[LessonInfo]:
    """Every lesson of ``ROOT/solutions`` in order, from its file name and title cell."""
    import nbformat

    infos = []
    for path in sorted(paths.solutions_dir(root).glob("*.ipynb")):
        if not NOTEBOOK_NAME_RE.match(path.name):
            raise ContractError(f"{path}: lesson files are named NN-kebab-topic.ipynb")
        infos.append(lesson_info(nbformat.read(path, as_version=4), path.stem))
    if not infos:
        raise ContractError(f"no lessons in {paths.solutions_dir(root)}")
    numbers = [i.number for i in infos]
    if len(set(numbers)) != len(numbers):
        raise ContractError(f"two lessons share a number: {numbers}")
    return infos


def _cell_text(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _time(info: LessonInfo) -> str:
    return f"{info.teaching_min} + {info.exercises_min} min"


def readme_block(infos: list[LessonInfo]) -> str:
    """The README's lesson table, markers included (links into ``lessons/``)."""
    rows = [
        MAP_BEGIN,
        "| # | lesson | teaching + exercises | the questions it answers |",
        "|---|---|---|---|",
    ]
    for info in infos:
        rows.append(
            f"| {info.number} | [{_cell_text(info.title)}](lessons/{info.name}.ipynb) "
            f"| {_time(info)} | {_cell_text(' '.join(info.questions))} |"
        )
    rows.append(MAP_END)
    return "\n".join(rows)


def map_block(infos: list[LessonInfo]) -> str:
    """Lesson 00's course map, markers included (links to the notebooks beside it)."""
    rows = [MAP_BEGIN, "| # | lesson | teaching + exercises |", "|---|---|---|"]
    for info in infos:
        rows.append(
            f"| {info.number} | [{_cell_text(info.title)}]({info.name}.ipynb) | {_time(info)} |"
        )
    rows.append(MAP_END)
    return "\n".join(rows)


def _link(info: LessonInfo) -> str:
    return f"[{info.heading}]({info.name}.ipynb)"


def nav_source(infos: list[LessonInfo], index: int) -> str:
    """The previous/next cell of lesson ``infos[index]``."""
    parts = []
    if index > 0:
        parts.append(f"**Previous:** {_link(infos[index - 1])}")
    if index + 1 < len(infos):
        parts.append(f"**Next:** {_link(infos[index + 1])}")
    else:
        parts.append(f"**This is the last lesson.** The course map is in {_link(infos[0])}.")
    return NAV_MARK + "\n" + " · ".join(parts)


def _block_in(text: str) -> str | None:
    """The MAP_BEGIN ... MAP_END block in `text`, or None."""
    start = text.find(MAP_BEGIN)
    end = text.find(MAP_END, start + 1)
    if start < 0 or end < 0:
        return None
    return text[start : end + len(MAP_END)]


def _map_cell(nb: Any) -> Any | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown" and _block_in(cell.source) is not None:
            return cell
    return None


def _nav_cell(nb: Any, number: str) -> Any | None:
    for cell in nb.cells:
        if cell.get("id") == nav_cell_id(number) or (
            cell.cell_type == "markdown" and cell.source.startswith(NAV_MARK)
        ):
            return cell
    return None


def check(root: Path, site: Path | None = None) -> list[Problem]:
    """Every disagreement between the generated places and ``ROOT/solutions`` (empty: none)."""
    import nbformat

    try:
        infos = lesson_map(root)
    except ContractError as exc:
        return [Problem("solutions/", str(exc))]
    problems: list[Problem] = []
    readme = root / "README.md"
    if readme.is_file():
        block = _block_in(readme.read_text(encoding="utf-8"))
        if block is None:
            problems.append(
                Problem("README.md", f"no lesson table between {MAP_BEGIN} and {MAP_END}")
            )
        elif block != readme_block(infos):
            problems.append(Problem("README.md", "the lesson table differs from solutions/"))
    else:
        problems.append(Problem("README.md", "missing"))
    for index, info in enumerate(infos):
        path = paths.solutions_dir(root) / f"{info.name}.ipynb"
        where = f"solutions/{path.name}"
        nb = nbformat.read(path, as_version=4)
        if index == 0:
            cell = _map_cell(nb)
            if cell is None:
                problems.append(Problem(where, "no course-map cell (the lesson table block)"))
            elif _block_in(cell.source) != map_block(infos):
                problems.append(Problem(where, "the course map differs from solutions/"))
        cell = _nav_cell(nb, info.number)
        if cell is None:
            problems.append(
                Problem(where, f"no previous/next cell (id {nav_cell_id(info.number)})")
            )
        elif cell.source != nav_source(infos, index):
            problems.append(Problem(where, "the previous/next links differ from solutions/"))
        elif nb.cells[-1] is not cell:
            problems.append(Problem(where, "the previous/next cell is not the last cell"))
    if site is not None and (site / "index.html").is_file():
        problems += _check_site(site / "index.html", infos)
    return problems


def _check_site(index: Path, infos: list[LessonInfo]) -> list[Problem]:
    text = index.read_text(encoding="utf-8")
    where = str(index)
    problems = []
    for info in infos:
        for what, needle in (
            ("page link", f'href="{info.name}.html"'),
            ("title", html.escape(info.heading)),
            ("timing", html.escape(info.timing)),
        ):
            if needle not in text:
                problems.append(Problem(where, f"lesson {info.name}: {what} missing (make html)"))
    names = {info.name for info in infos}
    for linked in re.findall(r'href="(\d{2}-[a-z0-9-]+)\.html"', text):
        if linked not in names:
            problems.append(Problem(where, f"links {linked}.html, not a lesson (make html)"))
    return problems


def _store(path: Path, nb: Any) -> None:
    from .generate import atomic_write, notebook_text

    atomic_write(path, notebook_text(nb))


def write(root: Path, out=None) -> list[Path]:
    """Regenerate the README block, lesson 00's map and every nav cell; return changed files."""
    import nbformat

    out = out or sys.stdout
    infos = lesson_map(root)
    changed: list[Path] = []
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    block = _block_in(text)
    if block is None:
        raise ContractError(
            f"README.md: put the two lines {MAP_BEGIN!r} and {MAP_END!r} where the lesson "
            "table goes, then run this again"
        )
    if block != readme_block(infos):
        from .generate import atomic_write

        atomic_write(readme, text.replace(block, readme_block(infos)))
        changed.append(readme)
    for index, info in enumerate(infos):
        path = paths.solutions_dir(root) / f"{info.name}.ipynb"
        nb = nbformat.read(path, as_version=4)
        before = nbformat.writes(nb)
        if index == 0:
            _write_map_cell(nb, infos)
        cell = _nav_cell(nb, info.number)
        if cell is not None:
            nb.cells.remove(cell)
        nav = nbformat.v4.new_markdown_cell(nav_source(infos, index))
        nav["id"] = nav_cell_id(info.number)
        nb.cells.append(nav)
        if nbformat.writes(nb) != before:
            _store(path, nb)
            changed.append(path)
    for path in changed:
        print(f"updated {path}", file=out)
    if any(p.suffix == ".ipynb" for p in changed):
        print("now run `make lessons` to carry the changes to lessons/", file=out)
    return changed


def _write_map_cell(nb: Any, infos: list[LessonInfo]) -> None:
    import nbformat

    cell = _map_cell(nb)
    if cell is not None:
        cell.source = cell.source.replace(_block_in(cell.source) or "", map_block(infos))
        return
    for cell in nb.cells:  # the hand-written table of the first version of lesson 00
        if cell.cell_type == "markdown" and _OLD_00_TABLE.search(cell.source):
            cell.source = _OLD_00_TABLE.sub(map_block(infos) + "\n", cell.source, count=1)
            return
    new = nbformat.v4.new_markdown_cell("## The course map\n\n" + map_block(infos))
    new["id"] = cell_id(infos[0].number, "map")
    nb.cells.insert(1, new)


def add_arguments(parser) -> None:
    """Options of ``python -m wtcourse map``."""
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 on any disagreement (default)"
    )
    mode.add_argument(
        "--write", action="store_true", help="regenerate the README table, lesson 00's map and nav"
    )
    parser.add_argument(
        "--site",
        type=Path,
        default=None,
        help="the built site to check as well (default: ROOT/site when it has an index.html)",
    )


def run(args) -> int:
    """Check (default) or write the course map of the course at ``args.root``."""
    root = paths.course_root(getattr(args, "root", None))
    if args.write:
        try:
            write(root)
        except ContractError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    problems = check(root, site=args.site or root / "site")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(
            "the course map disagrees with solutions/: run `make map` (then `make lessons`)",
            file=sys.stderr,
        )
        return 1
    print(f"course map: {len(lesson_map(root))} lessons, README, lesson 00 and links agree")
    return 0
