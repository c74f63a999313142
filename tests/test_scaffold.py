"""`python -m wtcourse lesson NN "Title"`: a new lesson that passes every course check as written.

A scaffolded lesson, in a temporary course, goes through the teacher's whole flow
(`map --write`, `solutions`, `lessons`) and then passes the contract and the map check.
"""

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wtcourse import contract
from wtcourse.contract import MAP_BEGIN, MAP_END
from wtcourse.scaffold import scaffold, slugify

ROOT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


def wtcourse(course, *args, timeout=600):
    result = subprocess.run(
        [sys.executable, "-m", "wtcourse", *args],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"wtcourse {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


def fresh_course(tmp_path):
    """A course with no lessons yet: README with the map markers, the tooling package."""
    course = tmp_path / "course"
    for folder in ("solutions", "lessons"):
        (course / folder).mkdir(parents=True)
    (course / "README.md").write_text(f"# A course\n\n## The lessons\n\n{MAP_BEGIN}\n{MAP_END}\n")
    shutil.copytree(ROOT / "wtcourse", course / "wtcourse", ignore=IGNORE)
    for module in (course / "wtcourse" / "checks").glob("l[0-9]*.py"):
        module.unlink()
    return course


def copied_course(tmp_path):
    """A copy of this course: solutions, lessons, README and the tooling package."""
    course = tmp_path / "course"
    for folder in ("solutions", "lessons", "wtcourse"):
        shutil.copytree(ROOT / folder, course / folder, ignore=IGNORE)
    shutil.copy(ROOT / "README.md", course / "README.md")
    return course


def contract_problems(course, name):
    """The contract test of tests/test_contract.py, for one lesson of `course`."""
    path = course / "wtcourse" / "checks" / f"l{name[:2]}.py"
    spec = importlib.util.spec_from_file_location(f"_scaffolded_l{name[:2]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    solution = json.loads((course / "solutions" / f"{name}.ipynb").read_text())
    lesson = json.loads((course / "lessons" / f"{name}.ipynb").read_text())
    contract.lesson_info(solution, name)
    bad_ids = [c["id"] for c in solution["cells"] if not contract.CELL_ID_RE.match(c["id"])]
    return contract.agreement_problems(solution, lesson, module, name) + bad_ids


def test_scaffolded_lessons_pass_the_whole_flow_in_a_new_course(tmp_path):
    course = fresh_course(tmp_path)
    wtcourse(course, "lesson", "00", "Start here")
    wtcourse(course, "lesson", "99", "A tiny lesson")
    wtcourse(course, "map", "--write")
    wtcourse(course, "solutions")
    wtcourse(course, "lessons")
    for name in ("00-start-here", "99-a-tiny-lesson"):
        assert contract_problems(course, name) == []
    assert "2 lessons" in wtcourse(course, "map", "--check").stdout
    readme = (course / "README.md").read_text()
    assert "[A tiny lesson](lessons/99-a-tiny-lesson.ipynb) | 15 + 10 min" in readme
    lesson = json.loads((course / "lessons" / "99-a-tiny-lesson.ipynb").read_text())
    nav = lesson["cells"][-1]
    assert nav["id"] == "c99-nav" and "**Previous:** [00 · Start here]" in "".join(nav["source"])
    answers = [c for c in lesson["cells"] if c["id"].endswith("-answer")]
    assert all("YOUR CODE HERE" in "".join(c["source"]) for c in answers)


def test_scaffolded_lesson_joins_this_course(tmp_path):
    """Lesson 99 added to a copy of the real course (needs every lesson to meet the contract)."""
    course = copied_course(tmp_path)
    wtcourse(course, "lesson", "99", "A tiny lesson")
    wtcourse(course, "map", "--write")
    wtcourse(course, "solutions", "solutions/99-a-tiny-lesson.ipynb")
    wtcourse(course, "lessons")
    assert contract_problems(course, "99-a-tiny-lesson") == []
    wtcourse(course, "map", "--check")


def test_scaffold_refuses_to_overwrite(tmp_path):
    course = fresh_course(tmp_path)
    written = scaffold(course, "7", "Seven")
    before = {p: p.read_bytes() for p in written}
    assert [p.name for p in written] == ["07-seven.ipynb", "l07.py"]
    with pytest.raises(FileExistsError, match="lesson 07 already exists"):
        scaffold(course, 7, "Another title")
    assert not list((course / "solutions").glob("07-another*"))
    assert {p: p.read_bytes() for p in written} == before
    (course / "solutions" / "07-seven.ipynb").unlink()  # the checks module alone also blocks
    with pytest.raises(FileExistsError, match="l07.py"):
        scaffold(course, 7, "Seven")


def test_the_check_module_holds_no_plain_key(tmp_path):
    course = fresh_course(tmp_path)
    _, checks = scaffold(course, 12, "Keys")
    text = checks.read_text()
    assert 'KEY_12_2 = "sha256:' in text and "expect_choice" in text and "Exercise(" in text


@pytest.mark.parametrize(
    "number, title, match",
    [
        ("100", "x", "0-99"),
        ("six", "x", "0-99"),
        ("-1", "x", "0-99"),
        ("6", "  ", "empty"),
        ("6", "!!", "no letters"),
    ],
)
def test_bad_arguments(tmp_path, number, title, match):
    with pytest.raises(ValueError, match=match):
        scaffold(fresh_course(tmp_path), number, title)


def test_slugify():
    assert slugify("Momentum on the batch bowl") == "momentum-on-the-batch-bowl"
    assert slugify("Ünïcode & 2-D grids: a very long title indeed") == "unicode-2-d-grids-a-very"
