"""Progress at a glance: the lesson's progress cell in a real kernel, and the command."""

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from wtcourse import progress
from wtcourse.contract import CHECK_MIME, CORRECT, NOT_ATTEMPTED, NOT_RUN, WRONG

FIXTURES = Path(__file__).parent / "fixtures" / "checking"
REPO = Path(__file__).resolve().parents[1]


def run_command(argv, capsys):
    parser = argparse.ArgumentParser()
    progress.add_arguments(parser)
    code = progress.run(parser.parse_args(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------
# the progress cell, in a real kernel
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """session.ipynb run top to bottom in a fresh kernel (errors would stop it)."""
    work = tmp_path_factory.mktemp("session")
    nb = nbformat.read(FIXTURES / "session.ipynb", as_version=4)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(FIXTURES), str(REPO), env.get("PYTHONPATH", "")])
    env.pop("WT_STRICT", None)
    client = NotebookClient(
        nb,
        timeout=120,
        startup_timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(work)}},
        shutdown_kernel="immediate",
    )
    client.execute(env=env)
    return nb


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_run_all_reaches_the_end_without_errors(executed):
    cells = _code_cells(executed)
    assert all(c.execution_count is not None for c in cells)
    assert not [o for c in cells for o in c.outputs if o.output_type == "error"]
    assert any("this cell ran" in o.get("text", "") for c in cells for o in c.outputs)


def test_wrong_answers_show_one_red_box_and_no_traceback(executed):
    by_source = {c.source: c for c in _code_cells(executed)}
    (out,) = by_source["check.e7_2(4.0)"].outputs
    assert out.data["text/plain"] == "Exercise 7.2 — not quite: value = 4, expected 3."
    assert 'class="wt-check wt-wrong"' in out.data["text/html"]
    assert out.data[CHECK_MIME] == {
        "exercise": "7.2",
        "status": WRONG,
        "message": "value = 4, expected 3.",
    }
    slip = next(c for c in _code_cells(executed) if "def scale" in c.source)
    (out,) = slip.outputs
    assert out.data["text/plain"] == (
        "Exercise 7.4 — not quite: your code raised ValueError: could not convert string to "
        "float: 'factor'"
    )


def test_progress_cell_shows_the_mixed_session(executed):
    (out,) = _code_cells(executed)[-1].outputs
    text = out.data["text/plain"].splitlines()
    assert text[0] == "Progress: 2 correct · 2 wrong · 1 not attempted · 1 not run (of 6)"
    rows = [re.split(r"\s{2,}", line.strip()) for line in text[1:]]
    assert [(r[0], r[1]) for r in rows] == [
        ("7.1", CORRECT),
        ("7.2", WRONG),
        ("7.3", NOT_ATTEMPTED),
        ("7.4", WRONG),
        ("7.5", CORRECT),
        ("7.6", NOT_RUN),
    ]
    html = out.data["text/html"]
    assert html.count("<tr>") == 7 and "row sums of squares" in html


def test_command_reads_the_executed_session_like_the_cell(executed, tmp_path, capsys):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    nbformat.write(executed, lessons / "07-session.ipynb")
    (lesson,) = progress.scan(lessons)
    assert lesson.state == "ran"
    assert {k: v[0] for k, v in lesson.exercises.items()} == {
        "7.1": CORRECT,
        "7.2": WRONG,
        "7.3": NOT_ATTEMPTED,
        "7.4": WRONG,
        "7.5": CORRECT,
        "7.6": NOT_RUN,
    }
    code, out, _ = run_command(["--lessons", str(lessons)], capsys)
    assert code == 0
    assert "07-session.ipynb: 2 correct · 2 wrong · 1 not attempted · 1 not run (of 6)" in out


# --------------------------------------------------------------------------
# the command on stored fixture notebooks
# --------------------------------------------------------------------------


@pytest.fixture
def lessons(tmp_path):
    """A copy of the fixture lessons/ plus a notebook that is not JSON."""
    folder = tmp_path / "lessons"
    shutil.copytree(FIXTURES / "lessons", folder)
    (folder / "03-broken.ipynb").write_text('{"cells": [ this is not json\n')
    return folder


def test_command_report_on_mixed_lessons(lessons, capsys):
    code, out, err = run_command(["--lessons", str(lessons)], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"Progress in {lessons.resolve()} (from the saved outputs; nothing was run)"
    body = "\n".join(lines[2:])
    expected = (
        "01-mixed.ipynb: 1 correct · 2 wrong · 1 not attempted · 2 not run (of 6)\n"
        "  7.1  correct\n"
        "  7.2  wrong  value = 4, expected 3.\n"
        "  7.3  not attempted\n"
        "  7.4  wrong  on the post's batch, " + "x" * 68 + "…\n"
        "  7.5  not run\n"
        "  7.6  not run\n"
        "02-never-run.ipynb: never run (no saved outputs; 2 exercises)\n"
        "03-broken.ipynb: could not read this notebook (JSONDecodeError: Expecting value: "
        "line 1 column 13 (char 12))\n"
        "04-no-exercises.ipynb: ran; no exercises\n"
        "\n"
        "Never run: 02-never-run.ipynb"
    )
    assert body == expected


def test_latest_verdict_wins_and_forged_bundles_are_ignored():
    lesson = progress.read_lesson(FIXTURES / "lessons" / "01-mixed.ipynb")
    assert lesson.exercises["7.1"] == (CORRECT, None)  # wrong first, correct later
    assert lesson.exercises["7.2"] == (WRONG, "value = 4, expected 3.")  # the reverse
    assert lesson.exercises["7.6"] == (NOT_RUN, None)  # "=HYPERLINK", a list, id "bonus"
    assert "bonus" not in lesson.exercises


def test_command_changes_no_file(lessons, capsys):
    def digest():
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in lessons.iterdir()}

    before = digest()
    run_command(["--lessons", str(lessons)], capsys)
    assert digest() == before


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"[1, 2]", "TypeError"),
        (b'{"cells": 3}', "ValueError: 'cells' is not a list"),
        (b'{"nbformat": 4}', "KeyError: 'cells'"),
        (b"\xff\xfe not utf-8", "UnicodeDecodeError"),
    ],
)
def test_unreadable_notebooks_get_one_line(tmp_path, capsys, content, reason):
    (tmp_path / "01-bad.ipynb").write_bytes(content)
    shutil.copy(FIXTURES / "lessons" / "02-never-run.ipynb", tmp_path)
    code, out, _ = run_command(["--lessons", str(tmp_path)], capsys)
    assert code == 0
    (line,) = [x for x in out.splitlines() if x.startswith("01-bad.ipynb")]
    assert line.startswith(f"01-bad.ipynb: could not read this notebook ({reason}")
    assert "02-never-run.ipynb: never run" in out


def test_odd_cells_and_outputs_are_skipped(tmp_path):
    nb = {
        "cells": [
            "not a cell",
            {"cell_type": "code", "outputs": "nope", "execution_count": 1},
            {"cell_type": "code", "outputs": [3, {"data": []}, {"data": {CHECK_MIME: "{bad"}}]},
            {
                "cell_type": "code",
                "outputs": [
                    {"data": {CHECK_MIME: json.dumps({"exercise": "2.1", "status": "correct"})}}
                ],
            },
            {"cell_type": "markdown", "source": ["### Exercise 2.2", " — title"]},
        ]
    }
    (tmp_path / "x.ipynb").write_text(json.dumps(nb))
    lesson = progress.read_lesson(tmp_path / "x.ipynb")
    assert lesson.state == "ran"
    assert lesson.exercises == {"2.1": (CORRECT, None), "2.2": (NOT_RUN, None)}


def test_default_folder_is_the_course_roots_not_the_cwd(tmp_path, monkeypatch, capsys):
    assert progress.course_root() == REPO
    root = tmp_path / "course"
    shutil.copytree(FIXTURES / "lessons", root / "lessons")
    decoy = tmp_path / "elsewhere"
    (decoy / "lessons").mkdir(parents=True)
    monkeypatch.chdir(decoy)
    monkeypatch.setattr(progress, "course_root", lambda: root)
    code, out, _ = run_command([], capsys)
    assert code == 0 and f"Progress in {(root / 'lessons').resolve()}" in out
    code, out, _ = run_command(["--root", str(root)], capsys)
    assert "01-mixed.ipynb: 1 correct" in out


def test_missing_folder_fails_with_a_message(tmp_path, capsys):
    code, out, err = run_command(["--root", str(tmp_path / "nope")], capsys)
    assert code == 2 and out == ""
    assert "no lessons folder at" in err and "--root" in err


def test_module_runs_as_a_script():
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "wtcourse.progress", "--lessons", str(FIXTURES / "lessons")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Never run: 02-never-run.ipynb" in result.stdout
