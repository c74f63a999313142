"""The teachers' grader: options, statuses, outputs, resuming, parallel runs (fixture course).

The attacks of issue 14 are in test_grading_attacks.py. Kernel runs are slow under load:
no timing is asserted, timeouts are generous.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from wtcourse import grade
from wtcourse.generate import notebook_text
from wtcourse.sandbox import bwrap_available

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "grading"
NAME = "99-tiny.ipynb"
IDS = ["9.1", "9.2", "9.3"]
SANDBOX = "require" if bwrap_available()[0] else "off"


def read(kind: str):
    return nbformat.read(FIXTURE / kind / NAME, as_version=4)


def variant(kind: str, *cells: tuple[int, str], replace: dict[int, str] | None = None) -> str:
    nb = read(kind)
    for index, source in (replace or {}).items():
        nb.cells[index].source = source
    for at, source in sorted(cells, reverse=True):
        nb.cells.insert(at, v4.new_code_cell(source))
    return notebook_text(nb)


def make_course(tmp: Path, submissions: dict[str, str]) -> Path:
    (tmp / "solutions").mkdir(parents=True)
    shutil.copyfile(FIXTURE / "solutions" / NAME, tmp / "solutions" / NAME)
    (tmp / "out").mkdir()
    for who, text in submissions.items():
        (tmp / "subs" / who).mkdir(parents=True)
        (tmp / "subs" / who / NAME).write_text(text)
    return tmp


def command(course: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "wtcourse.grade",
        "subs",
        "--out",
        "out",
        "--solutions",
        "solutions",
        "--checks-path",
        str(FIXTURE / "checks"),
        "--sandbox",
        SANDBOX,
        "--seed",
        "777",
        *extra,
    ]


ENV = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}


def grade_run(course: Path, *extra: str, timeout: float = 1200) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(course, *extra),
        cwd=course,
        env={**ENV, "HOME": str(course)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def rows(course: Path) -> dict[str, dict]:
    with open(course / "out" / "grades.csv", encoding="utf-8", newline="") as fh:
        return {r["file"].split("/")[1]: r for r in csv.DictReader(fh)}


def records(course: Path) -> dict[str, dict]:
    doc = json.loads((course / "out" / "grades.json").read_text())
    return {d["file"].split("/")[1]: d for d in doc["grades"]}


# --- options are validated before any work -----------------------------------------------------


@pytest.fixture(scope="module")
def tiny_course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("opts"), {"alice": variant("solutions")})


@pytest.mark.parametrize(
    "args, message",
    [
        (["--timeout", "0"], "--timeout: expected a positive number of seconds, got '0'"),
        (["--timeout", "-3"], "expected a positive number of seconds, got '-3'"),
        (["--timeout", "abc"], "expected a positive number of seconds, got 'abc'"),
        (["--timeout", "nan"], "expected a positive number of seconds, got 'nan'"),
        (["--timeout", "inf"], "expected a positive number of seconds, got 'inf'"),
        (["--notebook-timeout", "0"], "expected a positive number of seconds, got '0'"),
        (["--jobs", "0"], "--jobs: expected a positive integer, got '0'"),
        (["--jobs", "two"], "--jobs: expected a positive integer, got 'two'"),
        (["--seed", "0"], "0 is the learners' self-check seed"),
        (["--sandbox", "maybe"], "invalid choice: 'maybe'"),
    ],
)
def test_bad_option_values_fail_fast(tiny_course, args, message):
    done = grade_run(tiny_course, *args, timeout=60)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (tiny_course / "out" / "grades.csv").exists()


@pytest.mark.parametrize(
    "setup, args, message",
    [
        (None, ["--out", "missing"], "--out missing is not an existing folder"),
        ("file", ["--out", "a-file"], "--out a-file is not an existing folder"),
        (None, ["--solutions", "nowhere"], "--solutions nowhere is not a folder"),
        ("file", ["--feedback", "a-file/fb"], "--feedback a-file/fb cannot be created"),
    ],
)
def test_bad_folders_fail_fast(tiny_course, setup, args, message):
    if setup == "file":
        (tiny_course / "a-file").write_text("x")
    done = grade_run(tiny_course, *args, timeout=60)
    assert done.returncode == 2 and f"error: {message}" in done.stderr, done.stderr
    assert not (tiny_course / "out" / "grades.csv").exists()


def test_require_fails_fast_without_bwrap(tiny_course, tmp_path):
    done = subprocess.run(
        command(tiny_course)[:-4] + ["--sandbox", "require"],
        cwd=tiny_course,
        env={**ENV, "PATH": str(tmp_path), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert (
        "--sandbox require: bwrap (Debian/Ubuntu package `bubblewrap`) is not installed"
        in done.stderr
    )


# --- statuses of a small class -------------------------------------------------------------------


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(
        tmp_path_factory.mktemp("class"),
        {
            "a-solution": variant("solutions"),
            "b-lesson": variant("lessons"),
            "c-wrong": variant("solutions", replace={9: 'answer = "a"'}),
            "d-loop": variant("solutions", (4, "while True:\n    pass")),
            "e-deaf": variant(
                "solutions",
                (
                    4,
                    "import signal, time\nsignal.signal(signal.SIGINT, "
                    "signal.SIG_IGN)\nwhile True:\n    time.sleep(0.1)",
                ),
                (6, "while True:\n    pass"),
                (7, "while True:\n    pass"),
            ),
            "f-slow": variant("solutions", *[(4, "import time\ntime.sleep(4)")] * 40),
            "g-raises": variant("solutions", (4, "1 / 0")),
        },
    )
    (course / "subs" / "b-lesson" / ".ipynb_checkpoints").mkdir()
    (course / "subs" / "b-lesson" / ".ipynb_checkpoints" / NAME).write_text("{}")
    before = {p: p.read_bytes() for p in (course / "subs").rglob("*.ipynb")}
    done = grade_run(course, "--timeout", "5", "--notebook-timeout", "90", "--jobs", "2")
    after = {p: p.read_bytes() for p in (course / "subs").rglob("*.ipynb")}
    return {
        "done": done,
        "course": course,
        "rows": rows(course),
        "json": records(course),
        "unchanged": before == after,
    }


def test_run_succeeds_and_leaves_submissions_untouched(graded):
    assert graded["done"].returncode == 0, graded["done"].stderr[-3000:]
    assert graded["unchanged"]
    assert sorted(graded["rows"]) == [
        "a-solution",
        "b-lesson",
        "c-wrong",
        "d-loop",
        "e-deaf",
        "f-slow",
        "g-raises",
    ]


def test_csv_layout(graded):
    text = (graded["course"] / "out" / "grades.csv").read_text()
    assert text.splitlines()[0] == "file,status,score,total,exercise 9.1,exercise 9.2,exercise 9.3"


def test_statuses(graded):
    r = graded["rows"]
    assert (r["a-solution"]["status"], r["a-solution"]["score"]) == ("ok", "3")
    assert (r["b-lesson"]["status"], r["b-lesson"]["score"]) == ("ok", "0")
    assert (r["c-wrong"]["status"], r["c-wrong"]["score"]) == ("ok", "2")
    assert r["d-loop"]["status"] == "ok (timeout in cell 5 of 13, interrupted after 5 s)"
    assert r["d-loop"]["score"] == "3"
    assert r["e-deaf"]["status"] == "abandoned: 3 cells timed out, the last in cell 8 of 15"
    assert r["e-deaf"]["score"] == "0"
    assert r["f-slow"]["status"].startswith("over the 90 s cap per notebook in cell ")
    assert (r["g-raises"]["status"], r["g-raises"]["score"]) == ("ok (1 cell raised)", "3")
    assert graded["json"]["g-raises"]["errors"] == ["cell 5: ZeroDivisionError: division by zero"]


def test_wrong_answer_message_comes_from_the_teachers_check(graded):
    rec = graded["json"]["c-wrong"]
    assert rec["exercises"] == {"9.1": "correct", "9.2": "correct", "9.3": "wrong"}
    assert (
        rec["messages"]["9.3"]
        == "(a) is not right: np.sum adds every entry, it does not count them."
    )


def test_json_records_the_run(graded):
    doc = json.loads((graded["course"] / "out" / "grades.json").read_text())
    assert doc["run"]["seed"] == 777 and doc["run"]["sandbox"] in ("bwrap", "off")
    rec = doc["grades"][0]
    assert set(rec) >= {"file", "status", "score", "total", "exercises", "messages"}


def test_feedback_files(graded):
    files = sorted((graded["course"] / "out" / "feedback").glob("*.md"))
    assert len(files) == 7
    text = next(p for p in files if "c-wrong" in p.name).read_text()
    assert "**Score: 2 / 3**" in text
    assert (
        "| 9.3 | ✗ wrong | (a) is not right: np.sum adds every entry, it does not count them. |"
        in text
    )


def test_summary_printed(graded):
    lines = graded["done"].stdout.splitlines()
    assert next(ln for ln in lines if ln.startswith("file")).split() == [
        "file",
        "score",
        "9.1",
        "9.2",
        "9.3",
        "status",
    ]
    assert any(
        ln.startswith("subs/c-wrong/99-tiny.ipynb") and "2/3     ✓    ✓    ✗  ok" in ln
        for ln in lines
    )


# --- a crash keeps the grades so far; a re-run resumes -----------------------------------------


def test_crash_keeps_grades_and_rerun_resumes(tmp_path):
    course = make_course(
        tmp_path,
        {
            "a-solution": variant("solutions"),
            "b-slow": variant("solutions", (4, "import time\ntime.sleep(15)")),
            "c-lesson": variant("lessons"),
        },
    )
    proc = subprocess.Popen(
        command(course),
        cwd=course,
        env={**ENV, "HOME": str(course)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    json_path = course / "out" / "grades.json"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if len(json.loads(json_path.read_text())["grades"]) >= 1:
                break
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # a crash: no clean-up of any kind
    proc.communicate()
    first = rows(course)
    assert list(first) == ["a-solution"] and first["a-solution"]["score"] == "3"
    # the re-run grades only what is missing, then everything is there
    done = grade_run(course)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "resuming: 1 already graded, 2 to grade" in done.stdout
    final = rows(course)
    assert [final[w]["score"] for w in ("a-solution", "b-slow", "c-lesson")] == ["3", "3", "0"]
    # a changed submission is graded again; unchanged ones are not
    (course / "subs" / "c-lesson" / NAME).write_text(variant("solutions"))
    done = grade_run(course)
    assert "resuming: 2 already graded, 1 to grade" in done.stdout
    assert rows(course)["c-lesson"]["score"] == "3"


def test_ctrl_c_keeps_grades(tmp_path):
    course = make_course(
        tmp_path,
        {
            "a-solution": variant("solutions"),
            "b-slow": variant("solutions", (4, "import time\ntime.sleep(600)")),
        },
    )
    proc = subprocess.Popen(
        command(course, "--timeout", "900"),
        cwd=course,
        env={**ENV, "HOME": str(course)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a background job inherits SIGINT ignored; a teacher's Ctrl-C is not ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    json_path = course / "out" / "grades.json"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if len(json.loads(json_path.read_text())["grades"]) >= 1:
                break
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    time.sleep(3)  # b-slow's kernel is running
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted: 1 of 2 graded" in err
    assert list(rows(course)) == ["a-solution"]


# --- 20 submissions: --jobs 2 gives the same grades as --jobs 1 ------------------------------


def twenty() -> dict[str, str]:
    kinds = [
        variant("solutions"),
        variant("lessons"),
        variant("solutions", replace={9: 'answer = "c"'}),
        variant("solutions", replace={3: "def double(x):\n    return 3 * x"}),
        variant("lessons", replace={6: "total = 6.0"}),
    ]
    return {f"s{i:02d}": kinds[i % len(kinds)] for i in range(20)}


def test_twenty_submissions_jobs_2_equals_jobs_1(tmp_path):
    results = {}
    for jobs in ("1", "2"):
        course = make_course(tmp_path / f"jobs{jobs}", twenty())
        done = grade_run(course, "--jobs", jobs)
        assert done.returncode == 0, done.stderr[-3000:]
        results[jobs] = {
            who: (r["status"], r["score"], r["exercises"], r["messages"])
            for who, r in records(course).items()
        }
    assert len(results["1"]) == 20
    assert results["2"] == results["1"]
    assert [results["1"][f"s{i:02d}"][1] for i in range(5)] == [3, 0, 2, 2, 1]


# --- pure functions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("ok", "ok"),
        ("", ""),
        (3, 3),
    ],
)
def test_csv_cell_defuses_formulas(value, expected):
    assert grade.csv_cell(value) == expected


@pytest.mark.parametrize(
    "raw, message",
    [
        (b'{"cells": [', "not valid JSON"),
        (b"\xff\xfe", "not UTF-8 text"),
        (b"[]", "not a notebook (no list of cells)"),
        (b'{"cells": {}}', "not a notebook (no list of cells)"),
        (b'{"cells": [], "nbformat": 3}', "not an nbformat 4 notebook (nbformat=3)"),
        (
            b'{"cells": [{"cell_type": "code", "source": {"a": 1}}], "nbformat": 4}',
            "cell 1: its source is dict, not text",
        ),
    ],
)
def test_code_cells_rejects_non_notebooks(raw, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        grade.code_cells(raw)


def test_code_cells_ignores_everything_but_code_sources():
    doc = {
        "nbformat": 4,
        "metadata": [1, 2],
        "cells": [
            {"cell_type": "markdown", "source": 5},
            "junk",
            {"cell_type": "code", "source": ["a = 1\n", "b = 2"], "outputs": "x", "id": 7},
            {"cell_type": "code", "source": "c = 3", "metadata": "bad"},
        ],
    }
    assert grade.code_cells(json.dumps(doc).encode()) == ([(2, "a = 1\nb = 2"), (3, "c = 3")], 4)


def test_teacher_lesson_reads_the_solutions_check_cells():
    sys.path.insert(0, str(FIXTURE / "checks"))
    try:
        lesson = grade.TeacherLesson.load(FIXTURE / "solutions" / NAME, seed=5)
    finally:
        sys.path.remove(str(FIXTURE / "checks"))
    assert lesson.module == "wtfix_l99"
    assert [(p.exercise, p.attr, p.args) for p in lesson.probes] == [
        ("9.1", "e9_1", ["double"]),
        ("9.2", "e9_2", ["total"]),
        ("9.3", "e9_3", ["answer"]),
    ]
    sys.path.insert(0, str(FIXTURE / "checks"))
    try:
        other = grade.TeacherLesson.load(FIXTURE / "solutions" / NAME, seed=6)
    finally:
        sys.path.remove(str(FIXTURE / "checks"))
    assert other.check_hash != lesson.check_hash, "a resumed run never mixes grading seeds"


def test_feedback_name_is_flat_and_safe():
    name = grade.feedback_name("../class/=evil/01-x.ipynb")
    assert "/" not in name and name.endswith(".md") and not name.startswith((".", "="))
    assert grade.feedback_name("a/b.ipynb") != grade.feedback_name("a_b.ipynb")


def test_auto_without_bwrap_warns_once_and_grades(tmp_path):
    course = make_course(tmp_path, {"a": variant("solutions"), "b": variant("lessons")})
    done = subprocess.run(
        command(course)[:-4] + ["--sandbox", "auto", "--seed", "3"],
        cwd=course,
        env={**ENV, "PATH": str(tmp_path), "HOME": str(tmp_path)},  # no bwrap on this PATH
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr.count("grading is NOT isolated") == 1
    assert "sandbox off" in done.stdout
    assert [rows(course)[w]["score"] for w in ("a", "b")] == ["3", "0"]
