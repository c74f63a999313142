"""Lesson generation: placeholder rules, clean cells, stable ids, never destroying work."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from wtcourse import generate as gen
from wtcourse.generate import GenerationError, make_lesson, notebook_text, strip_solutions

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "course" / "99-tiny.json"
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


# ----------------------------------------------------------------- placeholders

def test_function_region_returns_placeholder():
    src = ('def batch_loss(W, X, y):\n    """Doc."""\n    ### BEGIN SOLUTION\n'
           '    R = y[None, :] - W @ X.T\n    return np.einsum("ij,ij->i", R, R)\n'
           '    ### END SOLUTION\n')
    assert strip_solutions(src) == ('def batch_loss(W, X, y):\n    """Doc."""\n'
                                    '    return ...  # YOUR CODE HERE\n')


def test_top_level_region_one_line_per_name():
    src = "x = 1\n### BEGIN SOLUTION\nW, b = 1, 2\nlr: float = 0.1\nfor k in range(3):\n    W += k\n### END SOLUTION\nprint(W)"
    assert strip_solutions(src) == ("x = 1\nW = ...  # YOUR CODE HERE\nb = ...  # YOUR CODE HERE\n"
                                    "lr = ...  # YOUR CODE HERE\nk = ...  # YOUR CODE HERE\nprint(W)")


def test_region_without_names_is_a_comment():
    assert strip_solutions("### BEGIN SOLUTION\nprint(1)\n### END SOLUTION") == "# YOUR CODE HERE"


def test_indented_region_without_return_stays_valid():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    y = 2 * x\n    ### END SOLUTION\n    return y"
    assert strip_solutions(src) == "def f(x):\n    y = ...  # YOUR CODE HERE\n    return y"
    src = "for i in range(2):\n    ### BEGIN SOLUTION\n    print(i)\n    ### END SOLUTION"
    out = strip_solutions(src)
    assert out == "for i in range(2):\n    ...  # YOUR CODE HERE"
    compile(out, "<cell>", "exec")


def test_nested_return_counts():
    src = ("def f(x):\n    ### BEGIN SOLUTION\n    if x > 0:\n        return x\n    else:\n"
           "        return -x\n    ### END SOLUTION")
    assert strip_solutions(src) == "def f(x):\n    return ...  # YOUR CODE HERE"


def test_top_level_def_keeps_signature_and_docstring():
    src = ('### BEGIN SOLUTION\n@decorator\ndef grad(w,\n         X):\n    """Gradient.\n\n    Long.\n    """\n'
           '    return 2 * X.T @ w\nstep = 0.1\n### END SOLUTION')
    assert strip_solutions(src) == ('@decorator\ndef grad(w,\n         X):\n    """Gradient.\n\n    Long.\n'
                                    '    """\n    return ...  # YOUR CODE HERE\nstep = ...  # YOUR CODE HERE')


def test_whole_cell_answer():
    assert strip_solutions('answer = "b"\n', whole_cell=True) == "answer = ...  # YOUR CODE HERE\n"


def test_cells_without_markers_are_untouched():
    src = "x = 1  \n\n%timeit x\n"
    assert strip_solutions(src) is src


def test_magics_in_region_are_understood():
    src = "### BEGIN SOLUTION\n%time losses = f(W)\n### END SOLUTION"
    assert strip_solutions(src) == "# YOUR CODE HERE"


@pytest.mark.parametrize("src, match", [
    ("### BEGIN SOLUTION\nx = 1", "BEGIN SOLUTION without END"),
    ("x = 1\n### END SOLUTION", "END SOLUTION without BEGIN"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "nested"),
    ("### BEGIN SOLUTION\nx = (\n### END SOLUTION\n)", "not valid Python on its own"),
])
def test_bad_markers(src, match):
    with pytest.raises(GenerationError, match=match):
        strip_solutions(src)


# ----------------------------------------------------------------- notebooks

def executed_solution():
    nb = nbformat.read(FIXTURE, as_version=4)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.execution_count = i
            cell.outputs = [v4.new_output("stream", name="stdout", text="hi\n")]
            cell.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00Z"}
    return nb


def test_make_lesson_clears_and_keeps_ids():
    sol = executed_solution()
    before = json.dumps(sol, sort_keys=True)
    lesson = make_lesson(sol, "99-tiny")
    assert json.dumps(sol, sort_keys=True) == before, "the solution must not be modified"
    assert [c.id for c in lesson.cells] == [c.id for c in sol.cells]
    for cell in lesson.cells:
        assert "execution" not in cell.metadata
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert "BEGIN SOLUTION" not in cell.source
    assert "widgets" not in lesson.metadata
    meta = lesson.metadata["weights_traversal"]
    assert meta["lesson"] == "99-tiny" and meta["exercises"] == ["1.1", "1.2", "1.3"]
    assert meta["generated_hash"] == gen.generated_hash(lesson)
    assert lesson.cells[9].source == "answer = ...  # YOUR CODE HERE"
    nbformat.validate(lesson)


@pytest.fixture
def course(tmp_path):
    (tmp_path / "solutions").mkdir()
    shutil.copyfile(FIXTURE, tmp_path / "solutions" / "99-tiny.ipynb")
    return tmp_path


def run(course, *args):
    return gen.generate(course / "solutions", course / "lessons", *args)


def test_generate_then_regenerate(course, capsys):
    assert run(course) == 0
    lesson = course / "lessons" / "99-tiny.ipynb"
    text = lesson.read_text()
    assert "wrote" in capsys.readouterr().out
    assert run(course) == 0 and lesson.read_text() == text
    assert gen.generate(course / "solutions", course / "lessons", check=True) == 0
    # the author edits the solution: the untouched lesson is updated
    sol = nbformat.read(course / "solutions" / "99-tiny.ipynb", as_version=4)
    sol.cells[0].source += "\nMore text."
    nbformat.write(sol, course / "solutions" / "99-tiny.ipynb")
    assert gen.generate(course / "solutions", course / "lessons", check=True) == 1
    assert "out of date" in capsys.readouterr().err
    assert run(course) == 0
    assert "More text." in lesson.read_text()
    assert gen.generate(course / "solutions", course / "lessons", check=True) == 0


def test_unknown_files_left_alone(course):
    (course / "lessons").mkdir()
    extra = course / "lessons" / "my-notes.ipynb"
    extra.write_text("not even json")
    assert run(course) == 0
    assert extra.read_text() == "not even json"


def learner_touches(path, how):
    nb = nbformat.read(path, as_version=4)
    if how == "executed":
        nb.cells[1].execution_count = 1
    elif how == "output":
        nb.cells[1].outputs = [v4.new_output("stream", name="stdout", text="x\n")]
    else:
        nb.cells[3].source = nb.cells[3].source.replace("return ...", "return 2 * x")
    nbformat.write(nb, path)


@pytest.mark.parametrize("how", ["executed", "output", "edited"])
def test_refuses_to_overwrite_learner_work_then_force_backs_up(course, capsys, how):
    assert run(course) == 0
    lesson = course / "lessons" / "99-tiny.ipynb"
    learner_touches(lesson, how)
    mine = lesson.read_bytes()
    sol = nbformat.read(course / "solutions" / "99-tiny.ipynb", as_version=4)
    sol.cells[0].source += "\nNew paragraph."
    nbformat.write(sol, course / "solutions" / "99-tiny.ipynb")
    capsys.readouterr()
    assert run(course) == 1
    err = capsys.readouterr().err
    assert f"refusing to overwrite {lesson}" in err and "--force" in err
    assert lesson.read_bytes() == mine
    assert gen.generate(course / "solutions", course / "lessons", force=True) == 0
    out = capsys.readouterr().out
    (backup,) = (course / "lessons").glob("99-tiny.ipynb.bak-*")
    assert f"backed up {lesson} to {backup}" in out
    assert backup.read_bytes() == mine
    assert "New paragraph." in lesson.read_text()
    # a second forced run with learner work again makes a second, distinct backup
    learner_touches(lesson, how)
    assert gen.generate(course / "solutions", course / "lessons", force=True) == 0
    assert len(list((course / "lessons").glob("99-tiny.ipynb.bak-*"))) == 2


def test_edited_but_regenerated_identical_is_fine(course):
    """A lesson whose cells already equal the new content is not learner work."""
    assert run(course) == 0
    lesson = course / "lessons" / "99-tiny.ipynb"
    nb = nbformat.read(lesson, as_version=4)
    del nb.metadata["weights_traversal"]
    nbformat.write(nb, lesson)
    assert run(course) == 0


def test_bad_solution_is_an_error(course, capsys):
    nb = nbformat.read(course / "solutions" / "99-tiny.ipynb", as_version=4)
    nb.cells[3].source = nb.cells[3].source.replace("    ### END SOLUTION", "")
    nbformat.write(nb, course / "solutions" / "99-tiny.ipynb")
    assert run(course) == 2
    assert "99-tiny: cell 3 (id cell-03): line 3: BEGIN SOLUTION without END" in capsys.readouterr().err


def test_command_line(course):
    """The CLI wiring (one subprocess: importing nbformat is slow in some environments)."""
    cmd = [sys.executable, "-m", "wtcourse", "lessons"]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "wrote lessons/99-tiny.ipynb" in done.stdout
    assert gen.generate(course / "solutions", course / "lessons", check=True) == 0


# ----------------------------------------------------------------- the real course

@pytest.mark.parametrize("solution", SOLUTIONS or [pytest.param(None, marks=pytest.mark.skip(
    reason="no solutions/*.ipynb yet"))], ids=lambda p: p.name if p else "none")
def test_committed_lesson_is_what_the_generator_makes(solution):
    lesson = ROOT / "lessons" / solution.name
    assert lesson.exists(), f"{lesson} is missing: run `make lessons`"
    expected = notebook_text(make_lesson(nbformat.read(solution, as_version=4), solution.stem))
    assert lesson.read_text(encoding="utf-8") == expected, (
        f"{lesson} differs from what `make lessons` generates from {solution}")
