"""`make lab` (`python -m wtcourse lab`): the link it prints last opens lesson 00 with the token.

The server is started exactly as `make lab` starts it (on a free port, no browser), and
the printed link is fetched over HTTP: no browser needed.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from wtcourse.lab import free_port, lab_url

ROOT = Path(__file__).resolve().parents[1]
URL_RE = re.compile(
    r"^    (http://127\.0\.0\.1:(\d+)/lab/tree/lessons/00-start-here\.ipynb\?token=(\w+))$"
)


@pytest.fixture
def lab():
    """`python -m wtcourse lab --no-browser` on a free port; yields (process, printed lines)."""
    port = free_port(0)
    proc = subprocess.Popen(
        [sys.executable, "-m", "wtcourse", "lab", "--no-browser", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the cleanup below stops only it
    )
    lines: list[str] = []
    yield proc, lines, port
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    proc.stdout.close()
    proc.stderr.close()


def read_until_url(proc, lines, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            pytest.fail(f"`wtcourse lab` ended (status {proc.wait()}): {proc.stderr.read()}")
        lines.append(line.rstrip("\n"))
        if URL_RE.match(lines[-1]):
            # the link is the last thing printed: only the blank line after it follows
            assert proc.stdout.readline() == "\n"
            return URL_RE.match(lines[-1])
    pytest.fail(f"no link printed within {timeout} s: {lines}")


def test_make_lab_link_opens_lesson_00(lab):
    proc, lines, port = lab
    m = read_until_url(proc, lines)
    url, printed_port, token = m.groups()
    assert int(printed_port) == port and len(token) >= 32
    with urllib.request.urlopen(url, timeout=60) as response:
        assert response.status == 200
        page = response.read().decode()
    config = json.loads(
        re.search(
            r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S
        ).group(1)
    )
    assert config["treePath"] == "lessons/00-start-here.ipynb"
    api = (
        f"http://127.0.0.1:{port}/api/contents/lessons/00-start-here.ipynb?content=0&token={token}"
    )
    with urllib.request.urlopen(api, timeout=60) as response:
        assert json.loads(response.read())["type"] == "notebook"
    listing = f"http://127.0.0.1:{port}/api/contents?token={token}"
    (ROOT / "weights_traversal.egg-info").mkdir(exist_ok=True)  # as an editable install leaves it
    try:
        with urllib.request.urlopen(listing, timeout=60) as response:
            names = {item["name"] for item in json.loads(response.read())["content"]}
    finally:
        if not any((ROOT / "weights_traversal.egg-info").iterdir()):
            (ROOT / "weights_traversal.egg-info").rmdir()
    assert "lessons" in names and not any(n.endswith(".egg-info") for n in names)
    with pytest.raises(urllib.error.HTTPError) as denied:  # token authentication is on
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=60)
    assert denied.value.code == 403
    denied.value.close()


def test_sigterm_stops_the_server_too(lab):
    proc, lines, port = lab
    read_until_url(proc, lines)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=5)


def test_lab_url_and_free_port():
    assert (
        lab_url(8888, "t") == "http://127.0.0.1:8888/lab/tree/lessons/00-start-here.ipynb?token=t"
    )
    port = free_port(0)
    assert 0 < port < 65536
