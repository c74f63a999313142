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
        f"{path.name} was not made by `make lessons`"
    )


@pytest.mark.parametrize("path", notebooks("solutions"), ids=lambda p: p.name if p else "none")
def test_solution_storage(path):
    size = path.stat().st_size
    assert size < SIZE_BUDGET, f"{path.name} is {size / 1e6:.2f} MB: downsample its figures"
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.strip():
            assert cell.execution_count is not None, (
                f"{path.name} cell {i + 1} was not executed: run `make solutions`"
            )
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
    assert any(
        o.get("data", {}).get("text/plain") == "Exercise 1.1 — correct ✓"
        for c in code
        for o in c.outputs
    )
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


# --------------------------------------------------- stable bytes (issue 17)

JITTER_CELL = """import base64, os, time, uuid
import numpy as np
from IPython.display import display
# Different in every run, like the last-bit differences of a BLAS or SIMD reduction:
jitter = 1 + (int.from_bytes(os.urandom(4), "little") / 2**32 - 0.5) * 1e-12
y = (0.123456123 + np.arange(11) / 10) * jitter  # far from any 6-digit rounding boundary
fig = {"data": [{"type": "scatter", "x": list(range(11)), "y": y.tolist()},
                {"type": "scatter", "y": {"dtype": "f8", "bdata": base64.b64encode(y.tobytes()).decode()}}],
       "layout": {"title": {"text": "jitter"}}}
display({"application/vnd.plotly.v1+json": fig, "text/plain": "figure"}, raw=True)
display({"application/vnd.jupyter.widget-view+json": {"model_id": uuid.uuid4().hex,
         "version_major": 2, "version_minor": 0}, "text/plain": "a widget"}, raw=True)
print("first", flush=True)  # two stream messages, however the kernel's timing falls
time.sleep(0.2)
print("second", flush=True)"""


def test_round_figure_plain_and_typed_arrays():
    import base64

    import numpy as np

    from wtcourse.execute import round_figure

    y = np.array([0.1234561234, 2 / 3, -1e-300, 12345678.9, np.inf])
    typed = {"dtype": "f8", "bdata": base64.b64encode(y.tobytes()).decode(), "shape": "5"}
    got = round_figure({"y": y.tolist(), "t": typed, "n": 7, "s": "x"})
    assert got["y"] == [0.123456, 0.666667, -1e-300, 12345700.0, np.inf]
    assert got["n"] == 7 and got["s"] == "x" and got["t"]["shape"] == "5"
    back = np.frombuffer(base64.b64decode(got["t"]["bdata"]), dtype="f8")
    np.testing.assert_array_equal(back, got["y"])
    ints = {"dtype": "i4", "bdata": base64.b64encode(np.arange(3, dtype="i4").tobytes()).decode()}
    assert round_figure(ints) == ints
    a, b = y[:4] * (1 + 1e-13), y[:4] * (1 - 1e-13)
    assert a.tolist() != b.tolist() and round_figure(a.tolist()) == round_figure(b.tolist())


def test_executing_twice_stores_identical_bytes(tmp_path):
    path = tmp_path / "99-jitter.ipynb"
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell(JITTER_CELL)]), path)
    stored = []
    for _ in range(2):
        assert execute_notebook(path, timeout=60) == 0
        stored.append(path.read_bytes())
    assert stored[0] == stored[1]
    cell = nbformat.reads(stored[0].decode(), as_version=4).cells[0]
    outputs = cell.outputs
    fig = outputs[0].data["application/vnd.plotly.v1+json"]
    assert fig["data"][0]["y"][:2] == [0.123456, 0.223456]
    assert outputs[1].data["application/vnd.jupyter.widget-view+json"]["model_id"] == f"{cell.id}-1"
    assert len(outputs) == 3 and outputs[2].text == "first\nsecond\n"


# ------------------------------------------------ measurements (tag "measured")

TIMING_CELL = """import time
t0 = time.perf_counter()
sum(range(10_000))
elapsed = time.perf_counter() - t0 + 1e-9 * int.from_bytes(__import__("os").urandom(2), "little")
print(f"took {elapsed * 1e6:.4f} us, {1 / elapsed:,.1f} per second")
print("verdict:", "fast" if elapsed * 1e9 % 2 < 1 else "slow")  # words derived from a measurement"""


def _measured_notebook(path, source=TIMING_CELL, tags=("measured",)):
    cell = v4.new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    nbformat.write(v4.new_notebook(cells=[cell, v4.new_code_cell("print(2 + 2)")]), path)


def _timing_text(path):
    return nbformat.read(path, as_version=4).cells[0].outputs[0].text


def test_measured_cell_keeps_its_stored_numbers(tmp_path, capsys):
    path = tmp_path / "99-timed.ipynb"
    _measured_notebook(path)
    stored = []
    for _ in range(3):
        assert execute_notebook(path, timeout=60) == 0
        stored.append(path.read_bytes())
    assert stored[0] == stored[1] == stored[2]
    assert capsys.readouterr().out.count("kept the stored measurements of") == 2
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["weights_traversal"]["measured"] == {nb.cells[0].id: _key(nb.cells[0])}
    assert nb.cells[1].outputs[0].text == "4\n", "other cells are stored as run"
    first = _timing_text(path)
    assert execute_notebook(path, timeout=60, remeasure=True) == 0
    assert _timing_text(path) != first, "--remeasure stores this run's numbers"


def test_untagged_timing_cell_changes_every_run(tmp_path):
    # Without the tag the same notebook is not byte-stable: the tag is what makes it so.
    path = tmp_path / "99-untagged.ipynb"
    _measured_notebook(path, tags=())
    texts = set()
    for _ in range(2):
        assert execute_notebook(path, timeout=60) == 0
        texts.add(_timing_text(path))
    assert len(texts) == 2
    assert "weights_traversal" not in nbformat.read(path, as_version=4).metadata


def test_measured_cell_with_new_text_or_source_is_stored_anew(tmp_path):
    path = tmp_path / "99-timed.ipynb"
    _measured_notebook(path)
    assert execute_notebook(path, timeout=60) == 0
    # The same source, but the stored output has another shape (e.g. edited by hand, or
    # stale): only what the lines say may differ for it to be kept.
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].outputs[0].text = "took 1.0 us, 2.0 per second\nverdict: fast\n-- hand-written\n"
    nbformat.write(nb, path)
    assert execute_notebook(path, timeout=60) == 0
    assert "hand-written" not in _timing_text(path)
    # A changed source: its old numbers measured other code, so they are not kept.
    nb = nbformat.read(path, as_version=4)
    old = nb.cells[0].outputs[0].text
    nb.cells[0].source = TIMING_CELL.replace("10_000", "20_000")
    nbformat.write(nb, path)
    assert execute_notebook(path, timeout=60) == 0
    assert _timing_text(path) != old
    # Outputs stored by another tool (no key recorded by `make solutions`) are not kept.
    nb = nbformat.read(path, as_version=4)
    nb.metadata["weights_traversal"].pop("measured")
    old = nb.cells[0].outputs[0].text
    nbformat.write(nb, path)
    assert execute_notebook(path, timeout=60) == 0
    assert _timing_text(path) != old


def _key(cell):
    import hashlib

    return hashlib.sha256(cell.source.encode()).hexdigest()[:16]


def test_solution_timings_are_tagged_measured():
    # Every solution cell that times code must carry the tag, or `make solutions` is not
    # byte-stable (issue 17).
    untagged = []
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            timed = "best_time(" in cell.source or "perf_counter(" in cell.source
            if cell.cell_type == "code" and timed and cell.get("outputs"):
                if "measured" not in cell.metadata.get("tags", []):
                    untagged.append(f"{path.name}:{cell.id}")
    assert not untagged, f"cells that print timings need the tag 'measured': {untagged}"


@pytest.mark.parametrize("name", ["00-start-here", "04-matrix-gradient-identity"])
def test_real_solution_executed_twice_stores_identical_bytes(name, tmp_path):
    # Two real lessons, twice each in a fresh kernel: 00 has a measured timing, figures and
    # printed tables; 04's error curve is the one whose last bits changed between runs before
    # figures were rounded (issue 17). `make solutions` twice on every notebook is checked by
    # hand before a release (see docs/authoring.md); this test keeps the two cases honest.
    import shutil

    path = tmp_path / f"{name}.ipynb"
    shutil.copy(ROOT / "solutions" / path.name, path)
    stored = []
    for _ in range(2):
        assert execute_notebook(path, timeout=300, root=ROOT) == 0
        stored.append(path.read_bytes())
    assert stored[0] == stored[1], f"{name}: a second run stored different bytes"
