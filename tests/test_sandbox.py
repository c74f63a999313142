"""The grading sandbox itself: who the kernel runs as, and what it may not do (issue 14)."""

import os
import subprocess
import sys

import pytest

from wtcourse import sandbox

BWRAP, WHY = sandbox.bwrap_available()
pytestmark = pytest.mark.skipif(BWRAP is None, reason=WHY or "bubblewrap is not available")

PROBE = r"""
import ctypes, os, time
print("uid", os.getuid(), os.geteuid())
open("made-here", "w").write("x")
n = 0
try:
    while n < 1000:
        if os.fork() == 0:
            time.sleep(20)
            os._exit(0)
        n += 1
except OSError as exc:
    print("refused after", n, type(exc).__name__)
print("nested user namespace", ctypes.CDLL(None, use_errno=True).unshare(0x10000000))
path = os.environ["REPO_FILE"]
try:
    open(path, "a")
    print("wrote", path)
except OSError:
    print("read-only", path)
"""


def run_confined(work, limits, code=PROBE):
    env = {"PATH": "/usr/bin:/bin", "REPO_FILE": os.path.abspath(sandbox.__file__)}
    cmd = sandbox.bwrap_command(
        BWRAP,
        work,
        sandbox.limit_command(limits, [sys.executable, "-I", "-c", code]),
        env,
        sandbox.read_only_paths(),
    )
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_a_fork_bomb_is_capped_and_the_kernel_is_nobody(tmp_path):
    work = tmp_path / "work"
    work.mkdir(mode=0o700)
    sandbox.prepare_work(work)
    done = run_confined(work, sandbox.Limits(processes=40))
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == f"uid {sandbox.NOBODY} {sandbox.NOBODY}"
    # the cap counts the sandbox's own processes and threads: itself plus at most 39 children
    assert lines[1].startswith("refused after ") and int(lines[1].split()[2]) < 40, lines
    assert lines[2] == "nested user namespace -1"
    assert lines[3].startswith("read-only ")
    assert (work / "made-here").stat().st_uid == (
        sandbox.NOBODY if os.geteuid() == 0 else os.geteuid()
    )


def test_the_sleeping_children_end_with_the_sandbox(tmp_path):
    # The PID namespace ends with its first process: nothing forked inside survives it.
    work = tmp_path / "work"
    work.mkdir(mode=0o700)
    sandbox.prepare_work(work)
    marker = f"wt-sandbox-{os.getpid()}-{tmp_path.name}"
    code = PROBE.replace("time.sleep(20)", f"time.sleep(300)  # {marker}")
    done = run_confined(work, sandbox.Limits(processes=16), code)
    assert done.returncode == 0, done.stderr[-2000:]
    alive = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if marker.encode() in fh.read():
                    alive.append(pid)
        except OSError:
            pass
    assert alive == []


def test_limits_refuse_a_bad_process_count():
    with pytest.raises(ValueError, match="Limits.processes must be a positive integer"):
        sandbox.Limits(processes=0)
