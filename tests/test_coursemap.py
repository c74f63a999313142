"""One course map: README table, lesson 00's map, previous/next cells and the site index agree
with solutions/ (`python -m wtcourse map --check`), and `--write` regenerates them."""

import html
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from wtcourse import coursemap
from wtcourse.contract import MAP_BEGIN, MAP_END, NAV_MARK
from wtcourse.scaffold import scaffold

ROOT = Path(__file__).resolve().parents[1]


def test_this_course_map_agrees_with_solutions():
    problems = coursemap.check(ROOT)
    assert problems == [], "\n".join(map(str, problems)) + "\nrun `make map`, then `make lessons`"


@pytest.fixture
def course(tmp_path):
    """Three scaffolded lessons (not executed: the map reads only markdown), map written."""
    root = tmp_path / "course"
    for folder in ("solutions", "lessons", "wtcourse/checks"):
        (root / folder).mkdir(parents=True)
    (root / "README.md").write_text(f"# Course\n\n{MAP_BEGIN}\n{MAP_END}\n\nAfter the table.\n")
    for number, title in (("00", "Start here"), ("01", "First steps"), ("02", "Second steps")):
        scaffold(root, number, title)
    coursemap.write(root)
    assert coursemap.check(root) == []
    return root


def solution(root, name):
    return root / "solutions" / f"{name}.ipynb"


def edit(path, fn):
    nb = nbformat.read(path, as_version=4)
    fn(nb)
    nbformat.write(nb, path)


def test_write_is_idempotent_and_keeps_the_rest_of_the_readme(course):
    before = {p: p.read_bytes() for p in course.rglob("*") if p.is_file()}
    assert coursemap.write(course) == []
    assert {p: p.read_bytes() for p in course.rglob("*") if p.is_file()} == before
    readme = (course / "README.md").read_text()
    assert readme.startswith("# Course\n\n") and readme.endswith("\n\nAfter the table.\n")
    assert "| 01 | [First steps](lessons/01-first-steps.ipynb) | 15 + 10 min |" in readme


def test_nav_cells_link_previous_and_next(course):
    cells = [
        nbformat.read(solution(course, n), as_version=4).cells[-1]
        for n in ("00-start-here", "01-first-steps", "02-second-steps")
    ]
    assert [c.id for c in cells] == ["c00-nav", "c01-nav", "c02-nav"]
    assert cells[0].source == NAV_MARK + "\n**Next:** [01 · First steps](01-first-steps.ipynb)"
    assert (
        "**Previous:** [00 · Start here](00-start-here.ipynb) · **Next:** [02 · Second steps]"
        in cells[1].source
    )
    assert "**This is the last lesson.** The course map is in [00 · Start here]" in cells[2].source


def test_a_changed_title_is_caught_everywhere(course):
    def retitle(nb):
        nb.cells[0].source = nb.cells[0].source.replace("# 01 · First steps", "# 01 · Baby steps")

    edit(solution(course, "01-first-steps"), retitle)
    where = sorted({p.where for p in coursemap.check(course)})
    assert where == [
        "README.md",
        "solutions/00-start-here.ipynb",
        "solutions/02-second-steps.ipynb",
    ]
    coursemap.write(course)
    assert coursemap.check(course) == []


def test_a_new_lesson_is_caught_until_the_map_is_written(course):
    scaffold(course, "03", "Third steps")
    messages = [str(p) for p in coursemap.check(course)]
    assert "README.md: the lesson table differs from solutions/" in messages
    assert any("02-second-steps" in m and "previous/next links differ" in m for m in messages)
    assert any("03-third-steps" in m and "no previous/next cell" in m for m in messages)
    changed = coursemap.write(course)
    assert {p.name for p in changed} == {
        "README.md",
        "00-start-here.ipynb",
        "02-second-steps.ipynb",
        "03-third-steps.ipynb",
    }
    assert coursemap.check(course) == []


def test_a_moved_or_missing_nav_cell_is_caught(course):
    edit(
        solution(course, "01-first-steps"),
        lambda nb: nb.cells.insert(len(nb.cells), nbformat.v4.new_markdown_cell("x")),
    )
    edit(solution(course, "02-second-steps"), lambda nb: nb.cells.pop())
    messages = [str(p) for p in coursemap.check(course)]
    assert any("01-first-steps" in m and "not the last cell" in m for m in messages)
    assert any("02-second-steps" in m and "no previous/next cell" in m for m in messages)


def test_lesson_00_hand_table_is_replaced_once(course):
    def old_table(nb):
        map_cell = next(c for c in nb.cells if MAP_BEGIN in c.source)
        nb.cells.remove(map_cell)
        nb.cells.insert(
            1,
            nbformat.v4.new_markdown_cell(
                "## How the course works\n\n| lesson | topic |\n|---|---|\n| 00 | Start here |\n\nMore text."
            ),
        )

    edit(solution(course, "00-start-here"), old_table)
    assert any("no course-map cell" in str(p) for p in coursemap.check(course))
    coursemap.write(course)
    cell = nbformat.read(solution(course, "00-start-here"), as_version=4).cells[1]
    assert cell.source.startswith("## How the course works\n\n" + MAP_BEGIN)
    assert (
        cell.source.endswith(MAP_END + "\n\nMore text.") and "| lesson | topic |" not in cell.source
    )
    assert coursemap.check(course) == []


def test_the_site_index_is_checked_when_built(course):
    infos = coursemap.lesson_map(course)
    site = course / "site"
    site.mkdir()
    items = "".join(
        f'<li><a href="{i.name}.html">{html.escape(i.heading)}</a><p>{html.escape(i.timing)}</p></li>'
        for i in infos
    )
    (site / "index.html").write_text(f"<ol>{items}</ol>")
    assert coursemap.check(course, site=site) == []
    (site / "index.html").write_text(
        f'<ol>{items}<li><a href="07-gone.html">07 · Gone</a></li></ol>'
    )
    assert [p.message for p in coursemap.check(course, site=site)] == [
        "links 07-gone.html, not a lesson (make html)"
    ]
    scaffold(course, "03", "Third steps")
    coursemap.write(course)
    assert any(
        "03-third-steps: page link missing" in p.message for p in coursemap.check(course, site=site)
    )


def test_readme_without_markers_is_refused(course):
    (course / "README.md").write_text("# Course\n")
    assert any("no lesson table between" in str(p) for p in coursemap.check(course))
    with pytest.raises(ValueError, match="put the two lines"):
        coursemap.write(course)


def test_map_cli(course, capsys):
    from wtcourse.__main__ import main

    assert main(["--root", str(course), "map", "--check"]) == 0
    assert "3 lessons" in capsys.readouterr().out
    shutil.copy(solution(course, "01-first-steps"), course / "solutions" / "05-first-steps.ipynb")
    assert main(["--root", str(course), "map"]) == 1  # --check is the default
    err = capsys.readouterr().err
    assert "title says lesson 01, the file name 05" in err and "make map" in err
    json.loads((course / "solutions" / "00-start-here.ipynb").read_text())  # still valid
