"""``python -m wtcourse lab`` (``make lab``): JupyterLab on lesson 00, its link printed last.

The server listens on 127.0.0.1 only, on port 8888 or (when that is taken) a free
port, with a random token from :mod:`secrets` handed to it through the environment
(``JUPYTER_TOKEN``: not visible in the process list). Its log goes to a file, so
the last thing the terminal shows is the link that opens
``lessons/00-start-here.ipynb`` with the token. Build artefacts
(``*.egg-info``) are hidden from the file browser. Ctrl-C stops the server.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import webbrowser
from pathlib import Path

from . import paths

__all__ = ["START_NOTEBOOK", "add_arguments", "free_port", "lab_url", "run", "server_command"]

START_NOTEBOOK = "lessons/00-start-here.ipynb"
#: Jupyter server's default hidden globs, plus the build artefacts of an editable install.
HIDE_GLOBS = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", "*.so", "*.dylib", "*.egg-info"]


def free_port(preferred: int = 8888) -> int:
    """`preferred` if nothing listens on 127.0.0.1 there, else a port the system hands out."""
    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise OSError("no free TCP port on 127.0.0.1")


def lab_url(port: int, token: str, notebook: str = START_NOTEBOOK) -> str:
    """The link that opens `notebook` in JupyterLab.

    Examples
    --------
    >>> lab_url(8888, "abc")
    'http://127.0.0.1:8888/lab/tree/lessons/00-start-here.ipynb?token=abc'
    """
    return f"http://127.0.0.1:{port}/lab/tree/{notebook}?token={token}"


def server_command(root: Path, port: int) -> list[str]:
    """The JupyterLab command line (the token comes from the environment)."""
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--ContentsManager.hide_globs={HIDE_GLOBS!r}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI run as root
        cmd.append("--allow-root")
    return cmd


def _ready(port: int, token: str) -> bool:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _tail(path: Path, n: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def add_arguments(parser) -> None:
    """Options of ``python -m wtcourse lab``."""
    parser.add_argument(
        "--port", type=int, default=8888, help="port to try first (default: 8888; else a free one)"
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="only print the link, do not open a browser"
    )
    parser.add_argument(
        "--startup-timeout",
        type=float,
        default=180.0,
        help="seconds to wait for the server to answer (default: 180)",
    )


def run(args) -> int:
    """Start JupyterLab, wait until it answers, print the link last; stop on Ctrl-C."""
    root = paths.course_root(getattr(args, "root", None))
    if not (root / START_NOTEBOOK).is_file():
        print(
            f"error: {root / START_NOTEBOOK} is missing: run `make lessons` first", file=sys.stderr
        )
        return 1
    port = free_port(args.port)
    token = secrets.token_hex(24)
    log = Path(tempfile.gettempdir()) / f"wtcourse-lab-{port}.log"
    env = {**os.environ, "JUPYTER_TOKEN": token}
    print(f"Starting JupyterLab on 127.0.0.1:{port} (server log: {log}) ...", flush=True)
    with open(log, "w") as log_file:
        proc = subprocess.Popen(
            server_command(root, port),
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    # `kill` (SIGTERM) stops the server too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        deadline = time.monotonic() + args.startup_timeout
        while not _ready(port, token):
            if proc.poll() is not None or time.monotonic() > deadline:
                print(_tail(log), file=sys.stderr)
                print(f"error: JupyterLab did not start; its log is {log}", file=sys.stderr)
                return 1
            time.sleep(0.5)
        url = lab_url(port, token)
        if not args.no_browser and _has_display():
            webbrowser.open(url)
        print("\nJupyterLab is running. Stop it with Ctrl-C. Open lesson 00 with this link:\n")
        print(f"    {url}\n", flush=True)
        return proc.wait() or 0
    except KeyboardInterrupt:
        return 0
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
