"""The static (browser) edition: `python -m wtcourse html` / `make html`.

These tests need no browser: they check the HTML and the files that are written.
The pages are loaded in headless Chromium by tests/test_browser.py.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

sys.path.insert(0, str(Path(__file__).parent / "browser"))
import wt_browser  # noqa: E402

from wtcourse import contract  # noqa: E402
from wtcourse import html as site  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((REPO_ROOT / "solutions").glob("*.ipynb"))
# A fetched resource: a script, stylesheet, image or frame loaded from elsewhere.
EXTERNAL_FETCH = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE
)
QUIET = lambda msg: None  # noqa: E731


@pytest.fixture(scope="module")
def plotly_js_head() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()[:300]


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    notebooks = wt_browser.write_static_fixtures(root / "nb")
    pages = site.build_site(notebooks, root / "site", run=False, log=QUIET)
    return root, notebooks, pages


def test_index_lists_every_lesson_in_order_with_objectives(fixture_site):
    root, notebooks, pages = fixture_site
    index = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert [p.name for p in pages] == ["index.html", "90-figures.html", "91-text.html"]
    links = re.findall(r'<a href="([^"]+)">', index)
    assert links == ["90-figures.html", "91-text.html"]
    assert index.index("90 · Figures offline") < index.index("91 · Text only")
    assert index.count("Show a note in place of a widget.") == 2
    assert index.count("Teaching: 5 min · Exercises: 0 min · Execution budget: under 30 s") == 2


def test_index_loads_the_sites_mathjax_for_its_formulas(fixture_site):
    root, _, _ = fixture_site
    index = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert f'src="{site.MATHJAX_URL}"' in index and "\\|y - Xw\\|^2" in index
    assert (root / "site" / "mathjax" / "MathJax.js").is_file()


def test_plotly_js_is_written_once_and_shared(fixture_site, plotly_js_head):
    root, notebooks, _ = fixture_site
    out = root / "site"
    page = (out / "90-figures.html").read_text(encoding="utf-8")
    nb = nbformat.read(notebooks[0], as_version=4)
    assert page.count('class="wt-plotly"') == wt_browser.plotly_outputs(nb) == 2
    assert plotly_js_head not in page, "plotly.js must not be inlined"
    assert page.count(f'src="{site.PLOTLY_FILE}"') == 1
    assert (out / site.PLOTLY_FILE).read_text(encoding="utf-8").startswith(plotly_js_head)
    holders = [p.name for p in out.rglob("*.js") if plotly_js_head in p.read_text(errors="replace")]
    assert holders == [site.PLOTLY_FILE]
    assert contract.PLOTLY_MIME not in page and "Plotly.newPlot" in page
    assert site.WIDGET_NOTE in page and "IntSlider(value=3)" not in page
    assert '"sliders"' in page  # the kernel-free slider is kept


def test_the_lab_style_sheet_is_shared_too(fixture_site):
    root, _, pages = fixture_site
    css = (root / "site" / site.LAB_CSS_FILE).read_text(encoding="utf-8")
    assert ".jp-Notebook" in css and len(css) > 100_000
    for page in pages[1:]:
        text = page.read_text(encoding="utf-8")
        assert text.count(f'href="{site.LAB_CSS_FILE}"') == 1 and ".jp-Notebook {" not in text


def test_pages_fetch_nothing_from_the_network(fixture_site):
    root, _, pages = fixture_site
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not EXTERNAL_FETCH.search(text), f"{page.name} loads a resource from the network"
        assert "require.min.js" not in text and "cdnjs.cloudflare.com" not in text


def test_page_without_figures_loads_no_plotly(fixture_site):
    root, _, _ = fixture_site
    page = (root / "site" / "91-text.html").read_text(encoding="utf-8")
    assert site.PLOTLY_FILE not in page and "wt-plotly-data" not in page


def test_navigation_links_neighbours(fixture_site):
    root, _, _ = fixture_site
    first = (root / "site" / "90-figures.html").read_text(encoding="utf-8")
    last = (root / "site" / "91-text.html").read_text(encoding="utf-8")
    assert 'href="index.html"' in first and 'href="91-text.html"' in first
    assert 'href="90-figures.html"' in last


@pytest.mark.parametrize("hashes", ["#", "##", "###", "####"])
def test_solution_markers_are_dropped_from_the_page(hashes):
    """Every marker the contract accepts (issue 13: `# BEGIN SOLUTION` showed on the site)."""
    nb = new_notebook(
        cells=[
            new_code_cell(
                f"def f(x):\n    {hashes} BEGIN SOLUTION\n    return 2 * x\n"
                f"    {hashes} END SOLUTION\n"
            )
        ]
    )
    prepared, _ = site.prepare_notebook(nb)
    assert prepared.cells[0].source == "def f(x):\n    return 2 * x\n"
    assert "BEGIN SOLUTION" in nb.cells[0].source  # the original is not modified


def test_learner_edition_hides_answers_and_their_outputs(tmp_path):
    notebooks = wt_browser.write_static_fixtures(tmp_path / "nb")
    pages = site.build_site(notebooks, tmp_path / "site", run=False, log=QUIET, learner=True)
    text = pages[1].read_text(encoding="utf-8")
    assert wt_browser.SECRET_ANSWER not in text and wt_browser.SECRET_OUTPUT not in text
    assert "YOUR CODE HERE" in text and "Learner edition" in pages[0].read_text(encoding="utf-8")
    assert text.count('class="wt-plotly"') == 2  # the other outputs stay
    assert "hello" in text


def test_learner_version_uses_the_lesson_placeholders_and_drops_check_outputs():
    from wtcourse.generate import strip_solutions

    answer = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
    whole = new_code_cell("answer_1_5 = 'c'", metadata={"tags": [contract.SOLUTION_TAG]})
    check_out = new_output("display_data", data={contract.CHECK_MIME: {"status": "correct"}})
    nb = new_notebook(
        cells=[
            new_markdown_cell("### Exercise 1.1 — f"),
            new_code_cell(answer, outputs=[new_output("stream", name="stdout", text="x")]),
            whole,
            new_code_cell("check.e1_1(f)", outputs=[check_out]),
            new_code_cell("print(3)", outputs=[new_output("stream", name="stdout", text="3\n")]),
        ]
    )
    learner = site.learner_version(nb)
    assert learner.cells[1].source == strip_solutions(answer)
    assert learner.cells[2].source == strip_solutions("answer_1_5 = 'c'", whole_cell=True)
    assert [len(c.outputs) for c in learner.cells[1:]] == [0, 0, 0, 1]
    assert len(nb.cells[1].outputs) == 1  # the original is not modified


def test_figure_json_cannot_close_its_script():
    html = site.figure_html(
        {"data": [{"type": "scatter", "name": "</script><script>alert(1)"}]}, "f"
    )
    assert html.count("</script>") == 1 and "\\u003c/script\\u003e" in html


def test_bad_input_is_refused(tmp_path, capsys):
    with pytest.raises(TypeError, match="JSON object"):
        site.figure_html([1, 2], "f")
    with pytest.raises(ValueError, match="no notebooks"):
        site.build_site([], tmp_path / "site", run=False)
    assert site.main(["--root", str(tmp_path), "--no-execute"]) == 1  # no solutions/ here
    assert "no notebooks to publish" in capsys.readouterr().err
    for bad in ("0", "-1", "nan", "soon"):
        with pytest.raises(SystemExit):
            site.main(["--timeout", bad])
        assert "seconds" in capsys.readouterr().err


def test_a_folder_not_written_by_the_command_is_never_overwritten(tmp_path, capsys):
    notebooks = wt_browser.write_static_fixtures(tmp_path / "nb")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.html").write_text("my notes", encoding="utf-8")
    args = [str(p) for p in notebooks] + ["--no-execute", "--out", str(mine)]
    assert site.main(args) == 1
    assert "not written by this command" in capsys.readouterr().err
    assert (mine / "notes.html").read_text(encoding="utf-8") == "my notes"
    out = tmp_path / "site"
    assert site.main([str(notebooks[0]), "--no-execute", "--out", str(out)]) == 0
    assert site.main([str(notebooks[1]), "--no-execute", "--out", str(out)]) == 0  # a rebuild
    assert sorted(p.name for p in out.glob("*.html")) == ["91-text.html", "index.html"]


def test_the_command_reports_page_weights(tmp_path, capsys):
    notebooks = wt_browser.write_static_fixtures(tmp_path / "nb")
    out = tmp_path / "site"
    assert site.main([str(p) for p in notebooks] + ["--no-execute", "--out", str(out)]) == 0
    report = capsys.readouterr().out
    rows = {line.split()[0]: line for line in report.splitlines() if line.endswith(("kB", "MB"))}
    assert set(rows) >= {"index.html", "90-figures.html", "91-text.html"}
    assert "plotly.min.js" in report and "on disk" in report
    plotly = (out / site.PLOTLY_FILE).stat().st_size
    css = (out / site.LAB_CSS_FILE).stat().st_size
    size = {name: (out / name).stat().st_size for name in rows if name.endswith(".html")}
    assert rows["90-figures.html"].endswith(site._mb(size["90-figures.html"] + css + plotly))
    assert rows["91-text.html"].endswith(site._mb(size["91-text.html"] + css))  # no plotly.js
    assert rows["index.html"].split()[3] == "-"  # loads no shared file


def test_the_cli_interface_for_the_course_command(tmp_path):
    """`python -m wtcourse html` calls add_arguments(parser) and run(args) (args.root set)."""
    course = tmp_path / "course"
    wt_browser.write_static_fixtures(course / "solutions")
    (course / "lessons").mkdir()
    parser = argparse.ArgumentParser()
    site.add_arguments(parser)
    args = parser.parse_args(["--no-execute", "--learner"])
    args.root = course
    assert site.run(args) == 0
    assert (course / "site" / "index.html").is_file()
    assert "Learner edition" in (course / "site" / "index.html").read_text(encoding="utf-8")


def test_python_m_wtcourse_html_still_works(tmp_path):
    notebooks = wt_browser.write_static_fixtures(tmp_path / "nb")
    out = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "wtcourse.html", "--no-execute", "--out", str(out)]
        + [str(p) for p in notebooks],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "site written to" in done.stdout and (out / "90-figures.html").is_file()


def test_lesson_info_reads_the_title_cell_and_makes_timing_uniform():
    nb = new_notebook(
        cells=[
            new_code_cell("x = 1"),
            new_markdown_cell(
                "# 03 · Grid search\nTeaching: 20 min · Exercises: 15 min · Runs in under 90 s\n\n"
                "**Objectives**\n1. Find the best grid point\n   without loops.\n"
                "2. Refine it.\n\n## Next\n- not an objective\n"
            ),
        ]
    )
    info = site.lesson_info(nb)
    assert info.title == "03 · Grid search"
    assert info.timing == "Teaching: 20 min · Exercises: 15 min · Execution budget: under 90 s"
    assert info.objectives == ["Find the best grid point without loops.", "Refine it."]
    late = new_notebook(
        cells=[
            new_markdown_cell(
                "# 04 · Identity\n\nTeaching: 35 min · Exercises: 30 min\n\n"
                "**Objectives**\n- Derive it.\n\nExecution budget: under 30 s.\n"
            )
        ]
    )
    info = site.lesson_info(late)
    assert info.timing == "Teaching: 35 min · Exercises: 30 min · Execution budget: under 30 s"
    assert info.objectives == ["Derive it."]
    assert site.lesson_info(new_notebook(), fallback="x").title == "x"


def test_execute_runs_a_copy_quietly_and_leaves_the_source_untouched(tmp_path, capfd):
    src = tmp_path / "solutions"
    src.mkdir()
    nb = new_notebook(
        cells=[
            new_markdown_cell("# 95 · Executed\n\n**Objectives**\n- Run me.\n"),
            new_code_cell(
                "import plotly.graph_objects as go\nfrom gridlib import plotting\n"
                "plotting.setup_notebook()\nopen('written-by-the-notebook.txt', 'w').close()\n"
                "go.Figure(go.Scatter(y=[1, 3, 2]))"
            ),
        ],
        metadata={"kernelspec": wt_browser.KERNELSPEC},
    )
    path = src / "95-executed.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    out = tmp_path / "site"
    assert site.main([str(path), "--out", str(out), "--timeout", "120"]) == 0
    assert path.read_bytes() == before
    assert not (src / "written-by-the-notebook.txt").exists(), "must run in a temporary copy"
    assert (out / "95-executed.html").read_text(encoding="utf-8").count('class="wt-plotly"') == 1
    captured = capfd.readouterr()  # the kernel's own stderr included (file descriptor 2)
    if site._kernel_options():  # the kernel's connection is encrypted: no warning
        assert "without encryption" not in captured.err + captured.out


def test_a_failing_notebook_fails_the_build_naming_it(tmp_path, capsys):
    path = tmp_path / "96-broken.ipynb"
    nbformat.write(
        new_notebook(
            cells=[new_code_cell("1 / 0")], metadata={"kernelspec": wt_browser.KERNELSPEC}
        ),
        path,
    )
    assert site.main([str(path), "--out", str(tmp_path / "site"), "--timeout", "60"]) == 1
    err = capsys.readouterr().err
    assert "96-broken.ipynb" in err and "ZeroDivisionError" in err


def test_import_gridlib_does_not_import_the_site_builder():
    code = (
        "import sys, gridlib; bad = [m for m in ('wtcourse.html', 'nbconvert', 'nbformat') "
        "if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT)


@pytest.mark.skipif(not SOLUTIONS, reason="no solution notebooks yet")
def test_every_solution_publishes_with_all_its_figures(tmp_path, plotly_js_head):
    pages = site.build_site(SOLUTIONS, tmp_path / "site", run=False, log=QUIET)
    index = pages[0].read_text(encoding="utf-8")
    assert f'src="{site.MATHJAX_URL}"' in index
    for path, page in zip(SOLUTIONS, pages[1:], strict=True):
        assert f'href="{path.stem}.html"' in index
        nb = nbformat.read(path, as_version=4)
        text = page.read_text(encoding="utf-8")
        n = wt_browser.plotly_outputs(nb)
        assert text.count('class="wt-plotly"') == n, page.name
        assert plotly_js_head not in text, page.name
        assert text.count(f'src="{site.PLOTLY_FILE}"') == (1 if n else 0), page.name
        assert not EXTERNAL_FETCH.search(text), f"{page.name} loads a resource from the network"
        assert f'src="{site.MATHJAX_URL}"' in text, f"{page.name} has no local MathJax"
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert (tmp_path / "site" / "mathjax" / "MathJax.js").is_file()
    assert not (tmp_path / "site" / "mathjax" / "jax" / "output" / "SVG").exists()
