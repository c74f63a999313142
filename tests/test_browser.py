"""Real-browser tests: the static edition and JupyterLab, in headless Chromium.

Skipped (with the reason) when Chromium, chromedriver or selenium is missing;
.ci/run installs Chromium so CI runs them. Nothing needs the internet: sites are
served over HTTP on 127.0.0.1 by a server that records every request's status (a
missing file is a 404 in its record), JupyterLab listens on 127.0.0.1, and Chromium
starts with background networking disabled and every other host unresolvable.

JupyterLab is driven through its application object, as its Galata tests do
(see tests/browser/wt_browser.py): no menu clicks, no waiting on drawn text.
Nothing here waits a fixed time: every wait is on a condition, with a generous
timeout that only a broken page reaches.

Screenshots are written to $ARTIFACTS_DIR, else tests/artifacts/ (git-ignored):
``static-<site>-<page>.png`` and ``lab-<notebook>.png``; on a JupyterLab failure,
``lab-<notebook>-FAILED.png`` and ``.log`` (the server's log, with the kernels' stderr).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "browser"))
import wt_browser  # noqa: E402
from wt_browser import PLOTLY_MIME, wait_for  # noqa: E402

from wtcourse import contract  # noqa: E402

REASON = wt_browser.skip_reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"browser tests skipped: {REASON}")

REPO_ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((REPO_ROOT / "solutions").glob("*.ipynb"))
LESSONS = REPO_ROOT / "lessons"
FIXTURE_PAGES = ["index", "90-figures", "91-text"]
LAB_LESSON = "00-start-here.ipynb"  # a real lesson: fast, with figures and a widget
WRONG_LESSON = "01-loss-hypersurfaces.ipynb"  # Run All with a wrong answer to Exercise 1.2
PAGE_TIMEOUT = 120  # seconds; only a broken page takes this long
LAB_TIMEOUT = 300
TIMING = re.compile(r"^Teaching: \d+ min · Exercises: \d+ min · Execution budget: under \d+ s$")

PAGES = [("fixture", name) for name in FIXTURE_PAGES] + [
    ("solutions", name) for name in ["index"] + [p.stem for p in SOLUTIONS]
]
LEARNER_PAGES = [("fixture-learner", name) for name in FIXTURE_PAGES[1:]] + [
    ("solutions-learner", p.stem) for p in SOLUTIONS
]


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = wt_browser.start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """The static sites (solutions and learner editions), served over HTTP on 127.0.0.1."""
    from wtcourse import html as site

    root = tmp_path_factory.mktemp("sites")
    quiet = lambda msg: None  # noqa: E731
    fixtures = wt_browser.write_static_fixtures(root / "nb")
    site.build_site(fixtures, root / "fixture", run=False, log=quiet)
    site.build_site(fixtures, root / "fixture-learner", run=False, log=quiet, learner=True)
    if SOLUTIONS:
        site.build_site(SOLUTIONS, root / "solutions", run=False, log=quiet)
        site.build_site(SOLUTIONS, root / "solutions-learner", run=False, log=quiet, learner=True)
    with wt_browser.SiteServer(root) as server:
        yield server


def load(driver, server, path: str) -> None:
    """Load a page of the served sites and wait until its formulas and fonts are done."""
    server.forget()
    driver.get_log("browser")  # forget the previous page's messages
    driver.get(f"{server.url}/{path}")
    wait_for(
        lambda: driver.execute_script("return document.readyState") == "complete",
        PAGE_TIMEOUT,
        what=f"{path} to load",
    )
    # MathJax runs its queue in order: a callback queued now runs after the typesetting.
    driver.execute_script(
        "window.__wtTypeset = !window.MathJax;"
        "if (window.MathJax) { MathJax.Hub.Queue(function () { window.__wtTypeset = true; }); }"
    )
    wait_for(
        lambda: driver.execute_script(
            "return window.__wtTypeset === true && document.fonts.status === 'loaded';"
        ),
        PAGE_TIMEOUT,
        what=f"the formulas and fonts of {path}",
    )


def undrawn_figures(driver) -> list[str]:
    """Ids of figure divs that plotly has not drawn (no svg.main-svg inside)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('div.wt-plotly'))"
        ".filter(d => !d.querySelector('.plot-container svg.main-svg')).map(d => d.id);"
    )


def titles_under_mode_bar(driver) -> list[str]:
    """Ids of figures whose title box meets their mode bar's box."""
    return driver.execute_script(
        """
        function meets(a, b) {
          return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        }
        return Array.from(document.querySelectorAll('div.wt-plotly')).filter(d => {
          const title = d.querySelector('.gtitle'), bar = d.querySelector('.modebar');
          return title && bar && title.textContent.trim() &&
                 meets(title.getBoundingClientRect(), bar.getBoundingClientRect());
        }).map(d => d.id);"""
    )


def crowded_legends(driver) -> list[list[str]]:
    """Figures whose legend meets an axis title, tick labels or the plot area, or leaves the
    figure: ``[figure id, what it meets]``."""
    return driver.execute_script(
        """
        function meets(a, b) {
          return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        }
        const out = [];
        document.querySelectorAll('div.wt-plotly').forEach(d => {
          const lg = d.querySelector('.legend');
          if (!lg) { return; }
          const L = lg.getBoundingClientRect(), D = d.getBoundingClientRect();
          if (L.bottom > D.bottom + 1 || L.top < D.top) { out.push([d.id, 'outside']); }
          const plot = d.querySelector('.nsewdrag');
          if (plot && meets(L, plot.getBoundingClientRect())) { out.push([d.id, 'plot area']); }
          d.querySelectorAll('.g-xtitle, .g-ytitle, .xtick').forEach(t => {
            if (t.textContent.trim() && meets(L, t.getBoundingClientRect())) {
              out.push([d.id, t.textContent.trim().slice(0, 40)]);
            }
          });
        });
        return out;"""
    )


def browser_resources(driver) -> list[str]:
    """Every resource the page loaded (including those the browser took from its cache)."""
    return driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name.split('?')[0]);"
    )


def foreign_resources(driver, origin: str) -> list[str]:
    """Resources the page loaded from anywhere but the site's own server."""
    return driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => !n.startsWith(arguments[0]) && !n.startsWith('data:'));",
        origin,
    )


def view_signature(driver, gd) -> str:
    """A hash of what a figure shows (its data and layout, less the slider's own state)."""
    text = driver.execute_script(
        "var g = arguments[0]; var l = Object.assign({}, g.layout); delete l.sliders;"
        "return JSON.stringify([g.data, l]);",
        gd,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def move_slider(driver, gd, fraction: float = 0.97) -> None:
    """Click a plotly slider's rail at `fraction` of its width, as a reader would."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    rail = gd.find_element(By.CSS_SELECTOR, "rect.slider-rail-touch-rect")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", rail)
    offset = int(rail.size["width"] * (fraction - 0.5))
    ActionChains(driver).move_to_element_with_offset(rail, offset, 0).click().perform()


def slider_figures(driver):
    from selenium.webdriver.common.by import By

    return [
        gd
        for gd in driver.find_elements(By.CSS_SELECTOR, "div.wt-plotly")
        if driver.execute_script("return !!(arguments[0].layout.sliders || []).length;", gd)
    ]


def check_page(driver, server, which: str, name: str) -> int:
    """Load a page: no JS error, no failed request, nothing fetched from elsewhere, every
    figure drawn with its title clear of the mode bar and its legend clear of the axis titles,
    tick labels and plot. Returns the number of figures."""
    path = f"{which}/{name}.html"
    load(driver, server, path)
    n_figures = driver.execute_script("return document.querySelectorAll('div.wt-plotly').length;")
    wait_for(
        lambda: not undrawn_figures(driver),
        PAGE_TIMEOUT,
        what=f"every figure of {path} to be drawn",
    )
    if n_figures:
        driver.execute_script("document.querySelector('div.wt-plotly').scrollIntoView();")
        loaded = browser_resources(driver)  # from the server or from the browser's cache
        assert f"{server.url}/{which}/plotly.min.js" in loaded, "the site's plotly.js not loaded"
    driver.save_screenshot(str(wt_browser.artifacts_dir() / f"static-{which}-{name}.png"))
    assert server.failed() == [], f"requests that failed on {path}: {server.failed()}"
    assert wt_browser.page_errors(driver) == [], f"JavaScript errors on {path}"
    assert foreign_resources(driver, server.url) == []
    assert titles_under_mode_bar(driver) == [], f"titles under the mode bar on {path}"
    assert crowded_legends(driver) == [], f"legends over other parts of figures on {path}"
    return n_figures


# ------------------------------------------------------------------ static edition
@pytest.mark.parametrize("which,name", PAGES, ids=[f"{w}-{n}" for w, n in PAGES])
def test_static_page_loads_cleanly_and_its_sliders_work(browser, sites, which, name):
    """Zero console errors, zero failed requests, every figure drawn, every slider works."""
    n_figures = check_page(browser, sites, which, name)
    if name == "index":
        lessons = browser.execute_script("return document.querySelectorAll('li.lesson a').length;")
        assert lessons == (len(SOLUTIONS) if which == "solutions" else 2)
        return
    source = (
        nbformat.read(REPO_ROOT / "solutions" / f"{name}.ipynb", as_version=4)
        if which == "solutions"
        else None
    )
    if source is not None:
        assert n_figures == wt_browser.plotly_outputs(source)
    if any("$" in c.source for c in (source.cells if source else []) if c.cell_type == "markdown"):
        assert browser.execute_script(
            "return document.querySelectorAll('.MathJax, .MathJax_Display').length;"
        ), f"no formula typeset on {name}"
    figures = slider_figures(browser)
    if which == "fixture" and name == "90-figures":
        assert (n_figures, len(figures)) == (2, 1)
    for gd in figures:  # kernel-free sliders change their figure
        before = view_signature(browser, gd)
        active = browser.execute_script("return arguments[0].layout.sliders[0].active || 0;", gd)
        move_slider(browser, gd)
        wait_for(
            lambda gd=gd, before=before: view_signature(browser, gd) != before,
            30,
            what=f"figure {gd.get_attribute('id')} of {name} to change with its slider",
        )
        assert browser.execute_script("return arguments[0].layout.sliders[0].active;", gd) != active
    errors = wt_browser.page_errors(browser)
    assert errors == [], f"JavaScript errors on {name} (sliders): {errors}"


@pytest.mark.parametrize("which", ["fixture", "solutions"])
def test_index_typesets_its_formulas_and_timing_lines_are_uniform(browser, sites, which):
    if which == "solutions" and not SOLUTIONS:
        pytest.skip("no solution notebooks")
    load(browser, sites, f"{which}/index.html")
    items = browser.execute_script(
        "return Array.from(document.querySelectorAll('li.lesson')).map(li => ({"
        "timing: (li.querySelector('p.timing') || {}).textContent || '',"
        "typeset: li.querySelectorAll('.MathJax').length, text: li.innerText}));"
    )
    assert items, "no lesson on the index"
    for item in items:
        assert TIMING.match(item["timing"]), f"timing line {item['timing']!r} is not uniform"
        assert "$" not in item["text"], f"raw TeX left on the index: {item['text']!r}"
    if which == "fixture":  # its objectives hold a formula
        assert all(item["typeset"] for item in items)
    sources = [nbformat.read(p, as_version=4).cells[0].source for p in SOLUTIONS]
    if which == "solutions" and any("$" in s.split("**Objectives**")[-1] for s in sources):
        assert sum(item["typeset"] for item in items) > 0
    assert sites.failed() == [] and wt_browser.page_errors(browser) == []


@pytest.mark.parametrize("which", ["fixture", "fixture-learner", "solutions", "solutions-learner"])
def test_plotly_js_appears_once_in_the_site(sites, which):
    from plotly.offline import get_plotlyjs

    folder = Path(sites.root) / which
    if not folder.is_dir():
        pytest.skip("no solution notebooks")
    head = get_plotlyjs()[:300]
    holders = [
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix in (".html", ".js")
        and head in p.read_text(encoding="utf-8", errors="replace")
    ]
    assert holders == ["plotly.min.js"]
    for page in folder.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        uses = 'class="wt-plotly"' in text
        assert (text.count('src="plotly.min.js"') == 1) == uses, page.name


def _answer_lines(path: Path) -> set[str]:
    """Lines of a solution's answer regions that its generated lesson does not contain."""
    from wtcourse.generate import make_lesson

    nb = nbformat.read(path, as_version=4)
    lesson_text = "\n".join(c.source for c in make_lesson(nb, path.stem).cells)
    lines, inside = set(), False
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        whole = contract.SOLUTION_TAG in cell.metadata.get("tags", [])
        for line in cell.source.splitlines():
            if contract.BEGIN_RE.match(line):
                inside = True
            elif contract.END_RE.match(line):
                inside = False
            elif (inside or whole) and len(line.strip()) >= 12:
                if line.strip() not in lesson_text:
                    lines.add(line.strip())
    return lines


@pytest.mark.parametrize("which,name", LEARNER_PAGES, ids=[f"{w}-{n}" for w, n in LEARNER_PAGES])
def test_learner_site_shows_no_solution_code(browser, sites, which, name):
    check_page(browser, sites, which, name)
    text = browser.execute_script("return document.body.innerText;")
    if which == "fixture-learner":
        hidden = {wt_browser.SECRET_ANSWER, wt_browser.SECRET_OUTPUT}
        assert ("YOUR CODE HERE" in text) == (name == "90-figures")
    else:
        hidden = _answer_lines(REPO_ROOT / "solutions" / f"{name}.ipynb")
    assert not [line for line in hidden if line in text], f"answers shown on {which}/{name}"
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text


def test_the_checks_catch_a_network_fetch_a_404_and_an_undrawn_figure(browser, sites):
    """Negative control: a page that fetches plotly.js from a CDN and a missing file."""
    folder = Path(sites.root) / "bad"
    folder.mkdir(exist_ok=True)
    (folder / "bad.html").write_text(
        '<!DOCTYPE html><html><head><link rel="icon" href="data:,">'
        '<script src="https://cdn.plot.ly/plotly-3.0.0.min.js">'
        '</script><link rel="stylesheet" href="missing.css"></head>'
        '<body><div class="wt-plotly" id="f1"></div></body></html>',
        encoding="utf-8",
    )
    load(browser, sites, "bad/bad.html")
    assert undrawn_figures(browser) == ["f1"]
    assert sites.failed() == [("/bad/missing.css", 404)]
    errors = wt_browser.page_errors(browser)
    assert any("cdn.plot.ly" in e for e in errors) and any("missing.css" in e for e in errors)


# ------------------------------------------------------------------ JupyterLab
def _wrong_answer_lesson(source: Path, target: Path) -> None:
    """Lesson 01 with a plausible wrong answer to Exercise 1.2 (the indices swapped)."""
    nb = nbformat.read(source, as_version=4)
    cells = [c for c in nb.cells if "def post_point_to_index(" in c.source]
    assert len(cells) == 1 and contract.PLACEHOLDER in cells[0].source, "Exercise 1.2 moved?"
    cells[0].source = cells[0].source.replace(
        contract.PLACEHOLDER,
        "(int(np.argmin(np.abs(w1s - point[0]))), int(np.argmin(np.abs(w2s - point[1]))))"
        "  # wrong: (j, i)",
    )
    assert "YOUR CODE HERE" not in cells[0].source
    nbformat.write(nb, target)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a temporary folder: the fixture notebook and two lessons."""
    root = tmp_path_factory.mktemp("lab-root")
    wt_browser.write_lab_notebook(root / "92-lab.ipynb")
    if (LESSONS / LAB_LESSON).exists():
        shutil.copy2(LESSONS / LAB_LESSON, root / LAB_LESSON)
    if (LESSONS / WRONG_LESSON).exists():
        _wrong_answer_lesson(LESSONS / WRONG_LESSON, root / WRONG_LESSON)
    state = tmp_path_factory.mktemp("lab-state")
    server = wt_browser.LabServer(root, state).start()
    yield server
    runtime = str(state / "runtime")
    server.stop()
    # Its kernels went with it: no process still holds a connection file of this server.
    if Path("/proc").is_dir():
        wait_for(lambda: not _processes_using(runtime), 20, what="the server's kernels to exit")


def _processes_using(text: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            if proc.name.isdigit() and text in cmdline:
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def _panel_find(driver, css: str):
    """The first element matching `css` inside the open notebook (or None)."""
    return driver.execute_script(
        "return window.__wtPanel ? window.__wtPanel.node.querySelector(arguments[0]) : null;", css
    )


def _press_right(driver, slider) -> None:
    """Move a widget slider one step, from the keyboard, as a learner would."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    handle = slider.find_element(By.CSS_SELECTOR, ".noUi-handle")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", handle)
    handle.send_keys(Keys.ARROW_RIGHT)  # focuses the handle, then the key


def test_jupyterlab_runs_the_notebook_and_its_slider_responds(browser, lab):
    nb = wt_browser.LabNotebook(browser, lab, "92-lab.ipynb", LAB_TIMEOUT).open()
    try:
        nb.run_all()
        st = nb.wait_for_figures(2)  # the contour (plotly mimetype) and the FigureWidget
        if st["plots"] != 2:
            nb.fail(f"expected 2 figures, found {st['plots']}")

        def title():  # the FigureWidget's title ("k = ..."), as plotly holds it in its figure
            found = [t["layout"] for t in nb.state()["titles"] if t["layout"].startswith("k = ")]
            return found[0] if len(found) == 1 else None

        try:
            readout = wait_for(lambda: _panel_find(browser, ".wt-readout"), 60, what="the label")
            slider = wait_for(lambda: _panel_find(browser, ".widget-slider"), 60, what="a slider")
            wait_for(lambda: readout.text == "k squared = 9", 120, what="the label's first value")
            wait_for(lambda: title() == "k = 3", 120, what="the FigureWidget's title")
            _press_right(browser, slider)  # k: 3 -> 4
            wait_for(lambda: readout.text == "k squared = 16", 120, what="the label to follow")
            wait_for(lambda: title() == "k = 4", 120, what="the FigureWidget to follow")
        except TimeoutError as exc:
            nb.fail(str(exc))
        browser.save_screenshot(str(wt_browser.artifacts_dir() / "lab-92-lab.png"))
    finally:
        nb.close()


def _lab_lesson(browser, lab, name: str) -> tuple[wt_browser.LabNotebook, dict]:
    """Run a lesson in JupyterLab; check that it draws as many figures as its solution."""
    nb = wt_browser.LabNotebook(browser, lab, name, LAB_TIMEOUT).open()
    st = nb.run_all()
    solution = nbformat.read(REPO_ROOT / "solutions" / name, as_version=4)
    expected = wt_browser.plotly_outputs(solution)
    produced = sum(PLOTLY_MIME in c["mimes"] for c in st["cells"])
    if produced != expected:
        nb.fail(f"{produced} plotly figures in the outputs, the solution has {expected}")
    st = nb.wait_for_figures(expected)
    return nb, st


@pytest.mark.skipif(not (LESSONS / LAB_LESSON).exists(), reason=f"no lessons/{LAB_LESSON}")
def test_jupyterlab_runs_a_lesson_and_draws_its_figures(browser, lab):
    nb, st = _lab_lesson(browser, lab, LAB_LESSON)
    try:
        try:  # the lesson's widget slider (its solution shows one) responds to the keyboard
            slider = wait_for(lambda: _panel_find(browser, ".widget-slider"), 60, what="a slider")
            readout = slider.find_element("css selector", ".widget-readout")
            value = wait_for(lambda: readout.text, 60, what="the slider's readout")
            _press_right(browser, slider)
            wait_for(lambda: readout.text != value, 60, what="the lesson's slider to move")
        except TimeoutError as exc:
            nb.fail(str(exc))
        browser.save_screenshot(str(wt_browser.artifacts_dir() / "lab-00-start-here.png"))
    finally:
        nb.close()


@pytest.mark.skipif(not (LESSONS / WRONG_LESSON).exists(), reason=f"no lessons/{WRONG_LESSON}")
def test_run_all_with_a_wrong_answer_runs_every_cell_and_draws_every_figure(browser, lab):
    """Issue 15: a wrong answer to Exercise 1.2 shows its verdict and Run All goes on."""
    nb, st = _lab_lesson(browser, lab, WRONG_LESSON)
    try:
        checks = {}
        for cell in st["cells"]:
            for report in cell["checks"]:
                checks[report["exercise"]] = report["status"]
        if checks.get("1.2") != contract.WRONG:
            nb.fail(f"the check of Exercise 1.2 reported {checks.get('1.2')!r}, not 'wrong'")
        others = {k: v for k, v in checks.items() if k != "1.2"}
        if any(v != contract.NOT_ATTEMPTED for v in others.values()):
            nb.fail(f"the unanswered exercises reported {others}")
        at = next(
            c["index"] for c in st["cells"] if any(r["exercise"] == "1.2" for r in c["checks"])
        )
        browser.execute_script(  # the verdict on screen for the screenshot
            "window.__wtPanel.content.widgets[arguments[0]].node.scrollIntoView();", at
        )
        browser.save_screenshot(str(wt_browser.artifacts_dir() / "lab-01-wrong-answer.png"))
    finally:
        nb.close()
