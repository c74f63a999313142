"""Helpers for the browser tests: fixture notebooks, headless Chromium, a site server, JupyterLab.

Imported by tests/test_html.py and tests/test_browser.py. Selenium is imported
lazily so that this module (collected by --doctest-modules) imports without it.
Fixture notebooks are written into a temporary folder by the tests, never
stored under tests/ (nbval would collect them).

JupyterLab is driven the way its own Galata tests drive it: the server exposes
the application object to the page (``--LabApp.expose_app_in_browser=True``,
``window.jupyterapp``); a notebook is opened with the ``docmanager:open`` command
and run with ``notebook:run-all-cells``; the tests wait on the notebook's own
state (its session's kernel status, every code cell's execution count, the
command's result) -- never on menus, status-bar text or prompts drawn on screen.
A failure raises an AssertionError that carries that state, the end of the
server's log (which holds the kernels' stderr) and the path of a screenshot.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from wtcourse.contract import CHECK_MIME, PLOTLY_MIME, WIDGET_MIME

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
__all__ = ["CHECK_MIME", "PLOTLY_MIME", "WIDGET_MIME"]  # re-exported for the tests

#: Text that appears only inside the fixture's answer region and its output.
SECRET_ANSWER = "wt_secret_answer_7219"
SECRET_OUTPUT = "wt-answer-output-7219"


# ---------------------------------------------------------------- artifacts
def artifacts_dir() -> Path:
    """Where screenshots and logs go: $ARTIFACTS_DIR, else tests/artifacts/ (git-ignored)."""
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
    fig = go.Figure(
        [
            go.Scatter(x=x, y=s * x**2, name=f"a = {s}", visible=(i == 0))
            for i, s in enumerate(slopes)
        ]
    )
    steps = [
        dict(
            method="restyle",
            label=f"{s}",
            args=[{"visible": [j == i for j in range(len(slopes))]}],
        )
        for i, s in enumerate(slopes)
    ]
    fig.update_layout(
        sliders=[dict(active=0, steps=steps, currentvalue={"prefix": "a = "})],
        title="y = a x\u00b2",
        height=420,
    )
    return fig


def _contour_figure():
    import gridlib
    from gridlib import plotting

    ex = gridlib.post_example()
    loss = gridlib.LeastSquares(ex.X, ex.y)
    grid = gridlib.Grid.linspace(w1=(-10, 10, 41), w2=(-50, 50, 41))
    return plotting.contour(
        grid,
        loss.grid_values(grid),
        markers={"w*": loss.minimizer},
        max_side=41,
        title="Full-data loss",
    )


def _intro(number: str, title: str) -> str:
    """A title cell in the course's format (see wtcourse.contract), with a formula."""
    return (
        f"# {number} · {title}\n\n"
        "Teaching: 5 min · Exercises: 0 min · Execution budget: under 30 s\n\n"
        "**Questions**\n- Does the browser edition show figures?\n\n"
        "**Objectives**\n- Render a plotly figure of $L(w) = \\|y - Xw\\|^2$ offline.\n"
        "- Show a note in place of a widget.\n"
    )


def write_static_fixtures(folder: Path) -> list[Path]:
    """Two small executed-looking notebooks (stored outputs) for the static edition.

    ``90-figures``: a contour plot, a kernel-free slider figure, a widget output
    and an answer region (with its output) that the learner edition must hide;
    ``91-text``: text only (no figure, so no plotly.js on its page).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fig_cell = new_code_cell(
        "plotting.contour(grid, losses)",
        execution_count=2,
        outputs=[
            new_output(
                "execute_result",
                data={PLOTLY_MIME: _figure_json(_contour_figure()), "text/plain": "Figure"},
                execution_count=2,
            )
        ],
    )
    slider_cell = new_code_cell(
        "slider_figure()",
        execution_count=3,
        outputs=[new_output("display_data", data={PLOTLY_MIME: _figure_json(_slider_figure())})],
    )
    widget_cell = new_code_cell(
        "explorer()",
        execution_count=4,
        outputs=[
            new_output(
                "display_data",
                data={
                    WIDGET_MIME: {
                        "model_id": "0123456789abcdef",
                        "version_major": 2,
                        "version_minor": 0,
                    },
                    "text/plain": "VBox(children=(IntSlider(value=3),))",
                },
            )
        ],
    )
    answer_cell = new_code_cell(
        "def double(x):\n"
        '    """Twice x."""\n'
        "    ### BEGIN SOLUTION\n"
        f"    {SECRET_ANSWER} = 2 * x\n"
        f"    print({SECRET_OUTPUT!r})\n"
        f"    return {SECRET_ANSWER}\n"
        "    ### END SOLUTION\n"
        "double(21)",
        execution_count=5,
        outputs=[
            new_output("stream", name="stdout", text=f"{SECRET_OUTPUT}\n"),
            new_output("execute_result", data={"text/plain": "42"}, execution_count=5),
        ],
    )
    nb1 = new_notebook(
        cells=[
            new_markdown_cell(_intro("90", "Figures offline")),
            new_code_cell(
                "print('hello')",
                execution_count=1,
                outputs=[new_output("stream", name="stdout", text="hello\n")],
            ),
            new_markdown_cell(
                # \mathcal and \mathbb: the variants that asked for missing TeX fonts.
                "## A contour\nThe loss $L(w) = \\|y - Xw\\|^2$ over the grid "
                "$\\mathcal{G} \\subset \\mathbb{R}^2$."
            ),
            fig_cell,
            slider_cell,
            widget_cell,
            new_markdown_cell("### Exercise 90.1 — Double it\nWrite `double(x)`."),
            answer_cell,
        ],
        metadata={"kernelspec": KERNELSPEC},
    )
    nb2 = new_notebook(
        cells=[
            new_markdown_cell(_intro("91", "Text only")),
            new_code_cell(
                "1 + 1",
                execution_count=1,
                outputs=[new_output("execute_result", data={"text/plain": "2"}, execution_count=1)],
            ),
        ],
        metadata={"kernelspec": KERNELSPEC},
    )
    paths = [folder / "90-figures.ipynb", folder / "91-text.ipynb"]
    for nb, path in zip((nb1, nb2), paths, strict=True):
        nbformat.write(nb, path)
    return paths


LAB_WIDGET_SOURCE = """\
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
widgets.VBox([slider, readout, view])"""


def write_lab_notebook(path: Path) -> Path:
    """A fast notebook (no outputs) for JupyterLab: a contour figure and a slider widget."""
    nb = new_notebook(
        cells=[
            new_markdown_cell(_intro("92", "JupyterLab smoke test")),
            new_code_cell(
                "import numpy as np\nimport gridlib\nfrom gridlib import plotting\n"
                "plotting.setup_notebook()\nex = gridlib.post_example()\n"
                "loss = gridlib.LeastSquares(ex.X, ex.y)\n"
                "grid = gridlib.Grid.linspace(w1=(-10, 10, 41), w2=(-50, 50, 41))"
            ),
            new_code_cell(
                "plotting.contour(grid, loss.grid_values(grid), "
                "markers={'w*': loss.minimizer}, max_side=41, title='Full-data loss')"
            ),
            new_code_cell(LAB_WIDGET_SOURCE),
        ],
        metadata={"kernelspec": KERNELSPEC},
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def plotly_outputs(nb: Any) -> int:
    """How many plotly figures a notebook's stored outputs hold."""
    return sum(
        PLOTLY_MIME in out.get("data", {})
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )


# ---------------------------------------------------------------- Chromium
def find_chromium() -> tuple[str | None, str | None]:
    """Paths of the Chromium binary and its chromedriver (None when missing).

    $CHROMIUM and $CHROMEDRIVER override the search of PATH.
    """

    def usable(path):
        return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else None

    browser = (
        usable(os.environ["CHROMIUM"])
        if "CHROMIUM" in os.environ
        else next((p for p in map(shutil.which, CHROMIUM_CANDIDATES) if p), None)
    )
    driver = (
        usable(os.environ["CHROMEDRIVER"])
        if "CHROMEDRIVER" in os.environ
        else shutil.which("chromedriver")
    )
    return browser, driver


def skip_reason() -> str | None:
    """Why the browser tests cannot run here, or None."""
    browser, driver = find_chromium()
    if not browser:
        return (
            "Chromium not found (apt-get install chromium chromium-driver; .ci/run does this in CI)"
        )
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
  window.__wtErrors.push(String(e.message || e.type) + ' @ ' + (e.filename ||
    (e.target && (e.target.src || e.target.href)) || '') + ':' + (e.lineno || ''));
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
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        "--metrics-recording-only",
        # Timers of a page that is not in front are not throttled: a busy machine
        # must not slow JupyterLab's polling down further.
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
        "--disable-features=Translate,OptimizationHints,MediaRouter",
        f"--user-data-dir={user_data_dir}",
        f"--window-size={width},{height}",
        "--allow-file-access-from-files",
        # Every host but this machine is unresolvable: a page that tries to
        # fetch from the internet fails loudly (a console error) instead.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Leaving a page with unsaved changes asks "leave site?": accept it, never hang on it.
    options.unhandled_prompt_behavior = "accept"
    service = Service(executable_path=driver_path, log_output=subprocess.DEVNULL)
    driver = webdriver.Chrome(options=options, service=service)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ERROR_HOOK})
    return driver


def page_errors(driver) -> list[str]:
    """JavaScript errors so far: uncaught errors and SEVERE console messages."""
    errors = list(driver.execute_script("return window.__wtErrors || [];") or [])
    errors += [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry.get("level") == "SEVERE" and not _font_probe(entry["message"])
    ]
    return errors


def _font_probe(message: str) -> bool:
    """MathJax 2's font check, which Chromium logs although it is not an error of the page.

    MathJax measures fonts against a font face whose source is ``about:blank`` on
    purpose; Chromium logs the refused load. Nothing is fetched, nothing is missing.
    """
    return "about:blank" in message and (
        "Access to font at 'about:blank'" in message
        or message.startswith("about:blank - Failed to load resource")
    )


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
        except Exception as exc:  # the page is still loading, the server not up, ...
            last_exc = exc
        time.sleep(interval)
    raise TimeoutError(
        f"timed out after {timeout:g} s waiting for {what}"
        + (f" (last error: {last_exc!r})" if last_exc else "")
    )


# ---------------------------------------------------------------- a static site over HTTP
class SiteServer:
    """Serve a folder on 127.0.0.1 (a free port) and record every request's status.

    >>> import tempfile, urllib.request, urllib.error
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "a.html").write_text("hi")
    ...     with SiteServer(d) as server:
    ...         ok = urllib.request.urlopen(server.url + "/a.html").status
    ...         try:
    ...             urllib.request.urlopen(server.url + "/missing.otf")
    ...         except urllib.error.HTTPError as exc:
    ...             missing = exc.code
    ...         failed = server.failed()
    >>> ok, missing, failed
    (200, 404, [('/missing.otf', 404)])
    """

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.requests: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def log_request(self, code="-", size="-"):
                with outer._lock:
                    outer.requests.append((self.path.split("?")[0], int(code)))

        handler = functools.partial(Handler, directory=str(self.root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def forget(self) -> None:
        """Clear the request record (before loading the next page)."""
        with self._lock:
            self.requests.clear()

    def failed(self) -> list[tuple[str, int]]:
        """Requests answered with a 4xx/5xx status (a 404 is a missing file)."""
        with self._lock:
            return [(path, code) for path, code in self.requests if code >= 400]

    def paths(self) -> list[str]:
        with self._lock:
            return [path for path, _ in self.requests]


# ---------------------------------------------------------------- JupyterLab
def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A JupyterLab server on a free localhost port with a random token, stopped by its pid.

    The application object is exposed to the page (``window.jupyterapp``) so that
    tests drive JupyterLab through its commands, as Galata does.
    """

    def __init__(self, root_dir: Path, state_dir: Path):
        self.root_dir, self.state_dir = Path(root_dir), Path(state_dir)
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.proc: subprocess.Popen | None = None
        self.log_path = self.state_dir / "jupyterlab.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _write_settings(self) -> None:
        settings = self.state_dir / "settings" / "@jupyterlab"
        files = {
            # No news, no update checks: nothing is fetched and no toast covers the page.
            "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
            # Every cell is in the DOM (no virtual scrolling): outputs render where they are.
            "notebook-extension/tracker": {"windowingMode": "none"},
        }
        for name, value in files.items():
            path = settings / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value), encoding="utf-8")

    def start(self, timeout: float = 120) -> LabServer:
        assert self.token, "never start JupyterLab without a token"
        for sub in ("runtime", "config", "settings", "workspaces"):
            (self.state_dir / sub).mkdir(parents=True, exist_ok=True)
        self._write_settings()
        env = dict(os.environ)
        env.update(
            JUPYTER_RUNTIME_DIR=str(self.state_dir / "runtime"),
            JUPYTER_CONFIG_DIR=str(self.state_dir / "config"),
            PYTHONPATH=os.pathsep.join(
                [str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
            ),
        )
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--LabApp.user_settings_dir={self.state_dir / 'settings'}",
            f"--LabApp.workspaces_dir={self.state_dir / 'workspaces'}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.open_browser=False",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # CI containers run as root
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.root_dir,
            start_new_session=True,
        )

        def answers():
            if self.proc.poll() is not None:
                raise Fatal(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_tail()}")
            url = f"{self.url}/api/status?token={self.token}"
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status == 200

        try:
            wait_for(answers, timeout, interval=0.5, what=f"JupyterLab on {self.url}")
        except Exception:
            self.stop()
            raise
        return self

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log (kernels write their stderr there too)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            return f"(no log: {exc})"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15) -> None:
        """Terminate the server by its process id, then kill it if it does not exit."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # by pid: Popen.send_signal uses self.pid
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self._log.close()
        self.proc = None


def make_state_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="wt-lab-"))


# In-page jobs: an async function run in the page against window.jupyterapp; its result
# (or error) is stored in window.__wtJobs[name] and polled from Python, so no WebDriver
# script timeout is involved however long JupyterLab takes.
_START_JOB = """
const [name, body, args] = arguments;
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
const jobs = window.__wtJobs = window.__wtJobs || {};
const job = jobs[name] = {done: false, value: null, error: null};
new AsyncFunction('app', 'args', body)(window.jupyterapp, args).then(
  v => { job.value = (v === undefined ? null : v); job.done = true; },
  e => { job.error = String((e && (e.stack || e.message)) || e); job.done = true; });
"""

_READ_JOB = (
    "const j = (window.__wtJobs || {})[arguments[0]]; return j ? Object.assign({}, j) : null;"
)

_OPEN = """
await app.started;
await app.restored;
let panel = await app.commands.execute('docmanager:open', {path: args.path, factory: 'Notebook'});
if (!panel || !panel.context) {
  panel = Array.from(app.shell.widgets('main')).find(
    w => w.context && w.context.path === args.path && w.content && w.content.widgets);
}
if (!panel) { throw new Error('docmanager:open returned no notebook panel for ' + args.path); }
window.__wtPanel = panel;
await panel.context.ready;
await panel.sessionContext.ready;
app.shell.activateById(panel.id);
return panel.id;
"""

_KERNEL_INFO = """
const kernel = window.__wtPanel.sessionContext.session.kernel;
await kernel.info;
return kernel.name;
"""

# Galata's Run All: forget every execution count, run through the application command,
# and return its result (true when every cell ran without an error).
_RUN_ALL = """
const panel = window.__wtPanel;
for (const cell of panel.content.widgets) {
  if (cell.model.type === 'code') { cell.model.executionCount = null; }
}
app.shell.activateById(panel.id);
const ok = await app.commands.execute('notebook:run-all-cells', {widgetId: panel.id});
if (ok === undefined || ok === null) {
  throw new Error('notebook:run-all-cells found no notebook to run');
}
return ok;
"""

_CLOSE = """
const panel = window.__wtPanel;
if (!panel) { return false; }
panel.context.model.dirty = false;   // nothing to save: leave without a prompt
if (panel.sessionContext.session) { await panel.sessionContext.shutdown(); }
window.__wtPanel = null;
panel.dispose();
return true;
"""

# The notebook's own state, read from its models (not from what is drawn).
_STATE = """
const CHECK_MIME = arguments[0];
const panel = window.__wtPanel;
if (!panel) { return null; }
const session = panel.sessionContext.session;
const kernel = session ? session.kernel : null;
const cells = [];
panel.content.widgets.forEach((cell, index) => {
  if (cell.model.type !== 'code') { return; }
  const outputs = cell.model.outputs.toJSON();
  cells.push({
    index: index,
    id: cell.model.id,
    blank: !cell.model.sharedModel.getSource().trim(),
    count: cell.model.executionCount,
    errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
    mimes: [].concat(...outputs.map(o => Object.keys(o.data || {}))),
    checks: outputs.filter(o => o.data && o.data[CHECK_MIME]).map(o => o.data[CHECK_MIME]),
  });
});
// A figure is a plotly container (mimetype output or FigureWidget); drawn when it has an svg.
const plots = Array.from(panel.node.querySelectorAll(
  '.jp-OutputArea-output .plot-container.plotly'));
const graphs = Array.from(panel.node.querySelectorAll('.jp-OutputArea-output .js-plotly-plot'));
return {
  titles: graphs.map(g => {
    const title = (g.layout || {}).title;
    return {layout: (title && typeof title === 'object') ? (title.text || '') : (title || ''),
            drawn: Array.from(g.querySelectorAll('.gtitle')).map(e => e.textContent).join('|')};
  }),
  ys: graphs.map(g => (g.data && g.data[0] && g.data[0].y) ? Array.from(g.data[0].y).slice(0, 3) : null),
  path: panel.context.path,
  kernel: kernel ? kernel.status : 'no kernel',
  connection: kernel ? kernel.connectionStatus : 'no kernel',
  cells: cells,
  plots: plots.length,
  drawn: plots.filter(p => p.querySelector('svg.main-svg')).length,
};
"""


class LabNotebook:
    """One notebook opened in JupyterLab and driven through ``window.jupyterapp``.

    ``open()`` loads the application, opens the notebook with ``docmanager:open`` and
    waits for its kernel (status idle, connected, kernel info received);
    ``run_all()`` runs ``notebook:run-all-cells`` and waits for the command's result,
    every non-blank code cell's execution count and an idle kernel. Every failure
    goes through :meth:`fail`: screenshot, server/kernel log and notebook state.
    """

    def __init__(self, driver, server: LabServer, path: str, timeout: float = 300):
        self.driver, self.server, self.path, self.timeout = driver, server, path, timeout
        self.name = Path(path).stem

    # -- jobs
    def _job(self, name: str, body: str, what: str, timeout: float | None = None, **args):
        self.driver.execute_script(_START_JOB, name, body, args)
        try:
            job = wait_for(
                lambda: (
                    (self.driver.execute_script(_READ_JOB, name) or {}).get("done")
                    and self.driver.execute_script(_READ_JOB, name)
                ),
                timeout or self.timeout,
                interval=0.5,
                what=what,
            )
        except TimeoutError as exc:
            self.fail(str(exc))
        if job.get("error"):
            self.fail(f"{what}: {job['error']}")
        return job.get("value")

    def state(self) -> dict[str, Any]:
        """The notebook's state as its models hold it (see ``_STATE``)."""
        return self.driver.execute_script(_STATE, CHECK_MIME) or {}

    def _summary(self) -> str:
        try:
            st = self.state()
        except Exception as exc:  # the page itself is broken
            return f"(no notebook state: {exc!r})"
        if not st:
            return "(the notebook is not open)"
        counts = [c["count"] for c in st["cells"] if not c["blank"]]
        errors = [f"cell {c['index']}: {e}" for c in st["cells"] for e in c["errors"]]
        try:
            console = page_errors(self.driver)
        except Exception as exc:
            console = [repr(exc)]
        return (
            f"kernel {st['kernel']!r} ({st['connection']}); execution counts {counts}; "
            f"errors {errors}; plots {st['drawn']}/{st['plots']} drawn; titles (layout, drawn) "
            f"{st['titles']}; console errors {console}"
        )

    def fail(self, message: str):
        """Raise an AssertionError with the notebook's state, a screenshot and the log."""
        folder = artifacts_dir()
        shot = folder / f"lab-{self.name}-FAILED.png"
        log = folder / f"lab-{self.name}-FAILED.log"
        try:
            self.driver.save_screenshot(str(shot))
        except Exception as exc:
            shot = Path(f"(no screenshot: {exc!r})")
        try:
            shutil.copyfile(self.server.log_path, log)
        except OSError:
            pass
        raise AssertionError(
            f"{self.path}: {message}\nstate: {self._summary()}\nscreenshot: {shot}\n"
            f"server and kernel log (full copy in {log}):\n{self.server.log_tail()}"
        )

    # -- actions
    def open(self) -> LabNotebook:
        """Load JupyterLab (unless this page already shows it), open the notebook and wait
        until its kernel is ready."""
        loaded = self.driver.current_url.startswith(f"{self.server.url}/lab") and (
            self.driver.execute_script("return !!window.jupyterapp;")
        )
        if not loaded:
            self.driver.get(f"{self.server.url}/lab?reset&token={self.server.token}")
        try:
            wait_for(
                lambda: self.driver.execute_script("return !!window.jupyterapp;"),
                self.timeout,
                what="window.jupyterapp (is the app exposed?)",
            )
        except TimeoutError as exc:
            self.fail(str(exc))
        self._job("open", _OPEN, f"JupyterLab to open {self.path}", path=self.path)

        def kernel_ready():
            st = self.state()
            return st and st["kernel"] == "idle" and st["connection"] == "connected"

        try:
            wait_for(kernel_ready, self.timeout, interval=0.5, what="an idle, connected kernel")
        except TimeoutError as exc:
            self.fail(str(exc))
        self._job("kernel-info", _KERNEL_INFO, "the kernel's info reply")
        return self

    def run_all(self) -> dict[str, Any]:
        """Run every cell; return the final state. Fails unless every cell ran without error."""
        ok = self._job("run-all", _RUN_ALL, "notebook:run-all-cells to finish")
        if ok is not True:
            self.fail("Run All stopped: a cell raised, so the cells below it did not run")

        def finished():
            st = self.state()
            done = all(c["count"] is not None for c in st["cells"] if not c["blank"])
            return done and st["kernel"] == "idle" and st

        try:
            st = wait_for(finished, 60, interval=0.5, what="every execution count and idle")
        except TimeoutError as exc:
            self.fail(str(exc))
        errors = [e for c in st["cells"] for e in c["errors"]]
        if errors:
            self.fail(f"cells printed errors: {errors}")
        return st

    def wait_for_figures(self, at_least: int, timeout: float | None = None) -> dict[str, Any]:
        """Wait until the notebook shows `at_least` plots and plotly has drawn every one.

        A FigureWidget appears only after its JavaScript (plotly.js inside, ~5 MB) has come
        from the kernel: on a loaded machine that alone can take a minute.
        """
        timeout = timeout or self.timeout

        def drawn():
            st = self.state()
            return st["plots"] >= at_least and st["drawn"] == st["plots"] and st

        try:
            return wait_for(drawn, timeout, interval=0.5, what=f"{at_least} figures drawn")
        except TimeoutError as exc:
            self.fail(str(exc))

    def close(self) -> None:
        """Shut the notebook's kernel down and mark it clean (nothing is saved).

        Best effort (it runs after a failure too): the server's shutdown stops the kernel
        anyway.
        """
        try:
            self.driver.execute_script(_START_JOB, "close", _CLOSE, {})
            wait_for(
                lambda: (self.driver.execute_script(_READ_JOB, "close") or {}).get("done"),
                60,
                interval=0.5,
            )
        except Exception:
            pass
