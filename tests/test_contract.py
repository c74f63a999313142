"""The notebook contract holds for every lesson, and its parsers reject what breaks it.

For each notebook in solutions/: the exercise headings, the check module's exercises
(``eN_k`` names and ``N.k`` ids), the check cells and the stored check reports agree, and
every stored report is "correct"; lessons/ has the same ids and no outputs.
"""

import copy
import importlib
import json
import types
from pathlib import Path

import pytest

from wtcourse import contract
from wtcourse.contract import ContractError, parse_title_cell

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_exercises_agree_everywhere(path):
    module = importlib.import_module(f"wtcourse.checks.l{path.name[:2]}")
    lesson = load(ROOT / "lessons" / path.name)
    assert contract.agreement_problems(load(path), lesson, module, path.stem) == []


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_names_title_cell_and_cell_ids(path):
    assert contract.NOTEBOOK_NAME_RE.match(path.name), path.name
    nb = load(path)
    info = contract.lesson_info(nb, path.stem)
    assert info.number == path.name[:2] and info.questions and info.objectives
    bad = [c.get("id") for c in nb["cells"] if not contract.CELL_ID_RE.match(c.get("id", ""))]
    assert bad == [], f"cell ids not of the form c{path.name[:2]}-name: {bad}"
    assert {contract.CELL_ID_RE.match(c["id"]).group("number") for c in nb["cells"]} == {
        path.name[:2]
    }


# ------------------------------------------------------------------ the title cell

TITLE = (
    "# 06 · Momentum on the batch bowl\n\n"
    "Teaching: 20 min · Exercises: 15 min · Execution budget: under 40 s\n\n"
    "**Questions**\n- Why does momentum help\n  in a narrow valley?\n\n"
    "**Objectives**\n- Run heavy-ball descent.\n- Compare it with plain descent.\n"
)


def test_title_cell_parses_into_lesson_info():
    info = parse_title_cell(TITLE, "06-momentum")
    assert info == contract.LessonInfo(
        "06",
        "Momentum on the batch bowl",
        20,
        15,
        40,
        ("Why does momentum help in a narrow valley?",),
        ("Run heavy-ball descent.", "Compare it with plain descent."),
        "06-momentum",
    )
    assert info.timing == TITLE.splitlines()[2]
    assert info.heading == "06 · Momentum on the batch bowl"


@pytest.mark.parametrize(
    "old, new, match",
    [
        ("# 06 · ", "# 6 · ", "first line of the title cell"),
        ("# 06 · ", "## 06 · ", "first line of the title cell"),
        (" · Execution budget: under 40 s", "", "line after the title"),
        ("Execution budget: under 40 s", "Runs in under 40 s", "line after the title"),
        (
            "**Questions**\n- Why does momentum help\n  in a narrow valley?\n\n",
            "",
            "no \\*\\*Questions",
        ),
        (
            "**Objectives**\n",
            "**Objectives**\n\n",
            "at least one `- ` bullet under \\*\\*Objectives",
        ),
        ("- Run heavy-ball descent.", "Run heavy-ball descent.", "bullet under \\*\\*Objectives"),
        ("plain descent.\n", "plain descent.\n\nExecution budget: 40 s.\n", "unexpected line"),
    ],
)
def test_title_cell_rejects(old, new, match):
    assert old in TITLE
    with pytest.raises(ContractError, match=match):
        parse_title_cell(TITLE.replace(old, new))


def test_title_number_must_match_file_name():
    with pytest.raises(ContractError, match="title says lesson 06, the file name 07"):
        parse_title_cell(TITLE, "07-momentum")


def test_check_name_and_cell_id_rules():
    assert contract.check_name("1.2") == "e1_2" and contract.check_name("10.3") == "e10_3"
    for bad in ("1", "1.2.3", "01.2", "1.0", "a.b"):
        with pytest.raises(ContractError):
            contract.check_name(bad)
    assert contract.cell_id(6, "ex1-answer") == "c06-ex1-answer"
    with pytest.raises(ContractError):
        contract.cell_id(6, "Ex 1")


# ------------------------------------------------- the agreement test can fail


@pytest.fixture
def lesson01():
    name = "01-loss-hypersurfaces"
    solution = load(ROOT / "solutions" / f"{name}.ipynb")
    lesson = load(ROOT / "lessons" / f"{name}.ipynb")
    module = importlib.import_module("wtcourse.checks.l01")
    assert contract.agreement_problems(solution, lesson, module, name) == []
    return name, solution, lesson, module


def _first(nb, pred):
    return next(c for c in nb["cells"] if pred(c))


def test_agreement_catches_a_wrong_stored_report(lesson01):
    name, solution, lesson, module = lesson01
    solution = copy.deepcopy(solution)
    cell = _first(
        solution,
        lambda c: any(contract.CHECK_MIME in o.get("data", {}) for o in c.get("outputs", [])),
    )
    report = next(o for o in cell["outputs"] if contract.CHECK_MIME in o.get("data", {}))
    report["data"][contract.CHECK_MIME]["status"] = contract.WRONG
    assert any(
        "stored as 'wrong'" in p
        for p in contract.agreement_problems(solution, lesson, module, name)
    )


def test_agreement_catches_a_renamed_heading_and_a_missing_check(lesson01):
    name, solution, lesson, module = lesson01
    renamed = copy.deepcopy(solution)
    cell = _first(
        renamed,
        lambda c: c["cell_type"] == "markdown" and "### Exercise 1.2" in "".join(c["source"]),
    )
    cell["source"] = "".join(cell["source"]).replace("### Exercise 1.2", "### Exercise 1.9")
    problems = contract.agreement_problems(renamed, lesson, module, name)
    assert any("check module has" in p for p in problems)
    assert any("check cells call" in p for p in problems)
    fewer = types.SimpleNamespace(**{k: getattr(module, k) for k in module.__all__ if k != "e1_3"})
    fewer.__all__ = [k for k in module.__all__ if k != "e1_3"]
    assert any(
        "check module has" in p for p in contract.agreement_problems(solution, lesson, fewer, name)
    )


def test_agreement_catches_lesson_outputs(lesson01):
    name, solution, lesson, module = lesson01
    lesson = copy.deepcopy(lesson)
    _first(lesson, lambda c: c["cell_type"] == "code")["execution_count"] = 1
    assert any(
        "has outputs" in p for p in contract.agreement_problems(solution, lesson, module, name)
    )


def test_module_exercise_ids_reads_old_and_new_checks():
    from wtcourse.checking import Exercise

    new = types.SimpleNamespace(
        e3_1=Exercise("3.1", "new"), progress=print, __all__=["e3_1", "progress"]
    )
    old = types.SimpleNamespace(e3_2=types.SimpleNamespace(exercise_id="3.2"), __all__=["e3_2"])
    assert contract.module_exercise_ids(new) == {"e3_1": "3.1"}
    assert contract.module_exercise_ids(old) == {"e3_2": "3.2"}
