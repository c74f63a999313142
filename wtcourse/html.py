"""Build the browser edition of the course: a static site that shows every figure offline.

``python -m wtcourse html`` (``make html``; ``python -m wtcourse.html`` works too)
executes every solution notebook in a fresh kernel, in a temporary copy of
``solutions/`` (the stored notebooks are never modified), and writes ``site/``:

* ``index.html`` -- every lesson in order: its title, its timing line and its
  objectives, read from the lesson's title cell (formulas typeset);
* ``NN-topic.html`` -- one page per notebook;
* ``plotly.min.js`` -- plotly.js, written once and shared (and cached) by every
  page that has a figure;
* ``mathjax/`` -- an offline MathJax 2 (from the jupyter-server-mathjax package)
  that typesets the formulas of every page. It is configured so that a page asks
  only for fonts that the folder holds (STIX-Web): no request ever fails.

Figures are stored in the notebooks as plotly JSON (``contract.PLOTLY_MIME``),
which nbconvert does not render: each becomes a ``<div>`` drawn by ``Plotly.newPlot``
with the mode bar clear of the title. Nothing is fetched from the network (no CDN,
no require.js), so kernel-free plotly sliders and animation frames work on the page
and the site works from any static web server or from ``file://``. Widget views need a
kernel: each is replaced by a short note.

``--learner`` publishes the learner's edition instead (for a class that should not
see the solutions): every answer region becomes its placeholder exactly as in
``lessons/`` (``wtcourse.generate.strip_solutions``) and the outputs of answer cells
and check cells are dropped; every other output (figures, printed numbers) is kept.

The command prints each page's weight and the site's total. Options: ``--no-execute``
reuses the stored outputs, ``--out DIR`` (default ``site`` in the course folder),
``--timeout`` (seconds per cell), and the notebooks to publish (default:
``solutions/*.ipynb``).
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import math
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from . import contract
from .contract import BEGIN_RE, CHECK_MIME, END_RE, PLOTLY_MIME, SOLUTION_TAG, WIDGET_MIME

__all__ = [
    "PLOTLY_MIME",
    "WIDGET_MIME",
    "WIDGET_NOTE",
    "LessonInfo",
    "add_arguments",
    "build_site",
    "figure_html",
    "learner_version",
    "lesson_info",
    "main",
    "page_weights",
    "prepare_notebook",
    "render_index",
    "render_page",
    "run",
]

WIDGET_NOTE = "Interactive widget \u2014 run this notebook in JupyterLab to use it."
COURSE_TITLE = "Weights Traversal"
PLOTLY_FILE = "plotly.min.js"
#: JupyterLab's notebook style sheet (nbconvert's "lab" template, light theme), written once.
LAB_CSS_FILE = "lab.css"
#: Written into every site folder this command builds: a folder without it is not
#: overwritten (it might hold someone's files).
SITE_MARKER = ".wtcourse-site"
#: A check cell: ``check.e1_2(batch_loss)``.
_CHECK_CALL = getattr(contract, "CHECK_CALL_RE", re.compile(r"\bcheck\.e\d+_\d+\s*\("))

# The page template: nbconvert's "lab" template without anything fetched from
# the network (require.js, MathJax, mermaid and the widget manager come from
# CDNs), with the site's plotly.js, a navigation bar, and the figure loader.
_PAGE_TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}
<link rel="icon" href="data:,">
{%- if resources.wt.plotly_src -%}
<script type="text/javascript" src="{{ resources.wt.plotly_src }}" charset="utf-8"></script>
{%- endif -%}
{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}
{{ resources.wt.mathjax }}
{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style type="text/css">{{ resources.wt.css }}</style>
{%- endblock extra_css -%}
{%- block notebook_css -%}
<link rel="stylesheet" type="text/css" href="{{ resources.wt.lab_css }}">
{%- endblock notebook_css -%}
{%- block body_header -%}
{{ super() }}
{{ resources.wt.nav }}
{%- endblock body_header -%}
{%- block body_footer -%}
{{ resources.wt.nav }}
</main>
{%- if resources.wt.plotly_src %}
<script type="text/javascript">{{ resources.wt.loader }}</script>
{%- endif %}
</body>
{%- endblock body_footer -%}
"""

_CSS = """
a.anchor-link, .jp-Collapser { display: none; }
.jp-InputArea, .jp-InputArea-editor { overflow: hidden; }
.jp-OutputArea-output pre { line-height: inherit; font-family: inherit; }
.jp-RenderedText pre { color: var(--jp-content-font-color1); font-size: var(--jp-code-font-size); }
nav.wt-nav { display: flex; gap: 1.5em; padding: 0.6em 1em; margin: 0 0 1em 0;
  font-family: var(--jp-ui-font-family, sans-serif); font-size: 0.95em;
  border-bottom: 1px solid #ddd; }
nav.wt-nav a { text-decoration: none; color: #1a5fb4; }
.wt-plotly { width: 100%; min-height: 450px; }
.wt-widget-note { padding: 0.6em 0.9em; border-left: 4px solid #1a5fb4; background: #eef4fb;
  font-family: var(--jp-ui-font-family, sans-serif); }
"""

# Draw every figure on the page: the figure JSON sits in a non-executed
# <script type="application/json"> next to its <div>. The mode bar shows on hover
# only, and a title is moved below the band the mode bar occupies (top 34 px).
_LOADER = """
(function () {
  var BAR = 34;
  function clearOfModeBar(layout) {
    var title = layout.title;
    if (typeof title === "string") { title = layout.title = {text: title}; }
    if (!title || !title.text) { return; }
    var font = (title.font && title.font.size) || ((layout.font && layout.font.size) || 12) * 1.4;
    var lines = String(title.text).split(/<br\\s*\\/?>/i).length;
    // plotly draws a wrapped title higher than its anchor (measured: most of a line per
    // extra line), so a wrapped title hangs one line lower per extra line.
    var drop = Math.ceil(1.3 * font * (lines - 1));
    var need = Math.ceil(BAR + drop + 1.3 * font * lines + 10);
    layout.margin = Object.assign({}, layout.margin);
    var top = layout.margin.t === undefined ? 100 : layout.margin.t;
    if (top < need) { layout.margin.t = need; }
    title.yref = "container"; title.y = 1; title.yanchor = "top";
    title.pad = Object.assign({}, title.pad, {t: BAR + drop});
  }
  var nodes = document.querySelectorAll("script.wt-plotly-data");
  for (var i = 0; i < nodes.length; i++) {
    var fig = JSON.parse(nodes[i].textContent);
    var div = document.getElementById(nodes[i].getAttribute("data-target"));
    var layout = fig.layout || {};
    clearOfModeBar(layout);
    // typesetMath off: the page's MathJax is for the text; plotly would ask it for TeX fonts.
    var config = Object.assign({responsive: true, displaylogo: false}, fig.config || {},
                               {typesetMath: false, displayModeBar: "hover"});
    Plotly.newPlot(div, {data: fig.data || [], layout: layout,
                         frames: fig.frames || [], config: config});
  }
})();
"""

#: MathJax 2, served from the site's own ``mathjax/`` folder (copied from jupyter-server-mathjax).
MATHJAX_URL = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"

# The HTML-CSS output with the STIX-Web fonts, the only fonts jupyter-server-mathjax
# ships. The configuration also loads the NativeMML output, whose style sheet asks for
# the TeX fonts (MathJax_AMS-Regular.otf, MathJax_Script-Regular.otf, ...) for the
# hidden MathML copy that AssistiveMML adds for screen readers; that copy is made with
# no font face of its own (it is never drawn), so no page asks for a missing file.
_MATHJAX_CONFIG = r"""<script type="text/x-mathjax-config">
MathJax.Hub.Config({
  tex2jax: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
            processEscapes: true, processEnvironments: true},
  "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null},
  messageStyle: "none", showMathMenu: false
});
</script>
<style type="text/css">.MJX_Assistive_MathML, .MJX_Assistive_MathML * { font-family: inherit !important; }</style>
"""


def mathjax_head(url: str | None) -> str:
    """The <head> lines that load the site's MathJax from `url` (relative), or ''."""
    if not url:
        return ""
    return _MATHJAX_CONFIG + f'<script type="text/javascript" src="{html.escape(url)}"></script>'


@dataclass
class LessonInfo:
    """What the index shows of a notebook: title, timing line, objectives (markdown)."""

    title: str
    timing: str = ""
    objectives: list[str] = field(default_factory=list)


def timing_line(teaching: int, exercises: int, budget: int | None) -> str:
    """The course's timing line (the title cell's format, see wtcourse.contract).

    >>> timing_line(25, 20, 30)
    'Teaching: 25 min · Exercises: 20 min · Execution budget: under 30 s'
    """
    line = f"Teaching: {teaching} min · Exercises: {exercises} min"
    return line + (f" · Execution budget: under {budget} s" if budget is not None else "")


_NUMBER = {
    "teaching": re.compile(r"\bTeaching:\s*(\d+)\s*min", re.IGNORECASE),
    "exercises": re.compile(r"\bExercises:\s*(\d+)\s*min", re.IGNORECASE),
    "budget": re.compile(r"\b(?:Execution budget|Runs in)\b\D{0,20}?(\d+)\s*s\b", re.IGNORECASE),
}


def _local_lesson_info(source: str, fallback: str) -> LessonInfo:
    """The title cell read field by field (for a cell not yet in the contract's format).

    TODO: drop once every lesson passes ``contract.lesson_info`` (the contract test).
    """
    title, objectives, in_objectives = fallback, [], False
    found_title = False
    for raw in source.splitlines():
        line = raw.strip()
        if not found_title and line.startswith("# "):
            title, found_title = line[2:].strip(), True
        elif re.match(r"^(\*\*|__)?objectives", line, flags=re.IGNORECASE):
            in_objectives = True
        elif in_objectives:
            item = re.match(r"^(?:[-*+]|\d+[.)])\s+(.*)$", line)
            if item:
                objectives.append(item.group(1).strip())
            elif line and objectives:
                if line.startswith(("#", "**", "__")) or _NUMBER["budget"].search(line):
                    in_objectives = False
                else:  # a wrapped list item
                    objectives[-1] += " " + line
    found = {key: rx.search(source) for key, rx in _NUMBER.items()}
    timing = ""
    if found["teaching"] and found["exercises"]:
        budget = int(found["budget"].group(1)) if found["budget"] else None
        timing = timing_line(
            int(found["teaching"].group(1)), int(found["exercises"].group(1)), budget
        )
    return LessonInfo(title, timing, objectives)


def lesson_info(nb: Any, fallback: str = "Untitled", log=None) -> LessonInfo:
    """Title, timing line and objectives of a notebook, from its title cell.

    The cell is parsed by the contract (``contract.lesson_info``) when this copy of the
    course has it; a cell the contract refuses (or a course without that parser) is
    read field by field, and the timing line is rebuilt in the one format, so the index
    is uniform either way.

    Examples
    --------
    >>> from nbformat.v4 import new_notebook, new_markdown_cell
    >>> nb = new_notebook(cells=[new_markdown_cell(
    ...     "# 01 · Loss hypersurfaces\\n\\n"
    ...     "Teaching: 25 min · Exercises: 20 min · Execution budget: under 30 s\\n\\n"
    ...     "**Questions**\\n- What does a loss look like?\\n\\n"
    ...     "**Objectives**\\n- Evaluate a loss on a grid.\\n- Plot it.\\n")])
    >>> info = lesson_info(nb)
    >>> info.title, info.timing, info.objectives
    ('01 · Loss hypersurfaces', 'Teaching: 25 min · Exercises: 20 min · Execution budget: under 30 s', ['Evaluate a loss on a grid.', 'Plot it.'])
    """
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is None:
        return LessonInfo(fallback)
    parse = getattr(contract, "lesson_info", None)
    if parse is not None:
        try:
            info = parse(nb, fallback)
        except ValueError as exc:  # contract.ContractError
            if log:
                log(f"warning: {fallback}: title cell not in the contract's format ({exc})")
        else:
            return LessonInfo(info.heading, info.timing, list(info.objectives))
    return _local_lesson_info(first.source, fallback)


def _json_for_script(obj: Any) -> str:
    """JSON that is safe inside a <script> element (no '</script>' or '<!--')."""
    text = json.dumps(obj, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def figure_html(fig: dict, fig_id: str) -> str:
    """A figure's placeholder <div> and its JSON, drawn on load by the page's loader.

    Examples
    --------
    >>> print(figure_html({"data": [], "layout": {"title": {"text": "</script>"}}}, "f1"))
    <div class="wt-plotly" id="f1"></div><script type="application/json" class="wt-plotly-data" data-target="f1">{"data":[],"layout":{"title":{"text":"\\u003c/script\\u003e"}}}</script>
    """
    if not isinstance(fig, dict):
        raise TypeError(f"a plotly figure must be a JSON object (dict), got {type(fig).__name__}")
    payload = {key: fig[key] for key in ("data", "layout", "frames", "config") if key in fig}
    return (
        f'<div class="wt-plotly" id="{html.escape(fig_id)}"></div>'
        f'<script type="application/json" class="wt-plotly-data" '
        f'data-target="{html.escape(fig_id)}">{_json_for_script(payload)}</script>'
    )


def _widget_note() -> str:
    return f'<div class="wt-widget-note">{html.escape(WIDGET_NOTE)}</div>'


def _drop_markers(source: str) -> str:
    """`source` without its solution-marker lines (any the contract accepts)."""
    lines = source.splitlines(keepends=True)
    return "".join(
        ln
        for ln in lines
        if not (BEGIN_RE.match(ln.rstrip("\r\n")) or END_RE.match(ln.rstrip("\r\n")))
    )


def prepare_notebook(nb: Any, prefix: str = "fig") -> tuple[Any, int]:
    """A copy of `nb` ready for HTML: figures become <div>s, widgets a note.

    Returns the copy and its number of plotly figures. Widget state is dropped
    (it would make nbconvert load the widget manager from a CDN), and so are
    the solution-marker lines (the page shows the answer).
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    n_figures = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.source = _drop_markers(cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data")
            if output.get("output_type") not in ("display_data", "execute_result") or not data:
                continue
            if PLOTLY_MIME in data:
                n_figures += 1
                fig_id = f"{prefix}-{n_figures}"
                output["data"] = {"text/html": figure_html(data[PLOTLY_MIME], fig_id)}
                output["metadata"] = {}
            elif WIDGET_MIME in data:
                output["data"] = {"text/html": _widget_note()}
                output["metadata"] = {}
    return nb, n_figures


def _is_answer_cell(cell: Any) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    return SOLUTION_TAG in tags or any(BEGIN_RE.match(ln) for ln in cell.source.splitlines())


def _is_check_cell(cell: Any) -> bool:
    outputs = cell.get("outputs", [])
    return bool(_CHECK_CALL.search(cell.source)) or any(
        CHECK_MIME in out.get("data", {}) for out in outputs
    )


def learner_version(nb: Any) -> Any:
    """The learner's edition of an (executed) solution notebook; `nb` is not modified.

    Answer regions become the placeholders of ``lessons/`` (the same code as
    ``make lessons``); answer cells and check cells lose their outputs; every other
    cell keeps its source and outputs.

    Examples
    --------
    >>> from nbformat.v4 import new_notebook, new_code_cell, new_output
    >>> nb = new_notebook(cells=[new_code_cell(
    ...     "def f(x):\\n    ### BEGIN SOLUTION\\n    return 2 * x\\n    ### END SOLUTION",
    ...     outputs=[new_output("stream", name="stdout", text="4")])])
    >>> cell = learner_version(nb).cells[0]
    >>> print(cell.source); cell.outputs
    def f(x):
        return ...  # YOUR CODE HERE
    []
    """
    from .generate import strip_solutions

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if _is_answer_cell(cell):
            whole = SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])
            cell.source = strip_solutions(cell.source, whole_cell=whole)
        elif not _is_check_cell(cell):
            continue
        cell.outputs = []
        cell.execution_count = None
    return nb


def _nav(prev: tuple[str, str] | None, nxt: tuple[str, str] | None) -> str:
    parts = ['<nav class="wt-nav"><a href="index.html">\u2191 All lessons</a>']
    if prev:
        parts.append(f'<a href="{html.escape(prev[0])}">\u2190 {html.escape(prev[1])}</a>')
    if nxt:
        parts.append(f'<a href="{html.escape(nxt[0])}">{html.escape(nxt[1])} \u2192</a>')
    return "".join(parts) + "</nav>"


def _exporter():
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        template_file="wt_page.html.j2",
        theme="light",
        extra_loaders=[DictLoader({"wt_page.html.j2": _PAGE_TEMPLATE})],
    )


def lab_css() -> str:
    """The style sheet nbconvert's "lab" template inlines in every page (light theme)."""
    env = _exporter().environment
    return "\n".join(
        env.loader.get_source(env, f"static/{name}")[0] for name in ("index.css", "theme-light.css")
    )


def mathjax_dir() -> Path | None:
    """The folder of an offline MathJax 2 (the jupyter-server-mathjax package), if installed."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        return None
    folder = Path(jupyter_server_mathjax.__file__).resolve().parent / "static"
    return folder if (folder / "MathJax.js").is_file() else None


def render_page(
    nb: Any,
    title: str,
    nav: str = "",
    plotly_src: str = PLOTLY_FILE,
    mathjax_url: str | None = None,
    lab_css_href: str = LAB_CSS_FILE,
) -> str:
    """The HTML page of one notebook (prepared or not).

    A page with figures loads plotly.js from `plotly_src` (relative to the page: the
    site's one shared copy). With `mathjax_url` (relative, never a CDN) formulas are
    typeset by that local MathJax. The page's styles come from `lab_css_href` (the
    site's one copy of :func:`lab_css`).
    """
    nb, n_figures = prepare_notebook(nb)
    resources = {
        "metadata": {"name": title},
        "wt": {
            "plotly_src": plotly_src if n_figures else "",
            "css": _CSS,
            "nav": nav,
            "loader": _LOADER,
            "mathjax": mathjax_head(mathjax_url),
            "lab_css": lab_css_href,
        },
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return body


def render_index(
    lessons: list[tuple[str, LessonInfo]],
    title: str = COURSE_TITLE,
    mathjax_url: str | None = None,
    learner: bool = False,
) -> str:
    """The index page: every lesson in order (file name, info), linking its page."""
    from nbconvert.filters import markdown2html_mistune

    items = []
    for href, info in lessons:
        objectives = ""
        if info.objectives:
            md = "\n".join(f"- {o}" for o in info.objectives)
            objectives = (
                '<div class="objectives"><strong>Objectives</strong>'
                f"{markdown2html_mistune(md)}</div>"
            )
        timing = f'<p class="timing">{html.escape(info.timing)}</p>' if info.timing else ""
        items.append(
            f'<li class="lesson"><h2><a href="{html.escape(href)}">{html.escape(info.title)}'
            f"</a></h2>{timing}{objectives}</li>"
        )
    edition = (
        "<p><strong>Learner edition:</strong> the exercises are shown without their answers; "
        "solve them in JupyterLab.</p>"
        if learner
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="icon" href="data:,">
<title>{html.escape(title)}</title>
{mathjax_head(mathjax_url)}
<style type="text/css">
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 52em;
  margin: 2em auto; padding: 0 1em; line-height: 1.5; color: #222; }}
ol.lessons {{ list-style: none; padding: 0; }}
li.lesson {{ border-top: 1px solid #ddd; padding: 0.4em 0 0.8em 0; }}
li.lesson h2 {{ font-size: 1.25em; margin: 0.4em 0 0.2em 0; }}
li.lesson a {{ color: #1a5fb4; text-decoration: none; }}
p.timing {{ margin: 0; color: #555; font-size: 0.9em; }}
div.objectives ul {{ margin: 0.2em 0; }}
</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p>The lessons of the course in reading order, with their figures. Figures are interactive
(zoom, hover, sliders); widget views need a running kernel: open the notebook in
JupyterLab (<code>make lab</code>) to use them.</p>
{edition}
<ol class="lessons">
{chr(10).join(items)}
</ol>
</body>
</html>
"""


def _kernel_options() -> dict[str, Any]:
    """Start options that encrypt the kernel's connection when this jupyter_client can.

    ipykernel warns "running over TCP without encryption" unless the kernel manager
    provisions CurveZMQ keys (jupyter_client >= 8.10, pyzmq built with libsodium).
    """
    try:
        import zmq
        from jupyter_client.manager import KernelManager
    except ImportError:  # pragma: no cover - both come with nbclient
        return {}
    if "transport_encryption" in KernelManager.class_trait_names() and zmq.has("curve"):
        return {"transport_encryption": "auto"}
    return {}


def execute(nb: Any, cwd: Path, timeout: float = 600, root: Path | None = None) -> Any:
    """Run `nb` (in memory) top to bottom in a fresh python3 kernel working in `cwd`."""
    from . import execute as ex

    client, _ = ex.make_client(nb, cwd, timeout)
    try:  # the course's kernel environment (with the course root on PYTHONPATH)
        env = ex.kernel_env(root)
    except TypeError:  # a kernel_env() that takes no root
        env = ex.kernel_env()
    client.execute(env=env, **_kernel_options())
    return nb


def _prepare_out(out: Path) -> None:
    """Create `out`, or clear a site this command wrote there; never touch other files."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / SITE_MARKER).is_file():
            raise ValueError(
                f"--out {out}: the folder is not empty and was not written by this command "
                f"(no {SITE_MARKER} file); choose another folder or empty it"
            )
        for item in out.iterdir():
            if item.is_dir() and item.name == "mathjax":
                shutil.rmtree(item)
            elif item.suffix in (".html", ".js", ".css") or item.name == SITE_MARKER:
                item.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / SITE_MARKER).write_text("written by python -m wtcourse html\n", encoding="utf-8")


def build_site(
    notebooks: list[Path],
    out: Path,
    run: bool = True,
    timeout: float = 600,
    log=None,
    learner: bool = False,
    root: Path | None = None,
) -> list[Path]:
    """Write the index and one page per notebook into `out`; return the pages written.

    With `run`, each notebook is executed in a temporary copy of its folder
    (the files in place are only read). With `learner`, the learner's edition
    (see :func:`learner_version`).
    """
    log = log or (lambda msg: print(msg, file=sys.stderr))
    notebooks = sorted((Path(p) for p in notebooks), key=lambda p: p.name)
    if not notebooks:
        raise ValueError("no notebooks to publish")
    names = [p.stem for p in notebooks]
    if len(set(names)) != len(names):
        raise ValueError(f"notebook names must be unique, got {names}")
    out = Path(out)
    loaded = [nbformat.read(p, as_version=4) for p in notebooks]
    _prepare_out(out)
    infos = [
        lesson_info(nb, fallback=p.stem, log=log) for nb, p in zip(loaded, notebooks, strict=True)
    ]
    hrefs = [f"{p.stem}.html" for p in notebooks]
    pages = []
    mathjax_url = None
    mj = mathjax_dir()
    if mj is None:
        log("note: jupyter-server-mathjax is not installed; formulas stay as TeX source")
    else:
        # The SVG output and the accessibility explorer are never loaded: the pages use
        # the HTML-CSS output and show no MathJax menu (the zero-404 browser test checks).
        shutil.copytree(
            mj,
            out / "mathjax",
            dirs_exist_ok=True,
            ignore=lambda folder, names: [n for n in names if _unused(folder, n)],
        )
        mathjax_url = MATHJAX_URL
    (out / LAB_CSS_FILE).write_text(lab_css(), encoding="utf-8")
    plotly_written = False
    with tempfile.TemporaryDirectory(prefix="wt-html-") as tmp:
        for i, (path, nb) in enumerate(zip(notebooks, loaded, strict=True)):
            if run:
                workdir = Path(tmp) / f"{i:03d}"
                shutil.copytree(
                    path.parent,
                    workdir,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
                )
                log(f"executing {path}")
                try:
                    execute(nb, workdir, timeout, root)
                except Exception as exc:
                    raise RuntimeError(f"{path} failed to execute: {exc}") from exc
            if learner:
                nb = learner_version(nb)
            if not plotly_written and prepare_notebook(nb)[1]:
                from plotly.offline import get_plotlyjs

                (out / PLOTLY_FILE).write_text(get_plotlyjs(), encoding="utf-8")
                plotly_written = True
            prev = (hrefs[i - 1], infos[i - 1].title) if i > 0 else None
            nxt = (hrefs[i + 1], infos[i + 1].title) if i + 1 < len(notebooks) else None
            page = out / hrefs[i]
            text = render_page(nb, infos[i].title, _nav(prev, nxt), PLOTLY_FILE, mathjax_url)
            page.write_text(text, encoding="utf-8")
            pages.append(page)
            log(f"wrote {page}")
    index = out / "index.html"
    index.write_text(
        render_index(
            list(zip(hrefs, infos, strict=True)), mathjax_url=mathjax_url, learner=learner
        ),
        encoding="utf-8",
    )
    log(f"wrote {index}")
    return [index] + pages


def _unused(folder: str, name: str) -> bool:
    here = Path(folder).as_posix()
    return (name == "SVG" and here.endswith("jax/output")) or (
        name == "a11y" and here.endswith("/extensions")
    )


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def page_weights(out: Path, pages: list[Path]) -> str:
    """A table of each page's weight and the site's total.

    A page weighs its HTML plus the shared files it loads (``lab.css``, and
    ``plotly.min.js`` when it has a figure): what a first visit downloads, before a
    browser caches the shared files. MathJax is not counted per page (it loads the
    few files a page's formulas need from ``mathjax/``, counted in the total).
    """
    out = Path(out)
    shared = {
        name: _size(out / name) for name in (LAB_CSS_FILE, PLOTLY_FILE) if (out / name).is_file()
    }
    width = max(len(p.name) for p in pages)
    rows = [f"{'page':<{width}}  {'HTML':>9}  {'+ shared files':>14}  {'first load':>10}"]
    for page in pages:
        size, text = _size(page), page.read_text(encoding="utf-8")
        extra = sum(n for name, n in shared.items() if f'"{name}"' in text)
        rows.append(
            f"{page.name:<{width}}  {_mb(size):>9}  {(_mb(extra) if extra else '-'):>14}"
            f"  {_mb(size + extra):>10}"
        )
    mathjax = _size(out / "mathjax") if (out / "mathjax").is_dir() else 0
    parts = [f"pages {_mb(sum(_size(p) for p in pages))}"]
    parts += [f"{name} {_mb(n)} (once, shared)" for name, n in shared.items()]
    parts += [f"mathjax/ {_mb(mathjax)}"] if mathjax else []
    rows.append(f"site {out}: {_mb(_size(out))} on disk = " + " + ".join(parts))
    return "\n".join(rows)


# ---------------------------------------------------------------- command line
def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m wtcourse html``."""
    parser.add_argument(
        "files", nargs="*", type=Path, help="notebooks to publish (default: solutions/*.ipynb)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default: site in the course folder)"
    )
    parser.add_argument(
        "--no-execute",
        dest="execute",
        action="store_false",
        help="use the stored outputs instead of executing the notebooks",
    )
    parser.add_argument(
        "--learner",
        action="store_true",
        help="publish the learner's edition: no answers, no outputs of answer or check cells",
    )
    parser.add_argument(
        "--timeout", type=_positive_seconds, default=600.0, help="seconds allowed per cell"
    )


def _course_root(args: argparse.Namespace) -> Path:
    root = getattr(args, "root", None)
    if root is not None:
        return Path(root)
    try:
        from .paths import course_root
    except ImportError:  # a course without wtcourse.paths: the current folder
        return Path.cwd()
    try:
        return course_root()
    except OSError:
        return Path.cwd()


def run(args: argparse.Namespace) -> int:
    """Build the site as `args` say; print the page weights; return the exit status."""
    root = _course_root(args)
    files = args.files or sorted((root / "solutions").glob("*.ipynb"))
    if not files:
        print(
            f"error: no notebooks to publish ({root / 'solutions'}/*.ipynb is empty)",
            file=sys.stderr,
        )
        return 1
    out = args.out if args.out is not None else root / "site"
    try:
        pages = build_site(
            files, out, run=args.execute, timeout=args.timeout, learner=args.learner, root=root
        )
    except Exception as exc:  # a cell raised, a file is unreadable, ...
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(page_weights(out, pages))
    edition = "learner edition" if args.learner else "with solutions"
    print(f"site written to {out / 'index.html'} ({len(files)} lessons, {edition})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wtcourse.html", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--root", type=Path, default=None, help="the course folder (default: found from here)"
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
