"""Grade submitted notebooks: the teacher's checks judge data probed from a sandboxed kernel.

``python -m wtcourse grade PATH [PATH ...] [--out DIR] [--jobs N] [--sandbox auto|require|off]``

**This runs the submitted code.** Each PATH is a notebook or a folder searched recursively
for ``*.ipynb`` (``.ipynb_checkpoints`` skipped). For each submission:

1. The **teacher's side** decides what is graded: the solution notebook of the same file
   name in ``--solutions`` gives the exercises, in order, as its check cells
   (``check.e1_2(batch_loss)``) and the checks module it imports as ``check``. Nothing of the
   submission's metadata, stored outputs or its own check cells counts.
2. A copy of the notebook runs in a fresh folder that holds nothing else, in a fresh
   ``python3`` kernel -- under bubblewrap when available (:mod:`wtcourse.sandbox`: read-only
   system, its folder the only writable place, no network, own PID namespace, memory / CPU /
   file-size limits), with a per-cell timeout, a wall-clock cap for the whole notebook and a
   cap on the output it may send. Only its code cells run; errors do not stop it.
3. Then, for each teacher exercise, one **probe cell** runs in that kernel: it evaluates the
   arguments of the teacher's check cell (a name that is not defined: *not attempted*),
   re-imports the checks module from disk, draws the inputs from the grading seed (not the
   learner's seed 0) and returns the probe's plain data, encoded (JSON, arrays without
   pickle, size-capped).
4. The grader decodes the data and **judges it in its own process** with the teacher's
   checks and inputs it drew itself. Nothing the kernel prints, displays or patches changes
   a verdict: its only influence is the data its answers return.

Results are written after each notebook (``grades.csv``, ``grades.json``, one feedback file
per submission), atomically; a re-run resumes, skipping notebooks already graded with the
same file content, checks and seed. One bad submission is one row with a clear status.
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import io
import json
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .contract import CORRECT, NOT_ATTEMPTED, NOT_RUN, PROBE_MIME, WRONG

__all__ = [
    "DESCRIPTION",
    "Result",
    "TeacherLesson",
    "add_arguments",
    "collect",
    "csv_cell",
    "grade_notebook",
    "main",
    "run",
]

#: A notebook whose cells time out this many times is abandoned (the kernel ignores interrupts).
MAX_TIMEOUTS = 3
#: Submissions larger than this are not run.
MAX_NOTEBOOK_BYTES = 50 << 20
#: Largest single message accepted from a kernel (ZeroMQ drops larger ones).
MAX_MESSAGE_BYTES = 32 << 20
SYMBOL = {CORRECT: "✓", WRONG: "✗", NOT_ATTEMPTED: "·", NOT_RUN: "-"}
UNISOLATED = (
    "WARNING: bubblewrap (`bwrap`) is not available ({why}): grading is NOT "
    "isolated. Submitted code runs with your permissions and can read, change or "
    "delete your files and use the network. Install bubblewrap (Debian/Ubuntu: "
    "`apt-get install bubblewrap`) or grade inside a throw-away container or VM."
)
DESCRIPTION = (
    "Grade submitted notebooks. This RUNS the submitted code: each notebook runs alone in\n"
    "a fresh folder, under bubblewrap when available (--sandbox), and only the data its\n"
    "answers return is judged, by the teacher's checks, in this process.\n\n"
    "PATH is a notebook or a folder (searched recursively for *.ipynb). The submitted files\n"
    "are never modified. Writes OUT/grades.csv, OUT/grades.json and one feedback file per\n"
    "submission; a re-run resumes where the last one stopped."
)


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------


@dataclass
class Result:
    """The grade of one notebook (one row of grades.csv, one record of grades.json)."""

    file: str
    status: str = "ok"
    score: int = 0
    total: int = 0
    exercises: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str | None] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    sha256: str = ""
    check_hash: str = ""
    seconds: float = 0.0

    @classmethod
    def from_dict(cls, d: Any) -> Result:
        """A Result from a grades.json record (raises on anything malformed)."""
        if not isinstance(d, dict) or not isinstance(d.get("file"), str):
            raise ValueError("not a grade record")
        r = cls(file=d["file"])
        for name in ("status", "sha256", "check_hash"):
            setattr(r, name, str(d.get(name, "")))
        r.score, r.total, r.seconds = int(d["score"]), int(d["total"]), float(d.get("seconds", 0))
        r.exercises = {str(k): str(v) for k, v in dict(d.get("exercises", {})).items()}
        r.messages = {
            str(k): (None if v is None else str(v)) for k, v in dict(d.get("messages", {})).items()
        }
        r.errors = [str(e) for e in d.get("errors", [])]
        return r


def _sort_key(ex: str) -> tuple:
    return tuple(int(n) if n.isdigit() else 0 for n in ex.split("."))


# ---------------------------------------------------------------------------------------------
# the teacher's side
# ---------------------------------------------------------------------------------------------


@dataclass
class Probe:
    """One exercise as the teacher's solution checks it: ``check.e1_2(arg, ...)``."""

    exercise: str  #: "1.2"
    attr: str  #: the Exercise's name in the checks module, "e1_2"
    args: list[str]  #: source of each positional argument of the check call


@dataclass
class TeacherLesson:
    """What is graded for one file name: the checks module and the probes, in order."""

    name: str
    module: str  #: importable name of the checks module
    module_file: Path
    probes: list[Probe]
    check_hash: str

    @classmethod
    def load(cls, solution: Path, seed: int) -> TeacherLesson:
        """Read `solution`'s check cells; import its checks module (the teacher's copy)."""
        import importlib

        import nbformat

        nb = nbformat.read(solution, as_version=4)
        aliases: dict[str, tuple[str, str | None]] = {}  # local name -> (module, attribute)
        calls: list[tuple[str, str, list[str]]] = []  # (receiver or "", attr, args)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(_strip_magics(cell.source))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for a in node.names:
                        if a.asname:
                            aliases[a.asname] = (a.name, None)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    for a in node.names:
                        aliases[a.asname or a.name] = (node.module, a.name)
            for stmt in tree.body:
                call = stmt.value if isinstance(stmt, ast.Expr) else None
                if not isinstance(call, ast.Call):
                    continue
                fn = call.func
                if isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name):
                    receiver, attr = fn.value.id, fn.attr
                elif isinstance(fn, ast.Name):
                    receiver, attr = "", fn.id
                else:
                    continue
                if re.fullmatch(r"e\d+(?:_\d+)+", attr):
                    if call.keywords:
                        raise ValueError(
                            f"{solution}: the check cell {ast.unparse(call)} passes "
                            "keyword arguments; checks take positional answers only"
                        )
                    calls.append((receiver, attr, [ast.unparse(a) for a in call.args]))
        module_name, probes, seen = None, [], set()
        for receiver, attr, args in calls:
            target = aliases.get(receiver or attr)
            if target is None:
                continue
            mod, name = target
            if receiver:  # `import a.b as check` or `from a import b as check`
                modname = mod if name is None else f"{mod}.{name}"
            else:  # `from a.b import e1_2`
                modname = mod
            if module_name is None:
                module_name = modname
            if modname != module_name:
                raise ValueError(
                    f"{solution}: check cells use two modules, {module_name} and {modname}"
                )
            module = importlib.import_module(modname)
            exercise = getattr(module, attr, None)
            ex_id = getattr(exercise, "id", None)
            if not isinstance(ex_id, str) or not hasattr(exercise, "judge_data"):
                raise ValueError(f"{solution}: {modname}.{attr} is not a checking.Exercise")
            if ex_id not in seen:
                seen.add(ex_id)
                probes.append(Probe(ex_id, attr, args))
        if module_name is None:
            raise ValueError(
                f"{solution}: no check cell `check.eN_k(...)` whose `check` is an "
                "imported checks module"
            )
        module_file = Path(importlib.import_module(module_name).__file__ or "").resolve()
        from . import checking

        h = hashlib.sha256()
        for part in (
            module_file.read_bytes(),
            Path(checking.__file__).read_bytes(),
            json.dumps([asdict(p) for p in probes]).encode(),
            str(seed).encode(),
        ):
            h.update(hashlib.sha256(part).digest())
        return cls(solution.name, module_name, module_file, probes, h.hexdigest()[:16])


def _strip_magics(source: str) -> str:
    return "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in source.splitlines())


# ---------------------------------------------------------------------------------------------
# the probe cell (runs in the student's kernel; returns data only)
# ---------------------------------------------------------------------------------------------

PROBE_TEMPLATE = """\
try:
    _wt_args_{nonce} = ({args})
except NameError as _wt_exc_{nonce}:
    _wt_args_{nonce} = ("missing", str(_wt_exc_{nonce}))
except Exception as _wt_exc_{nonce}:
    _wt_args_{nonce} = ("raised", type(_wt_exc_{nonce}).__name__ + ": " + str(_wt_exc_{nonce}))
else:
    _wt_args_{nonce} = ("ok", _wt_args_{nonce})

def _wt_probe_{nonce}(state, answers):
    import importlib.util, sys
    def load(name, path):
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    import wtcourse
    saved = sys.modules.get("wtcourse.checking"), getattr(wtcourse, "checking", None)
    checking = load("wtcourse.checking", {checking_file!r})
    sys.modules["wtcourse.checking"] = wtcourse.checking = checking
    try:
        checks = load("_wt_checks_{nonce}", {module_file!r})
    finally:
        if saved[0] is not None:
            sys.modules["wtcourse.checking"] = saved[0]
        if saved[1] is not None:
            wtcourse.checking = saved[1]
    envelope = {{"nonce": {nonce!r}, "state": state}}
    if state == "ok":
        exercise = getattr(checks, {attr!r})
        envelope["data"] = exercise.run_probe(answers, exercise.make_inputs({seed}))
    else:
        envelope["message"] = answers
    try:
        payload = checking.encode(envelope)
    except Exception as exc:
        payload = checking.encode({{"nonce": {nonce!r}, "state": "unencodable",
                                    "message": type(exc).__name__ + ": " + str(exc)[:300]}})

    class Result:
        def _repr_mimebundle_(self, include=None, exclude=None):
            return {{{mime!r}: {{"nonce": {nonce!r}, "payload": payload}}, "text/plain": "probe"}}
    return Result()

_wt_probe_{nonce}(*_wt_args_{nonce})
"""


def probe_source(lesson: TeacherLesson, probe: Probe, seed: int, nonce: str) -> str:
    """The code of the probe cell for `probe` (see :data:`PROBE_TEMPLATE`)."""
    from . import checking

    args = "".join(f"{a}, " for a in probe.args)
    return PROBE_TEMPLATE.format(
        nonce=nonce,
        args=args,
        attr=probe.attr,
        seed=int(seed),
        module_file=str(lesson.module_file),
        mime=PROBE_MIME,
        checking_file=str(Path(checking.__file__).resolve()),
    )


# ---------------------------------------------------------------------------------------------
# reading a submission (never trusts its structure)
# ---------------------------------------------------------------------------------------------


def code_cells(raw: bytes) -> tuple[list[tuple[int, str]], int]:
    """``([(cell index, source) of each code cell], number of cells)`` of a notebook file.

    Raises ValueError if the file is not a notebook.

    Only ``cells[*].cell_type`` and ``cells[*].source`` are read; metadata, outputs, ids and
    everything else in the file are ignored.
    """
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"file over {MAX_NOTEBOOK_BYTES >> 20} MB")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except (ValueError, RecursionError):
        raise ValueError("not valid JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list):
        raise ValueError("not a notebook (no list of cells)")
    if doc.get("nbformat") != 4:
        raise ValueError(f"not an nbformat 4 notebook (nbformat={str(doc.get('nbformat'))[:20]})")
    sources: list[tuple[int, str]] = []
    for i, cell in enumerate(doc["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        if isinstance(src, list) and all(isinstance(s, str) for s in src):
            src = "".join(src)
        if not isinstance(src, str):
            raise ValueError(f"cell {i + 1}: its source is {type(src).__name__}, not text")
        sources.append((i, src))
    return sources, len(doc["cells"])


# ---------------------------------------------------------------------------------------------
# grading one notebook (in a worker process)
# ---------------------------------------------------------------------------------------------


@dataclass
class Settings:
    """Everything a worker needs to grade one notebook (JSON-serialisable)."""

    solutions: str
    checks_path: list[str]
    seed: int
    timeout: float
    notebook_timeout: float
    max_output_mb: float
    bwrap: str | None
    memory_mb: int
    cpu_seconds: int
    file_mb: int


def _client_class() -> Any:
    import asyncio

    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionComplete

    class GradingClient(NotebookClient):  # type: ignore[misc]
        """Keeps only error outputs and probe results; a cell over the output cap is interrupted."""

        cell_bytes = 0
        max_output = 0
        flooded: list[int] = []

        def process_message(self, msg: dict, cell: Any, cell_index: int) -> None:
            content = msg.get("content") or {}
            kind = msg.get("msg_type")
            if kind == "status":
                if content.get("execution_state") == "idle":
                    raise CellExecutionComplete()
                return None
            probe = cell.metadata.get("wt_probe")
            if kind == "execute_result" and probe:
                data = content.get("data") or {}
                if PROBE_MIME in data:
                    cell.outputs.append({"output_type": "execute_result", "data": data})
                return None
            if kind == "error":
                cell.outputs.append(
                    {
                        "output_type": "error",
                        "ename": str(content.get("ename"))[:100],
                        "evalue": str(content.get("evalue"))[:300],
                    }
                )
                return None
            try:
                self.cell_bytes += len(json.dumps(content))
            except (TypeError, ValueError):
                pass
            if self.cell_bytes > self.max_output and cell_index not in self.flooded:
                self.flooded.append(cell_index)  # stop the flood now, not at the cell timeout
                asyncio.ensure_future(self.km.interrupt_kernel())
            return None

    return GradingClient


def _lesson_for(name: str, settings: Settings, cache: dict) -> TeacherLesson | str:
    if name not in cache:
        solution = Path(settings.solutions) / name
        if not solution.is_file():
            cache[name] = f"no solution notebook {solution} (keep the lesson's file name)"
        else:
            try:
                cache[name] = TeacherLesson.load(solution, settings.seed)
            except Exception as exc:
                cache[name] = f"cannot read the checks of {solution}: {type(exc).__name__}: {exc}"
    return cache[name]


def grade_notebook(
    path: Path, display: str, settings: Settings, cache: dict | None = None
) -> Result:
    """Grade the notebook at `path` (never raises for anything the submission does)."""
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from . import checking
    from .execute import TIMEOUT_ENAME
    from .sandbox import Limits, kernel_manager, read_only_paths

    started = time.monotonic()
    result = Result(file=display)
    lesson = _lesson_for(path.name, settings, {} if cache is None else cache)
    raw = b""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            raw = fh.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError as exc:
        result.status = (
            "refused: a symbolic link, not a file"
            if path.is_symlink()
            else f"unreadable: {type(exc).__name__}: {exc.strerror or exc}"
        )
    result.sha256 = hashlib.sha256(raw).hexdigest()
    if isinstance(lesson, str):
        result.status = f"not graded: {lesson}"
        return result
    result.check_hash = lesson.check_hash
    result.exercises = {p.exercise: NOT_RUN for p in lesson.probes}
    result.messages = {p.exercise: None for p in lesson.probes}
    result.total = len(lesson.probes)
    if result.status != "ok":
        return result
    try:
        sources, n_cells = code_cells(raw)
    except ValueError as exc:
        result.status = f"unreadable: {exc}"
        return result

    nonce = secrets.token_hex(8)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(src) for _, src in sources]
    number = [i + 1 for i, _ in sources]  # the submission's own cell numbers (from 1)
    first_probe = len(nb.cells)
    for p in lesson.probes:
        cell = nbformat.v4.new_code_cell(probe_source(lesson, p, settings.seed, nonce))
        cell.metadata["wt_probe"] = p.exercise
        nb.cells.append(cell)

    tmp = Path(tempfile.mkdtemp(prefix="wt-grade-"))
    work = tmp / "work"
    work.mkdir(mode=0o700)
    try:
        (work / path.name).write_bytes(raw)  # the bytes read above, never the path again
        extra = [Path(p).resolve() for p in settings.checks_path]
        from .sandbox import REPO_ROOT

        km, env = kernel_manager(
            work,
            bwrap=settings.bwrap,
            pythonpath=[REPO_ROOT, *extra],
            limits=Limits(settings.memory_mb, settings.cpu_seconds, settings.file_mb),
            read_only=read_only_paths([*extra, lesson.module_file.parent]),
            max_message=MAX_MESSAGE_BYTES,
        )
        Client = _client_class()
        client = Client(
            nb,
            km=km,
            timeout=settings.timeout,
            allow_errors=True,
            interrupt_on_timeout=True,
            record_timing=False,
            startup_timeout=120,
            shutdown_kernel="immediate",
            store_widget_state=False,
            error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "timeout", "traceback": []},
        )
        client.max_output = int(settings.max_output_mb * (1 << 20))
        client.flooded = []
        timed_out: list[int] = []
        state: dict[str, Any] = {"index": None, "pgid": None}

        def on_start(cell: Any = None, cell_index: int | None = None, **_: Any) -> None:
            state["index"] = cell_index
            client.cell_bytes = 0
            state["pgid"] = state["pgid"] or getattr(getattr(km, "provisioner", None), "pgid", None)

        def on_executed(
            cell: Any = None, cell_index: int = 0, execute_reply: Any = None, **_: Any
        ) -> None:
            if ((execute_reply or {}).get("content") or {}).get("ename") == TIMEOUT_ENAME:
                timed_out.append(cell_index)
                if len(timed_out) >= MAX_TIMEOUTS:
                    raise CellTimeoutError(f"{MAX_TIMEOUTS} cells timed out")

        client.on_cell_start, client.on_cell_executed = on_start, on_executed
        capped = threading.Event()

        def cap() -> None:  # the wall-clock cap: kill the kernel (and its sandbox)
            capped.set()
            pgid = getattr(getattr(km, "provisioner", None), "pgid", None)
            if pgid:
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except OSError:
                    pass

        timer = threading.Timer(settings.notebook_timeout, cap)
        timer.daemon = True

        def where() -> str:
            i = state["index"]
            if i is None:
                return "kernel start-up"
            if i >= first_probe:
                return f"the probe of exercise {nb.cells[i].metadata['wt_probe']}"
            return f"cell {number[i]} of {n_cells}"

        timer.start()
        try:
            client.execute(
                env=env,
                cwd=str(work),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except CellTimeoutError:
            result.status = f"abandoned: {MAX_TIMEOUTS} cells timed out, the last in {where()}"
        except DeadKernelError:
            result.status = (
                f"over the {settings.notebook_timeout:g} s cap per notebook in {where()}"
                if capped.is_set()
                else f"kernel died in {where()}"
            )
        except Exception as exc:
            result.status = (
                f"over the {settings.notebook_timeout:g} s cap per notebook in {where()}"
                if capped.is_set()
                else f"error in {where()}: {type(exc).__name__}: {exc}"[:300]
            )
        finally:
            timer.cancel()
            if state["pgid"]:  # whatever is left of the kernel's process group (or sandbox)
                try:
                    os.killpg(state["pgid"], signal.SIGKILL)
                except OSError:
                    pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    # --- what the submission's own cells did (status only) ---
    result.errors = [
        f"cell {number[i]}: {o.get('ename')}: {o.get('evalue')}"
        for i, c in enumerate(nb.cells[:first_probe])
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ][:50]
    notes = []
    cell_timeouts = [i for i in timed_out if i < first_probe]
    if cell_timeouts:
        notes.append(
            f"timeout in cell{'s' if len(cell_timeouts) > 1 else ''} "
            f"{', '.join(str(number[i]) for i in cell_timeouts)} of {n_cells}, "
            f"interrupted after {settings.timeout:g} s"
        )
    flooded = [number[i] for i in client.flooded if i < first_probe]
    raised = len(result.errors) - len(cell_timeouts) - len(flooded)
    if raised > 0:
        notes.append(f"{raised} cell{'s' if raised > 1 else ''} raised")
    if flooded:
        notes.append(
            f"cell{'s' if len(flooded) > 1 else ''} {', '.join(map(str, flooded))} "
            f"interrupted: output over {settings.max_output_mb:g} MB"
        )
    if result.status == "ok" and notes:
        result.status = f"ok ({'; '.join(notes)})"

    # --- the verdicts: judged here, with the teacher's checks and inputs drawn here ---
    module = __import__(lesson.module, fromlist=["_"])
    for k, p in enumerate(lesson.probes):
        index = first_probe + k
        cell = nb.cells[index]
        if index in timed_out:
            result.exercises[p.exercise] = WRONG
            result.messages[p.exercise] = (
                f"the check did not finish within {settings.timeout:g} s "
                "(an infinite loop, or far too slow?)"
            )
            continue
        bundles = [
            o["data"][PROBE_MIME]
            for o in cell.get("outputs", [])
            if o.get("output_type") == "execute_result"
        ]
        if not bundles:
            continue  # never ran, or its result was suppressed: not run
        status, message = _judge(
            getattr(module, p.attr), bundles[-1], nonce, settings.seed, checking
        )
        result.exercises[p.exercise], result.messages[p.exercise] = status, message
    result.score = sum(s == CORRECT for s in result.exercises.values())
    result.seconds = round(time.monotonic() - started, 2)
    return result


def _judge(
    exercise: Any, bundle: Any, nonce: str, seed: int, checking: Any
) -> tuple[str, str | None]:
    """Decode one probe result and judge it with the teacher's `exercise` (never raises)."""
    if not isinstance(bundle, dict) or bundle.get("nonce") != nonce:
        return WRONG, "the grader's probe was tampered with"
    try:
        envelope = checking.decode(bundle.get("payload", ""))
    except Exception as exc:
        return WRONG, f"the grader could not read your answer's data ({type(exc).__name__})"
    if not isinstance(envelope, dict) or envelope.get("nonce") != nonce:
        return WRONG, "the grader's probe was tampered with"
    state = envelope.get("state")
    if state == "missing":
        return NOT_ATTEMPTED, str(envelope.get("message"))[:300]
    if state == "raised":
        return WRONG, f"your code raised {str(envelope.get('message'))[:500]}"
    if state != "ok" or "data" not in envelope:
        return (
            WRONG,
            f"the answer could not be sent to the grader: {str(envelope.get('message'))[:300]}",
        )
    try:
        return exercise.judge_data(envelope["data"], exercise.make_inputs(seed))
    except Exception as exc:  # a bug in the teacher's check: say so, do not crash the run
        return WRONG, f"the check itself failed ({type(exc).__name__}: {exc})"[:500]


def _worker_main() -> int:
    """Entry point of a worker process: a JSON task on stdin, a JSON Result to a file."""
    parent = os.getppid()

    def orphaned() -> None:  # the grader died (crash, kill -9): stop, and the kernel with us
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=orphaned, daemon=True).start()
    task = json.loads(sys.stdin.read())
    settings = Settings(**task["settings"])
    sys.path[:0] = settings.checks_path
    try:
        result = grade_notebook(Path(task["path"]), task["display"], settings)
    except Exception as exc:  # a grader bug: still one row
        result = Result(
            file=task["display"], status=f"grader error: {type(exc).__name__}: {exc}"[:300]
        )
    Path(task["result"]).write_text(json.dumps(asdict(result)), encoding="utf-8")
    return 0


# ---------------------------------------------------------------------------------------------
# outputs: CSV (formula-safe), JSON, feedback; all written atomically
# ---------------------------------------------------------------------------------------------


def csv_cell(value: Any) -> Any:
    """`value` made safe for a spreadsheet: text starting with = + - @ tab or CR gets a `'`.

    Examples
    --------
    >>> csv_cell("=HYPERLINK(\\"http://x\\")"), csv_cell("ok"), csv_cell(3)
    ('\\'=HYPERLINK("http://x")', 'ok', 3)
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def csv_text(results: list[Result]) -> str:
    """grades.csv: file, status, score, total, one column per exercise."""
    columns = sorted({ex for r in results for ex in r.exercises}, key=_sort_key)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["file", "status", "score", "total"] + [f"exercise {c}" for c in columns])
    for r in results:
        writer.writerow(
            [
                csv_cell(v)
                for v in [r.file, r.status, r.score, r.total]
                + [r.exercises.get(c, "") for c in columns]
            ]
        )
    return buf.getvalue()


def _md(text: Any) -> str:
    return re.sub(r"([\\`*_\[\]<>#|!{}])", r"\\\1", str(text)).replace("\n", " ")


def feedback_text(r: Result) -> str:
    """A student's feedback in Markdown: each exercise's verdict and the check's message."""
    lines = [
        f"# Feedback: {_md(r.file)}",
        "",
        f"**Score: {r.score} / {r.total}**",
        "",
        f"Grading status: {_md(r.status)}",
        "",
        "| exercise | verdict | message |",
        "|---|---|---|",
    ]
    for ex, status in sorted(r.exercises.items(), key=lambda kv: _sort_key(kv[0])):
        msg = r.messages.get(ex) or ""
        lines.append(f"| {_md(ex)} | {SYMBOL.get(status, '')} {_md(status)} | {_md(msg)[:2000]} |")
    if r.errors:
        lines += ["", "Cells that raised an error when the grader ran your notebook:", ""]
        lines += [f"- {_md(e)[:300]}" for e in r.errors[:20]]
    return "\n".join(lines) + "\n"


def feedback_name(display: str) -> str:
    """A flat, safe file name for `display`'s feedback (``class/alice/01-x.ipynb`` -> ...)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", display.replace("/", "__").replace("\\", "__"))
    stem = stem.lstrip("._-") or "notebook"
    return stem[:180] + "-" + hashlib.sha256(display.encode()).hexdigest()[:6] + ".md"


def summary(results: list[Result]) -> str:
    """A plain-text table: one line per notebook, one symbol per exercise."""
    columns = sorted({ex for r in results for ex in r.exercises}, key=_sort_key)
    width = max([len("file")] + [len(r.file) for r in results])
    lines = [
        f"{'file':<{width}}  {'score':>5}  " + " ".join(f"{c:>4}" for c in columns) + "  status"
    ]
    for r in results:
        marks = " ".join(f"{SYMBOL.get(r.exercises.get(c, ''), ' '):>4}" for c in columns)
        lines.append(f"{r.file:<{width}}  {f'{r.score}/{r.total}':>5}  {marks}  {r.status}")
    lines.append("✓ correct  ✗ wrong  · not attempted  - not run")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# the run: options validated first, workers in parallel, results saved as they come
# ---------------------------------------------------------------------------------------------


def collect(paths: list[Path]) -> list[Path]:
    """Notebooks named by `paths` (files, or folders searched recursively), sorted, unique.

    Symbolic links to folders are not followed (a submission cannot pull in the teacher's
    files); a linked *file* is listed, and :func:`grade_notebook` refuses it.
    """
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            for folder, dirs, files in os.walk(p):  # followlinks=False
                dirs[:] = sorted(d for d in dirs if d != ".ipynb_checkpoints")
                found += [Path(folder) / f for f in sorted(files) if f.endswith(".ipynb")]
        else:
            found.append(p)
    found.sort()
    seen: set[str] = set()  # by path, not by target: a link must not hide the file it names
    return [f for f in found if not (os.path.abspath(f) in seen or seen.add(os.path.abspath(f)))]


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive number of seconds, got {text!r}"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a seed (an integer ≥ 1), got {text!r}"
        ) from None
    if not 1 <= value < 2**63:
        raise argparse.ArgumentTypeError(
            f"expected a seed (an integer ≥ 1; 0 is the learners' self-check seed), got {text!r}"
        )
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The grader's options (``python -m wtcourse grade`` and ``python -m wtcourse.grade``)."""
    parser.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="a submitted notebook or a folder of them",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("."),
        help="existing, writable folder for grades.csv and grades.json "
        "(default: the current folder)",
    )
    parser.add_argument(
        "--feedback",
        type=Path,
        default=None,
        help="folder for one Markdown feedback file per submission (default: OUT/feedback)",
    )
    parser.add_argument(
        "--solutions",
        type=Path,
        default=None,
        help="folder of solution notebooks, matched by file name "
        "(default: the course root's solutions/)",
    )
    parser.add_argument(
        "--checks-path",
        type=Path,
        action="append",
        default=[],
        help="extra folder to import checks modules from (repeatable)",
    )
    parser.add_argument(
        "--timeout",
        type=_positive_float,
        default=60.0,
        help="seconds per cell, a positive number (default: 60)",
    )
    parser.add_argument(
        "--notebook-timeout",
        type=_positive_float,
        default=900.0,
        help="wall-clock seconds per notebook, all cells and probes (default: 900)",
    )
    parser.add_argument(
        "--jobs", type=_positive_int, default=1, help="notebooks graded at once (default: 1)"
    )
    parser.add_argument(
        "--sandbox",
        choices=("auto", "require", "off"),
        default="auto",
        help="auto: bubblewrap if it works here, else a loud warning; require: "
        "refuse to run without it; off: no isolation (default: auto)",
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        default=None,
        help="grading seed for the checks' inputs (default: the seed of the run "
        "being resumed, else a random one; recorded in grades.json)",
    )
    parser.add_argument(
        "--memory",
        type=_positive_int,
        default=4096,
        help="MB of address space per kernel process (default: 4096)",
    )
    parser.add_argument(
        "--max-output",
        type=_positive_float,
        default=20.0,
        help="MB of output one cell may send before it is interrupted (default: 20)",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="grade everything again instead of resuming from OUT/grades.json",
    )


def _check_writable(folder: Path, what: str) -> str | None:
    if not folder.is_dir():
        return f"{what} {folder} is not an existing folder"
    try:
        fd, name = tempfile.mkstemp(prefix=".wt-write-test-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        return f"{what} {folder} is not writable ({exc.strerror or exc})"
    return None


def _load_previous(path: Path) -> tuple[dict, dict[str, Result]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        run_meta = doc.get("run", {}) if isinstance(doc, dict) else {}
        records = doc.get("grades", []) if isinstance(doc, dict) else []
        results = {}
        for rec in records:
            try:
                r = Result.from_dict(rec)
                results[r.file] = r
            except (TypeError, ValueError, KeyError):
                continue
        return (run_meta if isinstance(run_meta, dict) else {}), results
    except (OSError, ValueError):
        return {}, {}


def run(args: argparse.Namespace) -> int:
    """Grade the notebooks named by ``args`` (see :func:`add_arguments`); return the exit code."""
    from .sandbox import bwrap_available

    err = sys.stderr
    # --- validate everything before any work ---
    problems = [f"{p} does not exist" for p in args.paths if not p.exists()]
    if args.solutions is None:
        root = getattr(args, "root", None)
        args.solutions = Path(root) / "solutions" if root is not None else Path("solutions")
    if not args.solutions.is_dir():
        problems.append(f"--solutions {args.solutions} is not a folder")
    problems += [f"--checks-path {p} is not a folder" for p in args.checks_path if not p.is_dir()]
    why = _check_writable(args.out, "--out")
    if why:
        problems.append(why)
    feedback = args.feedback if args.feedback is not None else args.out / "feedback"
    if not why:
        try:
            feedback.mkdir(parents=True, exist_ok=True)
            why_fb = _check_writable(feedback, "--feedback")
        except OSError as exc:
            why_fb = f"--feedback {feedback} cannot be created ({exc.strerror or exc})"
        if why_fb:
            problems.append(why_fb)
    bwrap = None
    if args.sandbox != "off":
        bwrap, why_not = bwrap_available()
        if bwrap is None and args.sandbox == "require":
            problems.append(f"--sandbox require: {why_not}")
    if problems:
        for p in problems:
            print(f"error: {p}", file=err)
        return 2
    files = collect(args.paths)
    if not files:
        print("error: no notebooks found in " + ", ".join(map(str, args.paths)), file=err)
        return 2
    if args.sandbox == "auto" and bwrap is None:
        print(UNISOLATED.format(why=why_not), file=err, flush=True)
    elif args.sandbox == "off":
        print(
            "WARNING: --sandbox off: grading is NOT isolated; submitted code runs with your "
            "permissions.",
            file=err,
            flush=True,
        )

    csv_path, json_path = args.out / "grades.csv", args.out / "grades.json"
    previous_meta, previous = ({}, {}) if args.fresh else _load_previous(json_path)
    seed = args.seed
    if seed is None:
        old = previous_meta.get("seed")
        seed = old if isinstance(old, int) and old >= 1 else secrets.randbelow(2**31 - 1) + 1
    settings = Settings(
        solutions=str(args.solutions.resolve()),
        checks_path=[str(p.resolve()) for p in args.checks_path],
        seed=seed,
        timeout=args.timeout,
        notebook_timeout=args.notebook_timeout,
        max_output_mb=args.max_output,
        bwrap=bwrap,
        memory_mb=args.memory,
        cpu_seconds=int(args.notebook_timeout) + 1,
        file_mb=64,
    )
    meta = {
        "seed": seed,
        "sandbox": "bwrap" if bwrap else "off",
        "timeout": args.timeout,
        "notebook_timeout": args.notebook_timeout,
        "jobs": args.jobs,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(
        f"grading {len(files)} notebook(s): sandbox {meta['sandbox']}, seed {seed}, "
        f"{args.jobs} at once",
        flush=True,
    )

    # what is already graded (same file content, same checks, same seed) is kept
    sys.path[:0] = settings.checks_path
    cache: dict = {}
    displays = {f: str(f) for f in files}
    results: dict[str, Result] = {}
    todo = []
    for f in files:
        old = previous.get(displays[f])
        lesson = _lesson_for(f.name, settings, cache)
        try:
            digest = hashlib.sha256(f.read_bytes()).hexdigest()
        except OSError:
            digest = ""
        if (
            old is not None
            and isinstance(lesson, TeacherLesson)
            and digest
            and old.sha256 == digest
            and old.check_hash == lesson.check_hash
            and not old.status.startswith("grader error")
        ):
            results[displays[f]] = old
        else:
            todo.append(f)
    if results:
        print(f"resuming: {len(results)} already graded, {len(todo)} to grade", flush=True)
    lock = threading.Lock()
    stop = threading.Event()
    running: dict[int, subprocess.Popen] = {}

    def save() -> None:
        ordered = [results[displays[f]] for f in files if displays[f] in results]
        _atomic_write(csv_path, csv_text(ordered))
        _atomic_write(
            json_path,
            json.dumps(
                {"run": meta, "grades": [asdict(r) for r in ordered]}, indent=1, ensure_ascii=False
            )
            + "\n",
        )

    def one(f: Path) -> None:
        if stop.is_set():
            return
        display = displays[f]
        with tempfile.TemporaryDirectory(prefix="wt-grade-job-") as tmp:
            out = Path(tmp) / "result.json"
            task = {
                "path": os.path.abspath(f),  # not resolve(): a link stays a link
                "display": display,
                "result": str(out),
                "settings": asdict(settings),
            }
            env = dict(os.environ)
            # the folder that holds this wtcourse package (a checkout or site-packages)
            pkg_parent = str(Path(__file__).resolve().parents[1])
            env["PYTHONPATH"] = os.pathsep.join(
                [pkg_parent] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
            )
            with lock:  # no worker starts once Ctrl-C has been seen (see below)
                if stop.is_set():
                    return
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        "import sys; from wtcourse.grade import _worker_main; sys.exit(_worker_main())",
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    env=env,
                    start_new_session=True,
                    text=True,
                )
                running[proc.pid] = proc
            try:
                _, stderr = proc.communicate(json.dumps(task), timeout=args.notebook_timeout + 120)
            except subprocess.TimeoutExpired:
                _kill(proc)
                stderr = "the grading worker did not stop after the per-notebook cap"
            finally:
                with lock:
                    running.pop(proc.pid, None)
            if stop.is_set():
                return
            try:
                result = Result.from_dict(json.loads(out.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError):
                tail = (stderr or "").strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
                result = Result(file=display, status=f"grader error: {tail[0]}"[:300])
        with lock:
            results[display] = result
            save()
            _atomic_write(feedback / feedback_name(display), feedback_text(result))
            done = sum(1 for f2 in files if displays[f2] in results)
            print(
                f"[{done}/{len(files)}] {display}: {result.score}/{result.total} {result.status}",
                flush=True,
            )

    with lock:
        save()
        for f in files:
            if displays[f] in results:
                _atomic_write(
                    feedback / feedback_name(displays[f]), feedback_text(results[displays[f]])
                )
    pool = ThreadPoolExecutor(max_workers=args.jobs)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)  # `kill` stops like Ctrl-C: grades kept
    try:
        futures = [pool.submit(one, f) for f in todo]
        for fut in futures:
            fut.result()
    except KeyboardInterrupt:
        with lock:
            stop.set()
            procs = list(running.values())
        for proc in procs:
            _kill(proc)
        pool.shutdown(wait=True, cancel_futures=True)
        print(
            f"\ninterrupted: {len(results)} of {len(files)} graded and saved in {csv_path}; "
            "run the same command again to grade the rest",
            file=err,
        )
        return 130
    pool.shutdown(wait=True)
    ordered = [results[displays[f]] for f in files]
    print(summary(ordered))
    print(f"wrote {csv_path}, {json_path} and {len(ordered)} feedback file(s) in {feedback}")
    return 0


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wtcourse grade",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
