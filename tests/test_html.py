"""The static (browser) edition: `python -m wtcourse.html` / `make html`.

These tests need no browser: they check the HTML that is written. The pages
are loaded in headless Chromium by tests/test_browser.py.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

sys.path.insert(0, str(Path(__file__).parent / "browser"))
import wt_browser  # noqa: E402

from wtcourse import html as site  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((REPO_ROOT / "solutions").glob("*.ipynb"))
# A fetched resource: a script, stylesheet, image or frame loaded from elsewhere.
EXTERNAL_FETCH = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//",
                            re.IGNORECASE)


@pytest.fixture(scope="module")
def plotly_js_head() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()[:300]


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    notebooks = wt_browser.write_static_fixtures(root / "nb")
    pages = site.build_site(notebooks, root / "site", run=False, log=lambda msg: None)
    return root, notebooks, pages


def plotly_outputs(nb) -> int:
    return sum(site.PLOTLY_MIME in out.get("data", {})
               for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)


def test_index_lists_every_lesson_in_order_with_objectives(fixture_site):
    root, notebooks, pages = fixture_site
    index = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert [p.name for p in pages] == ["index.html", "90-figures.html", "91-text.html"]
    links = re.findall(r'<a href="([^"]+)">', index)
    assert links == ["90-figures.html", "91-text.html"]
    assert index.index("90 · Figures offline") < index.index("91 · Text only")
    assert index.count("Render a plotly figure offline.") == 2
    assert "Teaching: 5 min" in index


def test_figures_become_divs_with_plotly_inline_once(fixture_site, plotly_js_head):
    root, notebooks, _ = fixture_site
    page = (root / "site" / "90-figures.html").read_text(encoding="utf-8")
    nb = nbformat.read(notebooks[0], as_version=4)
    assert page.count('class="wt-plotly"') == plotly_outputs(nb) == 2
    assert page.count(plotly_js_head) == 1, "plotly.js must be embedded exactly once"
    assert site.PLOTLY_MIME not in page
    assert "Plotly.newPlot" in page
    assert site.WIDGET_NOTE in page and "IntSlider(value=3)" not in page
    assert '"sliders"' in page                     # the kernel-free slider is kept


def test_pages_fetch_nothing_from_the_network(fixture_site):
    root, _, pages = fixture_site
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not EXTERNAL_FETCH.search(text), f"{page.name} loads a resource from the network"
        assert "require.min.js" not in text and "cdnjs.cloudflare.com" not in text


def test_page_without_figures_has_no_plotly(fixture_site, plotly_js_head):
    root, _, _ = fixture_site
    page = (root / "site" / "91-text.html").read_text(encoding="utf-8")
    assert plotly_js_head not in page and "wt-plotly-data" not in page


def test_navigation_links_neighbours(fixture_site):
    root, _, _ = fixture_site
    first = (root / "site" / "90-figures.html").read_text(encoding="utf-8")
    last = (root / "site" / "91-text.html").read_text(encoding="utf-8")
    assert 'href="index.html"' in first and 'href="91-text.html"' in first
    assert 'href="90-figures.html"' in last


def test_solution_markers_are_dropped_from_the_page():
    nb = new_notebook(cells=[new_code_cell(
        "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n")])
    prepared, _ = site.prepare_notebook(nb)
    assert prepared.cells[0].source == "def f(x):\n    return 2 * x\n"
    assert "BEGIN SOLUTION" in nb.cells[0].source          # the original is not modified


def test_figure_json_cannot_close_its_script():
    html = site.figure_html({"data": [{"type": "scatter", "name": "</script><script>alert(1)"}]}, "f")
    assert html.count("</script>") == 1 and "\\u003c/script\\u003e" in html


def test_bad_input_is_refused(tmp_path, monkeypatch, capsys):
    with pytest.raises(TypeError, match="JSON object"):
        site.figure_html([1, 2], "f")
    with pytest.raises(ValueError, match="no notebooks"):
        site.build_site([], tmp_path / "site", run=False)
    monkeypatch.chdir(tmp_path)                 # no solutions/ here
    assert site.main(["--no-execute"]) == 1
    assert "no notebooks to publish" in capsys.readouterr().err


def test_lesson_info_reads_the_first_markdown_cell():
    nb = new_notebook(cells=[
        new_code_cell("x = 1"),
        new_markdown_cell("# 03 · Grid search\nTeaching: 20 min · Exercises: 15 min\n\n"
                          "**Objectives**\n1. Find the best grid point\n   without loops.\n"
                          "2. Refine it.\n\n## Next\n- not an objective\n")])
    info = site.lesson_info(nb)
    assert info.title == "03 · Grid search"
    assert info.objectives == ["Find the best grid point without loops.", "Refine it."]
    assert site.lesson_info(new_notebook(), fallback="x").title == "x"


def test_execute_runs_a_copy_and_leaves_the_source_untouched(tmp_path):
    src = tmp_path / "solutions"
    src.mkdir()
    nb = new_notebook(cells=[
        new_markdown_cell("# 95 · Executed\n\n**Objectives**\n- Run me.\n"),
        new_code_cell("import plotly.graph_objects as go\nfrom gridlib import plotting\n"
                      "plotting.setup_notebook()\nopen('written-by-the-notebook.txt', 'w').close()\n"
                      "go.Figure(go.Scatter(y=[1, 3, 2]))")],
        metadata={"kernelspec": wt_browser.KERNELSPEC})
    path = src / "95-executed.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    out = tmp_path / "site"
    assert site.main([str(path), "--out", str(out), "--timeout", "120"]) == 0
    assert path.read_bytes() == before
    assert not (src / "written-by-the-notebook.txt").exists(), "must run in a temporary copy"
    assert (out / "95-executed.html").read_text(encoding="utf-8").count('class="wt-plotly"') == 1


def test_a_failing_notebook_fails_the_build_naming_it(tmp_path, capsys):
    path = tmp_path / "96-broken.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("1 / 0")],
                                metadata={"kernelspec": wt_browser.KERNELSPEC}), path)
    assert site.main([str(path), "--out", str(tmp_path / "site"), "--timeout", "60"]) == 1
    err = capsys.readouterr().err
    assert "96-broken.ipynb" in err and "ZeroDivisionError" in err


def test_import_gridlib_does_not_import_the_site_builder():
    code = ("import sys, gridlib; bad = [m for m in ('wtcourse.html', 'nbconvert', 'nbformat') "
            "if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT)


@pytest.mark.skipif(not SOLUTIONS, reason="no solution notebooks yet")
def test_every_solution_publishes_with_all_its_figures(tmp_path, plotly_js_head):
    pages = site.build_site(SOLUTIONS, tmp_path / "site", run=False, log=lambda msg: None)
    index = pages[0].read_text(encoding="utf-8")
    for path, page in zip(SOLUTIONS, pages[1:]):
        assert f'href="{path.stem}.html"' in index
        nb = nbformat.read(path, as_version=4)
        text = page.read_text(encoding="utf-8")
        n = plotly_outputs(nb)
        assert text.count('class="wt-plotly"') == n, page.name
        assert text.count(plotly_js_head) == (1 if n else 0), page.name
        assert not EXTERNAL_FETCH.search(text), f"{page.name} loads a resource from the network"
        assert 'src="mathjax/MathJax.js?config=' in text, f"{page.name} has no local MathJax"
    assert (tmp_path / "site" / "mathjax" / "MathJax.js").is_file()
