"""Build the browser edition of the course: a static site that shows every figure offline.

``python -m wtcourse.html`` (or ``make html``) executes every solution
notebook in a fresh kernel, in a temporary copy of ``solutions/`` (the stored
notebooks are never modified), and writes ``site/``:

* ``site/index.html`` -- every lesson in order, with its title, timing and
  objectives (taken from the notebook's first markdown cell);
* ``site/NN-topic.html`` -- one page per notebook.

Figures are stored in the notebooks as plotly JSON
(``application/vnd.plotly.v1+json``), which nbconvert does not render. Each
one becomes a ``<div>`` drawn by ``Plotly.newPlot`` with plotly.js embedded
*once* per page, inline, from the installed plotly package: the pages need no
network (no CDN, no require.js, no MathJax download: formulas are typeset by the
MathJax 2 of jupyter-server-mathjax, copied once into the site's ``mathjax/``). Kernel-free plotly
sliders and animation frames therefore work on the page. Widget views need a
kernel: each one is replaced by a short note.

Options: ``--no-execute`` reuses the stored outputs (fast; what the tests
use), ``--out DIR`` (default ``site``), ``--timeout`` (seconds per cell),
and the notebooks to publish (default: ``solutions/*.ipynb``).
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

__all__ = [
    "PLOTLY_MIME", "WIDGET_MIME", "WIDGET_NOTE", "LessonInfo", "build_site", "figure_html",
    "lesson_info", "main", "prepare_notebook", "render_index", "render_page",
]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "Interactive widget \u2014 run this notebook in JupyterLab to use it."
COURSE_TITLE = "Weights Traversal"
_MARKER = re.compile(r"^[ \t]*### (?:BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)

# The page template: nbconvert's "lab" template without anything fetched from
# the network (require.js, MathJax, mermaid and the widget manager come from
# CDNs), with plotly.js inline once, a navigation bar, and the figure loader.
_PAGE_TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}
<link rel="icon" href="data:,">
{%- if resources.wt.plotly_js -%}
<script type="text/javascript">{{ resources.wt.plotly_js }}</script>
{%- endif -%}
{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}
{%- if resources.wt.mathjax -%}
<script type="text/x-mathjax-config">
MathJax.Hub.Config({
  tex2jax: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
            processEscapes: true, processEnvironments: true},
  "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null},
  messageStyle: "none", showMathMenu: false
});
</script>
<script type="text/javascript" src="{{ resources.wt.mathjax }}"></script>
{%- endif -%}
{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style type="text/css">{{ resources.wt.css }}</style>
{%- endblock extra_css -%}
{%- block body_header -%}
{{ super() }}
{{ resources.wt.nav }}
{%- endblock body_header -%}
{%- block body_footer -%}
{{ resources.wt.nav }}
</main>
{%- if resources.wt.plotly_js %}
<script type="text/javascript">{{ resources.wt.loader }}</script>
{%- endif %}
</body>
{%- endblock body_footer -%}
"""

_CSS = """
nav.wt-nav { display: flex; gap: 1.5em; padding: 0.6em 1em; margin: 0 0 1em 0;
  font-family: var(--jp-ui-font-family, sans-serif); font-size: 0.95em;
  border-bottom: 1px solid #ddd; }
nav.wt-nav a { text-decoration: none; color: #1a5fb4; }
.wt-plotly { width: 100%; min-height: 450px; }
.wt-widget-note { padding: 0.6em 0.9em; border-left: 4px solid #1a5fb4; background: #eef4fb;
  font-family: var(--jp-ui-font-family, sans-serif); }
"""

# Draw every figure on the page: the figure JSON sits in a non-executed
# <script type="application/json"> next to its <div>.
_LOADER = """
(function () {
  var nodes = document.querySelectorAll("script.wt-plotly-data");
  for (var i = 0; i < nodes.length; i++) {
    var fig = JSON.parse(nodes[i].textContent);
    var div = document.getElementById(nodes[i].getAttribute("data-target"));
    // typesetMath off: the page's MathJax is for the text; plotly would ask it for TeX fonts.
    var config = Object.assign({responsive: true, displaylogo: false}, fig.config || {}, {typesetMath: false});
    Plotly.newPlot(div, {data: fig.data || [], layout: fig.layout || {},
                         frames: fig.frames || [], config: config});
  }
})();
"""


@dataclass
class LessonInfo:
    """What the index shows of a notebook: title, timing line, objectives (markdown)."""

    title: str
    timing: str = ""
    objectives: list[str] = field(default_factory=list)


def lesson_info(nb: Any, fallback: str = "Untitled") -> LessonInfo:
    """Title, timing and objectives of a notebook, from its first markdown cell.

    The title is the first ``# `` heading, the timing the line that starts
    with ``Teaching:``, the objectives the list items after ``**Objectives**``.

    Examples
    --------
    >>> from nbformat.v4 import new_notebook, new_markdown_cell
    >>> nb = new_notebook(cells=[new_markdown_cell(
    ...     "# 01 · Loss hypersurfaces\\nTeaching: 25 min · Exercises: 20 min\\n\\n"
    ...     "**Questions**\\n- What does a loss look like?\\n\\n"
    ...     "**Objectives**\\n- Evaluate a loss on a grid.\\n- Plot it.\\n")])
    >>> info = lesson_info(nb)
    >>> info.title, info.timing, info.objectives
    ('01 · Loss hypersurfaces', 'Teaching: 25 min · Exercises: 20 min', ['Evaluate a loss on a grid.', 'Plot it.'])
    """
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is None:
        return LessonInfo(fallback)
    title, timing, objectives, in_objectives = fallback, "", [], False
    found_title = False
    for raw in first.source.splitlines():
        line = raw.strip()
        if not found_title and line.startswith("# "):
            title, found_title = line[2:].strip(), True
        elif line.startswith("Teaching:") and not timing:
            timing = line
        elif re.match(r"^(\*\*|__)?objectives", line, flags=re.IGNORECASE):
            in_objectives = True
        elif in_objectives:
            item = re.match(r"^(?:[-*+]|\d+[.)])\s+(.*)$", line)
            if item:
                objectives.append(item.group(1).strip())
            elif line and objectives:
                if line.startswith(("#", "**", "__")):
                    in_objectives = False
                else:                          # a wrapped list item
                    objectives[-1] += " " + line
    return LessonInfo(title, timing, objectives)


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
    return (f'<div class="wt-plotly" id="{html.escape(fig_id)}"></div>'
            f'<script type="application/json" class="wt-plotly-data" '
            f'data-target="{html.escape(fig_id)}">{_json_for_script(payload)}</script>')


def _widget_note() -> str:
    return f'<div class="wt-widget-note">{html.escape(WIDGET_NOTE)}</div>'


def prepare_notebook(nb: Any, prefix: str = "fig") -> tuple[Any, int]:
    """A copy of `nb` ready for HTML: figures become <div>s, widgets a note.

    Returns the copy and its number of plotly figures. Widget state is dropped
    (it would make nbconvert load the widget manager from a CDN), and so are
    the ``### BEGIN/END SOLUTION`` marker lines (the page shows the answer).
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    n_figures = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.source = _MARKER.sub("", cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data")
            if output.get("output_type") not in ("display_data", "execute_result") or not data:
                continue
            if PLOTLY_MIME in data:
                n_figures += 1
                output["data"] = {"text/html": figure_html(data[PLOTLY_MIME], f"{prefix}-{n_figures}")}
                output["metadata"] = {}
            elif WIDGET_MIME in data:
                output["data"] = {"text/html": _widget_note()}
                output["metadata"] = {}
    return nb, n_figures


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

    return HTMLExporter(template_name="lab", template_file="wt_page.html.j2", theme="light",
                        extra_loaders=[DictLoader({"wt_page.html.j2": _PAGE_TEMPLATE})])


#: MathJax 2, served from the site's own ``mathjax/`` folder (copied from jupyter-server-mathjax).
MATHJAX_URL = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"   # with its STIX-Web fonts


def mathjax_dir() -> Path | None:
    """The folder of an offline MathJax 2 (the jupyter-server-mathjax package), if installed."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        return None
    folder = Path(jupyter_server_mathjax.__file__).resolve().parent / "static"
    return folder if (folder / "MathJax.js").is_file() else None


def render_page(nb: Any, title: str, nav: str = "", plotly_js: str | None = None,
                mathjax_url: str | None = None) -> str:
    """The HTML page of one notebook (prepared or not), with plotly.js inline if it has figures.

    `plotly_js` defaults to the installed plotly's bundle. With `mathjax_url` (a path
    relative to the page, never a CDN) formulas are typeset by that local MathJax.
    """
    nb, n_figures = prepare_notebook(nb)
    if n_figures and plotly_js is None:
        from plotly.offline import get_plotlyjs

        plotly_js = get_plotlyjs()
    resources = {
        "metadata": {"name": title},
        "wt": {"plotly_js": plotly_js if n_figures else "", "css": _CSS, "nav": nav,
               "loader": _LOADER, "mathjax": mathjax_url or ""},
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return body


def render_index(lessons: list[tuple[str, LessonInfo]], title: str = COURSE_TITLE) -> str:
    """The index page: every lesson in order (file name, info), linking its page."""
    from nbconvert.filters import markdown2html_mistune

    items = []
    for href, info in lessons:
        objectives = ""
        if info.objectives:
            md = "\n".join(f"- {o}" for o in info.objectives)
            objectives = f'<div class="objectives"><strong>Objectives</strong>{markdown2html_mistune(md)}</div>'
        timing = f'<p class="timing">{html.escape(info.timing)}</p>' if info.timing else ""
        items.append(f'<li class="lesson"><h2><a href="{html.escape(href)}">{html.escape(info.title)}</a></h2>'
                     f"{timing}{objectives}</li>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="icon" href="data:,">
<title>{html.escape(title)}</title>
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
<ol class="lessons">
{chr(10).join(items)}
</ol>
</body>
</html>
"""


def execute(nb: Any, cwd: Path, timeout: float = 600) -> Any:
    """Run `nb` (in memory) top to bottom in a fresh python3 kernel working in `cwd`."""
    from .execute import kernel_env, make_client

    client, _ = make_client(nb, cwd, timeout)
    client.execute(env=kernel_env())
    return nb


def build_site(notebooks: list[Path], out: Path, run: bool = True, timeout: float = 600,
               log=None) -> list[Path]:
    """Write the index and one page per notebook into `out`; return the pages written.

    With `run`, each notebook is executed in a temporary copy of its folder
    (the files in place are only read).
    """
    log = log or (lambda msg: print(msg, file=sys.stderr))
    notebooks = sorted((Path(p) for p in notebooks), key=lambda p: p.name)
    if not notebooks:
        raise ValueError("no notebooks to publish")
    names = [p.stem for p in notebooks]
    if len(set(names)) != len(names):
        raise ValueError(f"notebook names must be unique, got {names}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    loaded = [nbformat.read(p, as_version=4) for p in notebooks]
    infos = [lesson_info(nb, fallback=p.stem) for nb, p in zip(loaded, notebooks)]
    hrefs = [f"{p.stem}.html" for p in notebooks]
    plotly_js = None
    pages = []
    mathjax_url = None
    mj = mathjax_dir()
    if mj is None:
        log("note: jupyter-server-mathjax is not installed; formulas stay as TeX source")
    else:
        shutil.copytree(mj, out / "mathjax", dirs_exist_ok=True)
        mathjax_url = MATHJAX_URL
    with tempfile.TemporaryDirectory(prefix="wt-html-") as tmp:
        for i, (path, nb) in enumerate(zip(notebooks, loaded)):
            if run:
                workdir = Path(tmp) / f"{i:03d}"
                shutil.copytree(path.parent, workdir,
                                ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
                log(f"executing {path}")
                try:
                    execute(nb, workdir, timeout)
                except Exception as exc:
                    raise RuntimeError(f"{path} failed to execute: {exc}") from exc
            if plotly_js is None and prepare_notebook(nb)[1]:
                from plotly.offline import get_plotlyjs

                plotly_js = get_plotlyjs()
            prev = (hrefs[i - 1], infos[i - 1].title) if i > 0 else None
            nxt = (hrefs[i + 1], infos[i + 1].title) if i + 1 < len(notebooks) else None
            page = out / hrefs[i]
            page.write_text(render_page(nb, infos[i].title, _nav(prev, nxt), plotly_js, mathjax_url),
                            encoding="utf-8")
            pages.append(page)
            log(f"wrote {page}")
    index = out / "index.html"
    index.write_text(render_index(list(zip(hrefs, infos))), encoding="utf-8")
    log(f"wrote {index}")
    return [index] + pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wtcourse.html",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path,
                        help="notebooks to publish (default: solutions/*.ipynb)")
    parser.add_argument("--out", type=Path, default=Path("site"), help="output folder (default: site)")
    parser.add_argument("--no-execute", dest="run", action="store_false",
                        help="use the stored outputs instead of executing the notebooks")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    files = args.files or sorted(Path("solutions").glob("*.ipynb"))
    if not files:
        print("error: no notebooks to publish (solutions/*.ipynb is empty)", file=sys.stderr)
        return 1
    try:
        build_site(files, args.out, run=args.run, timeout=args.timeout)
    except Exception as exc:                    # a cell raised, a file is unreadable, ...
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"site written to {args.out}/index.html ({len(files)} lessons)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
