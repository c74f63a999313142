"""Storage rules for notebooks in git, and `python -m wtcourse solutions` that applies them."""

from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from wtcourse.execute import SIZE_BUDGET, execute_notebook

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "course" / "99-tiny.json"


def notebooks(folder):
    found = sorted((ROOT / folder).glob("*.ipynb"))
    return found or [pytest.param(None, marks=pytest.mark.skip(reason=f"no {folder}/*.ipynb yet"))]


def has_widget_state(nb):
    return "widgets" in nb.metadata


@pytest.mark.parametrize("path", notebooks("lessons"), ids=lambda p: p.name if p else "none")
def test_lesson_storage(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i + 1} has outputs"
            assert cell.execution_count is None, f"{path.name} cell {i + 1} has an execution count"
    assert not has_widget_state(nb), f"{path.name} stores widget state"
    assert "exercises" in nb.metadata.get("weights_traversal", {}), (
        f"{path.name} was not made by `make lessons`")


@pytest.mark.parametrize("path", notebooks("solutions"), ids=lambda p: p.name if p else "none")
def test_solution_storage(path):
    size = path.stat().st_size
    assert size < SIZE_BUDGET, f"{path.name} is {size / 1e6:.2f} MB: downsample its figures"
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.strip():
            assert cell.execution_count is not None, (
                f"{path.name} cell {i + 1} was not executed: run `make solutions`")
        for key in ("execution", "ExecuteTime"):
            assert key not in cell.metadata, f"{path.name} cell {i + 1} stores timing metadata"
    assert not has_widget_state(nb), f"{path.name} stores widget state"


# --------------------------------------------------------- executing solutions

@pytest.fixture
def solution(tmp_path):
    path = tmp_path / "99-tiny.ipynb"
    nb = nbformat.read(FIXTURE, as_version=4)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.cells[1].metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
    nb.cells.append(v4.new_code_cell("import os\nprint(os.getcwd())"))
    nbformat.write(nb, path)
    return path


def test_execute_stores_outputs_without_state(solution, capsys):
    assert execute_notebook(solution, timeout=60) == 0
    nb = nbformat.read(solution, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    assert code[-1].outputs[0].text.strip() == str(solution.parent), "cwd is the notebook's folder"
    assert any(o.get("data", {}).get("text/plain") == "Exercise 1.1 — correct ✓"
               for c in code for o in c.outputs)
    assert "widgets" not in nb.metadata
    assert all("execution" not in c.metadata for c in nb.cells)
    assert not [p for p in solution.parent.iterdir() if p.name.endswith(".tmp")]
    assert "executed" in capsys.readouterr().out


def test_failing_cell_leaves_file_untouched(solution, capsys):
    nb = nbformat.read(solution, as_version=4)
    nb.cells.insert(4, v4.new_code_cell("1 / 0"))
    nbformat.write(nb, solution)
    before, mtime = solution.read_bytes(), solution.stat().st_mtime_ns
    assert execute_notebook(solution, timeout=60) == 1
    err = capsys.readouterr().err
    assert str(solution) in err and "cell 5 (id " in err and "ZeroDivisionError" in err
    assert solution.read_bytes() == before and solution.stat().st_mtime_ns == mtime


def test_over_budget_is_reported(solution, capsys):
    assert execute_notebook(solution, timeout=60, budget=1000) == 1
    assert "over the 0.00 MB budget" in capsys.readouterr().err
    assert nbformat.read(solution, as_version=4).cells[1].execution_count == 1
