"""Helpers for the browser tests: fixture notebooks, headless Chromium, a JupyterLab server.

Imported by tests/test_html.py and tests/test_browser.py. Selenium is imported
lazily so that this module (collected by --doctest-modules) imports without it.
Fixture notebooks are written into a temporary folder by the tests, never
stored under tests/ (nbval would collect them).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


# ---------------------------------------------------------------- artifacts
def artifacts_dir() -> Path:
    """Where screenshots go: $ARTIFACTS_DIR, else tests/artifacts/ (git-ignored)."""
    path = Path(os.environ.get("ARTIFACTS_DIR") or REPO_ROOT / "tests" / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


# ---------------------------------------------------------------- fixture notebooks
def _figure_json(fig) -> dict:
    import plotly.io as pio

    return json.loads(pio.to_json(fig, validate=True))


def _slider_figure():
    """A kernel-free slider: one trace visible per step (restyle 'visible')."""
    import numpy as np
    import plotly.graph_objects as go

    x = np.linspace(-3, 3, 61)
    slopes = [0.5, 1.0, 2.0, 4.0]
    fig = go.Figure([go.Scatter(x=x, y=s * x ** 2, name=f"a = {s}", visible=(i == 0))
                     for i, s in enumerate(slopes)])
    steps = [dict(method="restyle", label=f"{s}",
                  args=[{"visible": [j == i for j in range(len(slopes))]}])
             for i, s in enumerate(slopes)]
    fig.update_layout(sliders=[dict(active=0, steps=steps, currentvalue={"prefix": "a = "})],
                      title="y = a x\u00b2", height=420)
    return fig


def _contour_figure():
    import gridlib
    from gridlib import plotting

    ex = gridlib.post_example()
    loss = gridlib.LeastSquares(ex.X, ex.y)
    grid = gridlib.Grid.linspace(w1=(-10, 10, 41), w2=(-50, 50, 41))
    return plotting.contour(grid, loss.grid_values(grid), markers={"w*": loss.minimizer},
                            max_side=41, title="Full-data loss")


def _intro(number: str, title: str) -> str:
    return (f"# {number} · {title}\nTeaching: 5 min · Exercises: 0 min\n\n"
            "**Questions**\n- Does the browser edition show figures?\n\n"
            "**Objectives**\n- Render a plotly figure offline.\n"
            "- Show a note in place of a widget.\n")


def write_static_fixtures(folder: Path) -> list[Path]:
    """Two small executed-looking notebooks (stored outputs) for the static edition.

    ``90-figures``: a contour plot, a kernel-free slider figure and a widget
    output; ``91-text``: text only (no figure, so no plotly.js on its page).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fig_cell = new_code_cell("plotting.contour(grid, losses)", execution_count=2, outputs=[
        new_output("execute_result", data={PLOTLY_MIME: _figure_json(_contour_figure()),
                                           "text/plain": "Figure"}, execution_count=2)])
    slider_cell = new_code_cell("slider_figure()", execution_count=3, outputs=[
        new_output("display_data", data={PLOTLY_MIME: _figure_json(_slider_figure())})])
    widget_cell = new_code_cell("explorer()", execution_count=4, outputs=[
        new_output("display_data", data={
            WIDGET_MIME: {"model_id": "0123456789abcdef", "version_major": 2, "version_minor": 0},
            "text/plain": "VBox(children=(IntSlider(value=3),))"})])
    nb1 = new_notebook(cells=[
        new_markdown_cell(_intro("90", "Figures offline")),
        new_code_cell("print('hello')", execution_count=1,
                      outputs=[new_output("stream", name="stdout", text="hello\n")]),
        new_markdown_cell("## A contour\nThe loss $L(w) = \\|y - Xw\\|^2$ over the grid."),
        fig_cell, slider_cell, widget_cell], metadata={"kernelspec": KERNELSPEC})
    nb2 = new_notebook(cells=[new_markdown_cell(_intro("91", "Text only")),
                              new_code_cell("1 + 1", execution_count=1, outputs=[
                                  new_output("execute_result", data={"text/plain": "2"},
                                             execution_count=1)])],
                       metadata={"kernelspec": KERNELSPEC})
    paths = [folder / "90-figures.ipynb", folder / "91-text.ipynb"]
    for nb, path in zip((nb1, nb2), paths):
        nbformat.write(nb, path)
    return paths


LAB_WIDGET_SOURCE = '''\
import ipywidgets as widgets
import plotly.graph_objects as go

x = np.linspace(-3, 3, 61)
slider = widgets.IntSlider(value=3, min=0, max=10, description="k")
readout = widgets.Label(value="k squared = 9")
readout.add_class("wt-readout")
view = go.FigureWidget(go.Scatter(x=x, y=3 * x), layout=dict(title="k = 3", height=300))

def _update(change):
    readout.value = f"k squared = {change['new'] ** 2}"
    with view.batch_update():
        view.data[0].y = change["new"] * x
        view.layout.title = f"k = {change['new']}"

slider.observe(_update, names="value")
widgets.VBox([slider, readout, view])'''


def write_lab_notebook(path: Path) -> Path:
    """A fast notebook (no outputs) for JupyterLab: a contour figure and a slider widget."""
    nb = new_notebook(cells=[
        new_markdown_cell(_intro("92", "JupyterLab smoke test")),
        new_code_cell("import numpy as np\nimport gridlib\nfrom gridlib import plotting\n"
                      "plotting.setup_notebook()\nex = gridlib.post_example()\n"
                      "loss = gridlib.LeastSquares(ex.X, ex.y)\n"
                      "grid = gridlib.Grid.linspace(w1=(-10, 10, 41), w2=(-50, 50, 41))"),
        new_code_cell("plotting.contour(grid, loss.grid_values(grid), "
                      "markers={'w*': loss.minimizer}, max_side=41)"),
        new_code_cell(LAB_WIDGET_SOURCE),
    ], metadata={"kernelspec": KERNELSPEC})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


# ---------------------------------------------------------------- Chromium
def find_chromium() -> tuple[str | None, str | None]:
    """Paths of the Chromium binary and its chromedriver (None when missing).

    $CHROMIUM and $CHROMEDRIVER override the search of PATH.
    """
    def usable(path):
        return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else None

    browser = (usable(os.environ["CHROMIUM"]) if "CHROMIUM" in os.environ else
               next((p for p in map(shutil.which, CHROMIUM_CANDIDATES) if p), None))
    driver = (usable(os.environ["CHROMEDRIVER"]) if "CHROMEDRIVER" in os.environ else
              shutil.which("chromedriver"))
    return browser, driver


def skip_reason() -> str | None:
    """Why the browser tests cannot run here, or None."""
    browser, driver = find_chromium()
    if not browser:
        return ("Chromium not found (apt-get install chromium chromium-driver; .ci/run does "
                "this in CI)")
    if not driver:
        return "chromedriver not found (apt-get install chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the Python package selenium is not installed (pip install 'selenium>=4.20')"
    return None


# Installed before any page script: records uncaught errors and rejections.
ERROR_HOOK = """
window.__wtErrors = [];
window.addEventListener('error', function (e) {
  window.__wtErrors.push(String(e.message || e.type) + ' @ ' + (e.filename || (e.target && (e.target.src || e.target.href)) || '') + ':' + (e.lineno || ''));
}, true);
window.addEventListener('unhandledrejection', function (e) {
  window.__wtErrors.push('unhandled rejection: ' + String(e.reason));
});
"""


def start_chromium(user_data_dir: Path, width: int = 1400, height: int = 1000):
    """Headless Chromium under selenium, with no background networking."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = find_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--disable-extensions",
                "--disable-dev-shm-usage", "--metrics-recording-only",
                "--disable-features=Translate,OptimizationHints,MediaRouter",
                f"--user-data-dir={user_data_dir}", f"--window-size={width},{height}",
                "--allow-file-access-from-files",
                # Every host but this machine is unresolvable: a page that tries to
                # fetch from the internet fails loudly (a console error) instead.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=driver_path, log_output=subprocess.DEVNULL)
    driver = webdriver.Chrome(options=options, service=service)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ERROR_HOOK})
    return driver


def page_errors(driver) -> list[str]:
    """JavaScript errors so far: uncaught errors and SEVERE console messages."""
    errors = list(driver.execute_script("return window.__wtErrors || [];") or [])
    errors += [entry["message"] for entry in driver.get_log("browser")
               if entry.get("level") == "SEVERE" and not _mathjax_blank_probe(entry["message"])]
    return errors


def _mathjax_blank_probe(message: str) -> bool:
    """Console messages of MathJax's font handling that are not errors of the page.

    MathJax 2 measures fonts against a font face whose source is about:blank (Chromium logs
    its intended load failure); and for \\mathbb / \\mathcal it first asks for the TeX
    fonts, which jupyter-server-mathjax does not ship (a same-site 404), then falls back
    to STIX-Web. Nothing is fetched from outside the site and the formula is drawn.
    """
    if "about:blank" in message and ("Access to font at 'about:blank'" in message
                                     or message.startswith("about:blank - Failed to load resource")):
        return True
    return "/mathjax/fonts/HTML-CSS/TeX/otf/" in message and "404" in message


class Fatal(Exception):
    """Raised by a `wait_for` predicate to stop waiting at once."""


def wait_for(predicate, timeout: float, interval: float = 0.25, what: str = "condition"):
    """Poll `predicate()` until it returns a truthy value; raise TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Fatal:
            raise
        except Exception as exc:        # the page is still loading, the server not up, ...
            last_exc = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}"
                       + (f" (last error: {last_exc!r})" if last_exc else ""))


# ---------------------------------------------------------------- JupyterLab
def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A JupyterLab server on a free localhost port with a random token, stopped by its pid."""

    def __init__(self, root_dir: Path, state_dir: Path):
        self.root_dir, self.state_dir = Path(root_dir), Path(state_dir)
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.proc: subprocess.Popen | None = None
        self.log_path = self.state_dir / "jupyterlab.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> "LabServer":
        assert self.token, "never start JupyterLab without a token"
        for sub in ("runtime", "config", "settings", "workspaces"):
            (self.state_dir / sub).mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(JUPYTER_RUNTIME_DIR=str(self.state_dir / "runtime"),
                   JUPYTER_CONFIG_DIR=str(self.state_dir / "config"),
                   PYTHONPATH=os.pathsep.join([str(REPO_ROOT)] + [
                       p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]))
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.root_dir}",
               f"--LabApp.user_settings_dir={self.state_dir / 'settings'}",
               f"--LabApp.workspaces_dir={self.state_dir / 'workspaces'}",
               "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.extension_manager=readonly", "--ServerApp.open_browser=False"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")             # CI containers run as root
        # No news, no update checks: nothing is fetched and no toast covers the page.
        notes = self.state_dir / "settings" / "@jupyterlab" / "apputils-extension"
        notes.mkdir(parents=True, exist_ok=True)
        (notes / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     cwd=self.root_dir, start_new_session=True)

        def answers():
            if self.proc.poll() is not None:
                raise Fatal(f"jupyter lab exited with {self.proc.returncode}; see {self.log_path}")
            with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2) as r:
                return r.status == 200

        try:
            wait_for(answers, timeout, interval=0.5, what=f"JupyterLab on {self.url}")
        except Exception:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 15) -> None:
        """Terminate the server by its process id, then kill it if it does not exit."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)      # by pid: Popen.send_signal uses self.pid
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self._log.close()
        self.proc = None


def make_state_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="wt-lab-"))
