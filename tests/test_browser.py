"""Real-browser tests: the static edition and JupyterLab, in headless Chromium.

Skipped (with the reason) when Chromium, chromedriver or selenium is missing;
.ci/run installs Chromium so CI runs them. Nothing needs the internet: pages
are served over HTTP on 127.0.0.1, JupyterLab listens on 127.0.0.1, and Chromium starts with
background networking disabled.

Screenshots are written to $ARTIFACTS_DIR, else tests/artifacts/ (git-ignored):
``static-<site>-<page>.png`` (a page of the static edition, scrolled to its
first figure), ``lab-<notebook>.png`` (JupyterLab after Run All, scrolled to
the slider widget or the last figure).
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "browser"))
import wt_browser  # noqa: E402
from wt_browser import wait_for  # noqa: E402

REASON = wt_browser.skip_reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"browser tests skipped: {REASON}")

REPO_ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((REPO_ROOT / "solutions").glob("*.ipynb"))
FIXTURE_PAGES = ["index", "90-figures", "91-text"]
# The real lesson opened in JupyterLab (fast, and it has figures).
LAB_LESSON = os.environ.get("WT_LAB_LESSON", "00-start-here.ipynb")
PAGE_TIMEOUT = 120          # seconds: plotly.js is ~5 MB of inline script on a busy machine
LAB_TIMEOUT = 240
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"      # the notebook on show

PAGES = [("fixture", name) for name in FIXTURE_PAGES] + \
        [("solutions", name) for name in ["index"] + [p.stem for p in SOLUTIONS]]


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = wt_browser.start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """The static sites, served over HTTP on 127.0.0.1 as a teacher would publish them."""
    import functools
    import http.server
    import threading

    from wtcourse import html as site

    root = tmp_path_factory.mktemp("sites")
    quiet = lambda msg: None  # noqa: E731
    site.build_site(wt_browser.write_static_fixtures(root / "nb"), root / "fixture", run=False,
                    log=quiet)
    if SOLUTIONS:
        site.build_site(SOLUTIONS, root / "solutions", run=False, log=quiet)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    global SITE_URL, SITE_ROOT
    SITE_URL, SITE_ROOT = f"http://127.0.0.1:{server.server_address[1]}", root
    yield root
    server.shutdown()
    server.server_close()


SITE_URL, SITE_ROOT = "", None


def load(driver, path: Path) -> None:
    driver.get_log("browser")                   # forget the previous page's messages
    inside = SITE_ROOT is not None and path.resolve().is_relative_to(Path(SITE_ROOT).resolve())
    driver.get(f"{SITE_URL}/{path.resolve().relative_to(Path(SITE_ROOT).resolve()).as_posix()}"
               if inside else path.as_uri())
    wait_for(lambda: driver.execute_script("return document.readyState") == "complete",
             PAGE_TIMEOUT, what=f"{path.name} to load")


def undrawn_figures(driver) -> list[str]:
    """Ids of figure divs that plotly has not drawn (no svg.main-svg inside)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('div.wt-plotly'))"
        ".filter(d => !d.querySelector('.plot-container svg.main-svg')).map(d => d.id);")


def view_signature(driver, gd) -> str:
    """A hash of what a figure shows (its data and layout, less the slider's own state)."""
    text = driver.execute_script(
        "var g = arguments[0]; var l = Object.assign({}, g.layout); delete l.sliders;"
        "return JSON.stringify([g.data, l]);", gd)
    return hashlib.sha256(text.encode()).hexdigest()


def move_slider(driver, gd, fraction: float = 0.97) -> None:
    """Click a plotly slider's rail at `fraction` of its width, as a reader would."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    rail = gd.find_element(By.CSS_SELECTOR, "rect.slider-rail-touch-rect")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", rail)
    offset = int(rail.size["width"] * (fraction - 0.5))
    ActionChains(driver).move_to_element_with_offset(rail, offset, 0).click().perform()


# ------------------------------------------------------------------ static edition
def slider_figures(driver):
    from selenium.webdriver.common.by import By

    return [gd for gd in driver.find_elements(By.CSS_SELECTOR, "div.wt-plotly")
            if driver.execute_script("return !!(arguments[0].layout.sliders || []).length;", gd)]


@pytest.mark.parametrize("which,name", PAGES, ids=[f"{w}-{n}" for w, n in PAGES])
def test_static_page_draws_every_figure_without_errors(browser, sites, which, name):
    """Load the page once: no JS errors, every figure drawn, every plotly slider works."""
    page = sites / which / f"{name}.html"
    load(browser, page)
    n_figures = browser.execute_script("return document.querySelectorAll('div.wt-plotly').length;")
    wait_for(lambda: not undrawn_figures(browser), PAGE_TIMEOUT,
             what=f"every figure of {page.name} to be drawn")
    if n_figures:
        browser.execute_script("document.querySelector('div.wt-plotly').scrollIntoView();")
    browser.save_screenshot(str(wt_browser.artifacts_dir() / f"static-{which}-{name}.png"))
    errors = wt_browser.page_errors(browser)
    assert errors == [], f"JavaScript errors on {page.name}: {errors}"
    if which == "solutions" and name != "index":      # formulas typeset by the site's own MathJax
        wait_for(lambda: browser.execute_script(
            "return document.querySelectorAll('.MathJax, .MathJax_Display').length;") > 0,
            PAGE_TIMEOUT, what=f"MathJax to typeset the formulas of {page.name}")
        assert wt_browser.page_errors(browser) == [], f"JavaScript errors on {page.name} (MathJax)"
    if name == "index":
        lessons = browser.execute_script("return document.querySelectorAll('li.lesson a').length;")
        assert lessons == (len(SOLUTIONS) if which == "solutions" else 2)
        return
    figures = slider_figures(browser)
    if which == "fixture" and name == "90-figures":
        assert (n_figures, len(figures)) == (2, 1)
    for gd in figures:                          # kernel-free sliders change their figure
        before = view_signature(browser, gd)
        active = browser.execute_script("return arguments[0].layout.sliders[0].active || 0;", gd)
        move_slider(browser, gd)
        wait_for(lambda: view_signature(browser, gd) != before, 30,
                 what=f"figure {gd.get_attribute('id')} of {name} to change with its slider")
        assert browser.execute_script("return arguments[0].layout.sliders[0].active;", gd) != active
    errors = wt_browser.page_errors(browser)
    assert errors == [], f"JavaScript errors on {page.name} (sliders): {errors}"


def test_the_checks_catch_a_network_fetch_and_an_undrawn_figure(browser, tmp_path):
    """Negative control: a page that fetches plotly.js from a CDN fails both checks."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><head><script src="https://cdn.plot.ly/plotly-3.0.0.min.js">'
                    '</script></head><body><div class="wt-plotly" id="f1"></div></body></html>',
                    encoding="utf-8")
    load(browser, page)
    assert undrawn_figures(browser) == ["f1"]
    assert any("cdn.plot.ly" in e for e in wt_browser.page_errors(browser))


# ------------------------------------------------------------------ JupyterLab
@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a temporary copy: the fixture notebook and a real lesson."""
    root = tmp_path_factory.mktemp("lab-root")
    wt_browser.write_lab_notebook(root / "92-lab.ipynb")
    lesson = REPO_ROOT / "lessons" / LAB_LESSON
    if lesson.exists():
        shutil.copy2(lesson, root / lesson.name)
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
            if proc.name.isdigit() and text in (proc / "cmdline").read_bytes().decode(errors="replace"):
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def run_all_cells(driver, lab, notebook: str) -> None:
    """Open `notebook` in JupyterLab, wait for its kernel, then Run > Run All Cells."""
    from selenium.webdriver.common.by import By

    driver.get(f"{lab.url}/lab/tree/{notebook}?token={lab.token}")
    status = lambda: driver.execute_script(  # noqa: E731
        "var s = document.querySelector('#jp-main-statusbar'); return s ? s.innerText : '';")
    wait_for(lambda: "Idle" in status() and driver.find_elements(
        By.CSS_SELECTOR, f"{PANEL} .jp-CodeCell"), LAB_TIMEOUT,
        what=f"{notebook} to open with an idle kernel")
    def prompts():
        return driver.execute_script(
            f"return Array.from(document.querySelectorAll('{PANEL} .jp-CodeCell .jp-InputPrompt'))"
            ".map(e => e.textContent.trim());")

    def run_all():
        driver.find_element(By.XPATH, "//div[contains(@class, 'lm-MenuBar-itemLabel')][text()='Run']").click()
        wait_for(lambda: driver.find_element(
            By.XPATH, "//div[contains(@class, 'lm-Menu-itemLabel')][text()='Run All Cells']"),
            10, what="the Run menu").click()

    # The status bar can still show the previous notebook's idle kernel while this one's
    # kernel starts; Run All issued then does nothing. Retry until a cell starts.
    for attempt in range(3):
        run_all()
        try:
            wait_for(lambda: any(p != "[ ]:" for p in prompts()), 30, interval=0.5,
                     what=f"a cell of {notebook} to start")
            break
        except TimeoutError:
            if attempt == 2:
                raise

    def all_ran():
        ps = prompts()
        return ps and all(re.fullmatch(r"\[\d+\]:", p) for p in ps) and "Idle" in status()

    try:
        wait_for(all_ran, LAB_TIMEOUT, interval=1, what=f"every cell of {notebook} to run")
    except TimeoutError as exc:
        shot = wt_browser.artifacts_dir() / f"lab-{Path(notebook).stem}-FAILED.png"
        driver.save_screenshot(str(shot))
        prompts = driver.execute_script(
            f"return Array.from(document.querySelectorAll('{PANEL} .jp-CodeCell .jp-InputPrompt'))"
            ".map(e => e.textContent.trim());")
        raise AssertionError(f"{exc}; prompts {prompts}; status {status()!r}; errors "
                             f"{error_outputs(driver)}; screenshot {shot}") from None


def lab_figures(driver) -> tuple[int, int]:
    """(plotly plots in the notebook's outputs, of which drawn); FigureWidgets included."""
    return tuple(driver.execute_script(
        f"var p = document.querySelectorAll('{PANEL} .jp-OutputArea-output .plot-container.plotly');"
        "return [p.length, Array.from(p).filter(d => d.querySelector('svg.main-svg')).length];"))


def error_outputs(driver) -> list[str]:
    return driver.execute_script(
        f"return Array.from(document.querySelectorAll('{PANEL} .jp-OutputArea-output'))"
        ".map(e => e.textContent).filter(t => /Traceback/.test(t)).map(t => t.slice(0, 500));")


def test_jupyterlab_runs_the_notebook_and_its_slider_responds(browser, lab):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    run_all_cells(browser, lab, "92-lab.ipynb")
    assert error_outputs(browser) == []
    # Two figures: the contour (plotly mimetype) and the FigureWidget.
    wait_for(lambda: lab_figures(browser) == (2, 2), 60, what="both figures to be drawn")
    readout = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, ".wt-readout"), 60,
                       what="the widget view")
    assert browser.find_elements(By.CSS_SELECTOR, ".jupyter-widgets.widget-slider")
    assert readout.text == "k squared = 9"
    title = lambda: browser.execute_script(  # noqa: E731
        f"var t = document.querySelectorAll('{PANEL} .jp-OutputArea-output .plot-container .gtitle');"
        "return t.length ? t[t.length - 1].textContent : '';")
    assert title() == "k = 3"
    handle = browser.find_element(By.CSS_SELECTOR, ".widget-slider .noUi-handle")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", handle)
    handle.click()
    handle.send_keys(Keys.ARROW_RIGHT)          # k: 3 -> 4, as a learner would
    wait_for(lambda: readout.text == "k squared = 16", 30, what="the readout to follow the slider")
    wait_for(lambda: title() == "k = 4", 30, what="the FigureWidget to follow the slider")
    browser.save_screenshot(str(wt_browser.artifacts_dir() / "lab-92-lab.png"))


@pytest.mark.skipif(not (REPO_ROOT / "lessons" / LAB_LESSON).exists(),
                    reason=f"lessons/{LAB_LESSON} does not exist yet")
def test_jupyterlab_runs_a_lesson_and_draws_its_figures(browser, lab):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    run_all_cells(browser, lab, LAB_LESSON)
    assert error_outputs(browser) == []
    solution = REPO_ROOT / "solutions" / LAB_LESSON          # its twin, with stored outputs
    cells = nbformat.read(solution, as_version=4).cells if solution.exists() else []
    expected = sum(wt_browser.PLOTLY_MIME in out.get("data", {}) for cell in cells
                   if cell.cell_type == "code" for out in cell.outputs)
    if expected:
        # JupyterLab draws an output when it scrolls into view: visit every plot.
        for plot in browser.find_elements(By.CSS_SELECTOR, f"{PANEL} .jp-OutputArea-output .plot-container"):
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", plot)
            time.sleep(0.2)
        wait_for(lambda: lab_figures(browser)[0] >= 1 and
                 lab_figures(browser)[0] == lab_figures(browser)[1], 60,
                 what=f"the figures of {LAB_LESSON} to be drawn ({lab_figures(browser)})")
    sliders = browser.find_elements(By.CSS_SELECTOR, f"{PANEL} .jupyter-widgets.widget-slider")
    for slider in sliders[:1]:                  # a widget slider responds to the keyboard
        handle = slider.find_element(By.CSS_SELECTOR, ".noUi-handle")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", handle)
        value = slider.find_element(By.CSS_SELECTOR, ".widget-readout").text
        handle.click()
        handle.send_keys(Keys.ARROW_RIGHT)
        wait_for(lambda: slider.find_element(By.CSS_SELECTOR, ".widget-readout").text != value,
                 30, what="the lesson's slider to move")
    browser.save_screenshot(str(wt_browser.artifacts_dir() / f"lab-{Path(LAB_LESSON).stem}.png"))
