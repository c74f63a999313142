"""The teachers' grader on a tiny fixture class (one kernel per notebook, one run for all)."""

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from wtcourse.generate import make_lesson, notebook_text

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "course" / "99-tiny.json"
NAME = "99-tiny.ipynb"


def variant(solution, change):
    nb = nbformat.read(solution, as_version=4)
    change(nb)
    return notebook_text(nb)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (course / "solutions").mkdir()
    solution = course / "solutions" / NAME
    shutil.copyfile(FIXTURE, solution)
    subs = course / "submitted"
    texts = {
        "a-corrupt": '{"cells": [',
        "b-loop": variant(solution, lambda nb: nb.cells.insert(5, v4.new_code_cell("while True:\n    pass"))),
        "c-lesson": notebook_text(make_lesson(nbformat.read(solution, as_version=4), "99-tiny")),
        "d-solution": solution.read_text(),
        "e-wrong": variant(solution, lambda nb: setattr(nb.cells[9], "source", 'answer = "a"')),
        "f-dead": variant(solution, lambda nb: nb.cells.insert(5, v4.new_code_cell("import os\nos._exit(1)"))),
        "g-deaf": variant(solution, lambda nb: nb.cells.insert(5, v4.new_code_cell(
            "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"))),
    }
    for who, text in texts.items():
        (subs / who).mkdir(parents=True)
        (subs / who / NAME).write_text(text)
    (subs / "c-lesson" / ".ipynb_checkpoints").mkdir()
    (subs / "c-lesson" / ".ipynb_checkpoints" / NAME).write_text("{}")
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in subs.rglob("*.ipynb")}
    done = subprocess.run(
        [sys.executable, "-m", "wtcourse", "grade", "submitted", "--out", "grades.csv",
         "--json", "grades.json", "--timeout", "5"],
        cwd=course, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(course)},
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in subs.rglob("*.ipynb")}
    with open(course / "grades.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    details = json.loads((course / "grades.json").read_text())
    return {"stdout": done.stdout, "rows": {r["file"].split("/")[1]: r for r in rows},
            "json": {d["file"].split("/")[1]: d for d in details}, "before": before, "after": after}


def exercises(row):
    return [row[f"exercise 1.{i}"] for i in (1, 2, 3)]


def test_submitted_files_are_not_modified(graded):
    assert graded["after"] == graded["before"]


def test_warns_that_it_runs_code(graded):
    assert graded["stdout"].startswith("NOTE: grading RUNS the submitted code")


def test_one_row_per_notebook_checkpoints_skipped(graded):
    assert sorted(graded["rows"]) == ["a-corrupt", "b-loop", "c-lesson", "d-solution", "e-wrong", "f-dead", "g-deaf"]
    assert list(next(iter(graded["rows"].values())))[:4] == ["file", "status", "score", "total"]


def test_solution_gets_full_marks(graded):
    row = graded["rows"]["d-solution"]
    assert (row["status"], row["score"], row["total"]) == ("ok", "3", "3")
    assert exercises(row) == ["correct"] * 3


def test_lesson_runs_to_the_end_and_scores_zero(graded):
    row = graded["rows"]["c-lesson"]
    assert (row["status"], row["score"], row["total"]) == ("ok", "0", "3")
    assert exercises(row) == ["not attempted"] * 3


def test_one_wrong_answer_loses_exactly_that_exercise(graded):
    row = graded["rows"]["e-wrong"]
    assert (row["status"], row["score"]) == ("ok (1 cell raised)", "2")
    assert exercises(row) == ["correct", "correct", "wrong"]
    msg = graded["json"]["e-wrong"]["messages"]["1.3"]
    assert msg == "(a) is not right: np.sum adds every entry, it does not count them."


def test_infinite_loop_times_out_is_interrupted_and_the_rest_is_graded(graded):
    row = graded["rows"]["b-loop"]
    assert row["status"] == "ok (timeout in cell 6 of 12, interrupted after 5 s)"
    assert exercises(row) == ["correct", "correct", "correct"] and row["score"] == "3"


def test_a_hang_that_ignores_interrupts_is_abandoned(graded):
    row = graded["rows"]["g-deaf"]
    assert row["status"] == "timeout in cell 9 of 12 (over 5 s)"     # code cells 6, 8, 9 timed out
    # cells 8 and 9 belong to exercise 1.2: a check that never finishes counts as wrong
    assert exercises(row) == ["correct", "wrong", "not run"] and row["score"] == "1"
    assert "did not finish within 5 s" in graded["json"]["g-deaf"]["messages"]["1.2"]


def test_kernel_death_is_reported(graded):
    row = graded["rows"]["f-dead"]
    assert row["status"] == "kernel died in cell 6 of 12"
    assert exercises(row) == ["correct", "not run", "not run"]


def test_corrupt_file_is_reported_and_the_rest_graded(graded):
    row = graded["rows"]["a-corrupt"]
    assert row["status"] == "unreadable: not valid JSON"
    assert (row["score"], row["total"]) == ("0", "3"), "the exercise list comes from solutions/"
    assert "d-solution" in graded["rows"]


def test_summary_table(graded):
    lines = graded["stdout"].splitlines()
    header = next(ln for ln in lines if ln.startswith("file"))
    assert header.split() == ["file", "score", "1.1", "1.2", "1.3", "status"]
    assert any(ln.startswith("submitted/e-wrong/99-tiny.ipynb") and "2/3     ✓    ✓    ✗  ok" in ln
               for ln in lines)
