"""Run a grading kernel alone: bubblewrap sandbox, resource limits, IPC sockets in its folder.

Each submission gets a fresh folder (``work``) that holds only its notebook. Its kernel is
started by :func:`kernel_manager`:

* ``sandbox="bwrap"`` -- under bubblewrap (``bwrap``): a new mount namespace whose root
  holds only the system folders (``/usr`` and the ``/bin``, ``/lib*`` links, a few ``/etc``
  files), the Python installation, the virtual environment and the course packages, all
  **read-only**; the submission's folder is the only writable place (working directory and
  ``HOME``); ``/tmp`` is an empty private tmpfs. No network (own network namespace: only a
  loopback with nothing on it), its own PID namespace (when the kernel ends, every process
  it started ends with it, double-forked daemons included), its own user namespace as
  ``nobody`` with every capability dropped and no nested user namespaces, a cleared
  environment, at most :attr:`Limits.processes` processes and threads (``RLIMIT_NPROC``),
  and it dies with the grader.

  Run as root (a CI machine, a container), a user namespace would map ``nobody`` to root
  outside it, and the kernel ignores ``RLIMIT_NPROC`` for root. So as root the sandbox is
  two bubblewraps: an outer one, privileged and without a user namespace, sets up the
  mounts and the network, PID, IPC and UTS namespaces; ``setpriv`` then becomes the real
  user ``nobody`` (uid 65534) with no capabilities; an inner, unprivileged bubblewrap adds
  the user namespace (``nobody`` inside and outside) and blocks nested ones. The
  submission's folder is handed to ``nobody`` first (:func:`prepare_work`).
* ``sandbox="off"`` -- a plain child process (same limits and environment, no isolation).

Both: ``RLIMIT_AS`` (memory), ``RLIMIT_CPU`` (CPU seconds), ``RLIMIT_FSIZE`` (largest file
it may write), and death with the grading process (``PR_SET_PDEATHSIG``). The kernel talks
to the grader over ZeroMQ ``ipc`` sockets created in its own folder (the folder is bound at
the same path inside the sandbox; the network namespace has no effect on Unix sockets).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Limits",
    "bwrap_available",
    "bwrap_command",
    "kernel_env",
    "kernel_manager",
    "limit_command",
    "prepare_work",
    "read_only_paths",
]

#: The user a sandboxed kernel runs as (``nobody``).
NOBODY = 65534

REPO_ROOT = Path(__file__).resolve().parents[1]

#: Files of /etc a Python process may want; nothing else of /etc is visible.
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "passwd",
    "group",
    "nsswitch.conf",
    "alternatives",
    "fonts",
    "mime.types",
)
#: Top-level system entries: bound read-only if a folder, recreated if a symlink.
SYSTEM_ENTRIES = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")


@dataclass(frozen=True)
class Limits:
    """Per-process limits of a grading kernel (and of every process it starts)."""

    memory_mb: int = 4096  #: address space (RLIMIT_AS)
    cpu_seconds: int = 600  #: CPU time (RLIMIT_CPU)
    file_mb: int = 64  #: largest file it may write (RLIMIT_FSIZE)
    #: processes and threads of the sandbox's user (RLIMIT_NPROC; only under bubblewrap,
    #: where that user is ``nobody`` in a namespace of its own and counts nothing else)
    processes: int = 256

    def __post_init__(self) -> None:
        for name in ("memory_mb", "cpu_seconds", "file_mb", "processes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{name} must be a positive integer, got {value!r}")


# Runs as `python -I -S -c LIMITER cmd...`: set the limits, die with the parent, exec cmd.
LIMITER = """\
import ctypes, os, resource, sys
mem, cpu, fsize, nproc = (int(v) for v in sys.argv[1:5])
resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
if nproc > 0:
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
except Exception:
    pass
os.execv(sys.argv[5], sys.argv[5:])
"""


def limit_command(limits: Limits, cmd: list[str], processes: bool = True) -> list[str]:
    """`cmd` prefixed so that it runs with `limits` and dies with its parent.

    ``processes=False`` leaves ``RLIMIT_NPROC`` alone: outside a sandbox it would count every
    process of the grader's own user.
    """
    return [
        sys.executable,
        "-I",
        "-S",
        "-c",
        LIMITER,
        str(limits.memory_mb << 20),
        str(limits.cpu_seconds),
        str(limits.file_mb << 20),
        str(limits.processes if processes else 0),
        *cmd,
    ]


def _package_dirs() -> list[Path]:
    import gridlib
    import wtcourse

    return [Path(gridlib.__file__).resolve().parent, Path(wtcourse.__file__).resolve().parent]


def read_only_paths(extra: list[Path] | None = None) -> list[Path]:
    """Folders bound read-only into the sandbox: Python, the venv, the course packages, `extra`.

    The repository root itself is NOT bound (it holds ``solutions/``): only its packages.
    """
    found = [
        Path(sys.base_prefix),
        Path(sys.prefix),
        Path(sys.exec_prefix),
        Path(os.path.realpath(sys.executable)).parent,
        *_package_dirs(),
        *(extra or []),
    ]
    out: list[Path] = []
    for p in found:
        p = p.resolve()
        if p.exists() and p not in out and not any(p.is_relative_to(q) for q in out):
            out = [q for q in out if not q.is_relative_to(p)] + [p]
    return out


def _as_root() -> bool:
    return os.geteuid() == 0


def prepare_work(work: Path) -> None:
    """Hand the submission's folder (and all in it) to ``nobody`` when the grader is root.

    Run as root, the sandboxed kernel is the real user ``nobody``: its folder must be its own.
    (Otherwise the kernel runs as the grader's own user, who owns the folder already.)
    """
    if not _as_root():
        return
    for top, dirs, files in os.walk(work):
        os.chown(top, NOBODY, NOBODY, follow_symlinks=False)
        for name in [*dirs, *files]:
            os.chown(os.path.join(top, name), NOBODY, NOBODY, follow_symlinks=False)


def _ancestors(paths: list[Path]) -> list[Path]:
    """Every folder above `paths` that a bind must create, outermost first (made 0755)."""
    out: list[Path] = []
    for p in paths:
        for a in reversed(p.parents):
            if a != Path("/") and a not in out and a.parts[1] not in SYSTEM_ENTRIES:
                out.append(a)
    return out


def bwrap_command(
    bwrap: str, work: Path, cmd: list[str], env: dict[str, str], read_only: list[Path]
) -> list[str]:
    """The bubblewrap command line that runs `cmd` confined to `work` (see the module doc)."""
    inner = [
        "--unshare-user",
        "--uid",
        str(NOBODY),
        "--gid",
        str(NOBODY),
        "--cap-drop",
        "ALL",
        "--disable-userns",
        "--die-with-parent",
    ]
    args = [bwrap]
    if _as_root():  # an outer, privileged bubblewrap without a user namespace (module doc)
        args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
        args += ["--unshare-cgroup-try", "--die-with-parent"]
    else:
        args += ["--unshare-all", *inner]
    args += ["--new-session", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for name in SYSTEM_ENTRIES:
        p = Path("/") / name
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            args += ["--ro-bind", str(p), str(p)]
    for name in ETC_FILES:
        p = Path("/etc") / name
        if p.exists():
            args += ["--ro-bind", str(p), str(p)]
    if _as_root():  # folders bubblewrap makes for the binds are 0700: nobody could not enter
        for a in _ancestors([*read_only, work]):
            args += ["--perms", "0755", "--dir", str(a)]
    for p in read_only:
        args += ["--ro-bind", str(p), str(p)]
    args += ["--bind", str(work), str(work), "--chdir", str(work), "--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    if _as_root():
        setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
        drop = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
        drop += ["--inh-caps=-all", "--bounding-set=-all", "--"]
        args += ["--", *drop, bwrap, *inner, "--bind", "/", "/", "--proc", "/proc"]
        args += ["--dev", "/dev", "--chdir", str(work)]
    return args + ["--", *cmd]


_BWRAP_CHECKED: dict[str, str | None] = {}


def bwrap_available() -> tuple[str | None, str]:
    """``(path, "")`` if a working ``bwrap`` is on PATH, else ``(None, why not)``.

    "Working" means it ran ``python -c pass`` confined exactly as a grading kernel is.
    """
    path = shutil.which("bwrap")
    if path is None:
        return None, "bwrap (Debian/Ubuntu package `bubblewrap`) is not installed"
    if path not in _BWRAP_CHECKED:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="wt-bwrap-check-") as tmp:
            prepare_work(Path(tmp))
            cmd = bwrap_command(
                path,
                Path(tmp),
                [sys.executable, "-c", "pass"],
                {"PATH": "/usr/bin:/bin"},
                read_only_paths(),
            )
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
                why = (
                    None
                    if done.returncode == 0
                    else (done.stderr.strip() or f"exit {done.returncode}")
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                why = f"{type(exc).__name__}: {exc}"
        _BWRAP_CHECKED[path] = why
    why = _BWRAP_CHECKED[path]
    return (path, "") if why is None else (None, f"{path} does not work here: {why[:300]}")


def kernel_env(work: Path, pythonpath: list[Path]) -> dict[str, str]:
    """The kernel's whole environment: nothing of the grader's (no tokens, no keys)."""
    bindir = str(Path(sys.executable).parent)
    return {
        "PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(work),
        "TMPDIR": str(work),
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath),
        "PYTHONDONTWRITEBYTECODE": "1",
        "IPYTHONDIR": str(work / ".ipython"),
        "MPLCONFIGDIR": str(work / ".config" / "matplotlib"),
        "XDG_CACHE_HOME": str(work / ".cache"),
        "JUPYTER_RUNTIME_DIR": str(work / ".kernel"),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def kernel_manager(
    work: Path,
    *,
    bwrap: str | None,
    limits: Limits,
    pythonpath: list[Path],
    read_only: list[Path],
    max_message: int = 32 << 20,
) -> Any:
    """A ``KernelManager`` for a python3 kernel confined to `work` (``bwrap=None``: no sandbox).

    The connection file and the ``ipc`` sockets live in ``work/.kernel``; interrupts are
    sent as messages (a signal to the sandbox would stop bubblewrap, not the kernel). The
    client drops any single message over `max_message` bytes. Returns ``(manager, env)``.
    """
    import zmq.asyncio
    from jupyter_client import AsyncKernelManager

    runtime = work / ".kernel"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = kernel_env(work, pythonpath)

    class ConfinedKernelManager(AsyncKernelManager):  # type: ignore[misc]
        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            cmd = super().format_kernel_cmd(extra_arguments)
            if bwrap is None:
                return limit_command(limits, cmd, processes=False)
            prepare_work(work)  # the connection file is written by now
            return bwrap_command(bwrap, work, limit_command(limits, cmd), env, read_only)

    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, max_message)  # a larger message is dropped, not read
    km = ConfinedKernelManager(
        kernel_name="python3",
        transport="ipc",
        ip=str(runtime / "k"),
        connection_file=str(runtime / "kernel.json"),
        context=context,
    )
    km.kernel_spec.interrupt_mode = "message"
    return km, env
