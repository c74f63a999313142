"""Checks of lessons 03-05 (probe + judgement) on the solutions' own answers and on wrong ones.

The answers are the answer cells of ``solutions/0N-*.ipynb``, executed here; each check cell
``check.eN_k(args)`` is judged with several seeds (the grader's seeds differ from the learner's
seed 0), and with answers that make a known mistake.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import gridlib
from gridlib.nn import MLP
from gridlib.search import sobol_search

ROOT = Path(__file__).resolve().parents[1]
LESSONS = {
    "03": "03-grid-search-initialization.ipynb",
    "04": "04-matrix-gradient-identity.ipynb",
    "05": "05-beyond-two-dimensions.ipynb",
    "06": "06-momentum-on-the-batch-bowl.ipynb",
}
SEEDS = [0, 1, 2, 17, 123]
CHECK_CELL = re.compile(r"^check\.(e\d+_\d+)\((.*)\)\s*$")


def _answers(lesson: str) -> tuple[dict, list[tuple[str, str]]]:
    """Execute the solution's answer cells; return the namespace and the (check, args) calls."""
    nb = nbformat.read(ROOT / "solutions" / LESSONS[lesson], as_version=4)
    namespace = {"np": np, "gridlib": gridlib, "MLP": MLP, "sobol_search": sobol_search}
    calls = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "### BEGIN SOLUTION" in cell.source:
            exec(compile(cell.source, f"<{lesson} {cell.get('id')}>", "exec"), namespace)
        match = CHECK_CELL.match(cell.source.strip())
        if match:
            calls.append((match.group(1), match.group(2)))
    return namespace, calls


def _cases():
    for lesson in LESSONS:
        _, calls = _answers(lesson)
        for name, args in calls:
            yield pytest.param(lesson, name, args, id=f"{lesson}-{name}")


@pytest.mark.parametrize(("lesson", "name", "args"), list(_cases()))
def test_solution_answers_are_correct_for_every_seed(lesson, name, args):
    namespace, _ = _answers(lesson)
    module = importlib.import_module(f"wtcourse.checks.l{lesson}")
    exercise = getattr(module, name)
    answers = eval(f"({args},)", namespace)
    for seed in SEEDS:
        status, message = exercise.verdict(*answers, seed=seed)
        assert status == "correct", f"{name} seed {seed}: {status}: {message}"
    assert exercise.verdict(*[...] * len(answers))[0] == "not attempted"


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_every_exercise_has_a_check_cell_and_progress_is_last(lesson):
    _, calls = _answers(lesson)
    module = importlib.import_module(f"wtcourse.checks.l{lesson}")
    declared = [n for n in module.__all__ if n.startswith("e")]
    assert [name for name, _ in calls] == declared
    assert "progress" in module.__all__
    for name in declared:
        assert getattr(module, name).id == name[1:].replace("_", ".")
    nb = nbformat.read(ROOT / "solutions" / LESSONS[lesson], as_version=4)
    last_code = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert last_code.source.strip() == "check.progress()"
    headings = re.findall(r"^### Exercise (\d+\.\d+)", "\n".join(c.source for c in nb.cells), re.M)
    assert headings == [name[1:].replace("_", ".") for name in declared]


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_no_plain_text_multiple_choice_key(lesson):
    source = (ROOT / "wtcourse" / "checks" / f"l{lesson}.py").read_text(encoding="utf-8")
    assert not re.search(r"expect_choice\(\s*\w+\s*,\s*[\"'][a-z][\"']", source)
    assert source.count('"sha256:') == source.count("expect_choice(")


# --------------------------------------------------------------------------- known mistakes
def _strict_free_minima(values):
    padded = np.pad(values, 1, constant_values=np.inf)
    G1, G2 = values.shape
    mask = np.ones(values.shape, dtype=bool)
    for d1 in (-1, 0, 1):
        for d2 in (-1, 0, 1):
            if d1 or d2:
                mask &= values <= padded[1 + d1 : 1 + d1 + G1, 1 + d2 : 1 + d2 + G2]
    return mask


def _first_layer_without_mean(W1, b1, w2, b2, X, y):
    A = np.tanh(X @ W1.T + b1)
    G = np.outer(2 * (A @ w2 + b2 - y), w2) * (1 - A**2)
    return G.T @ X, G.sum(axis=0)


def _absolute_gradient_check(f, grad, x, rtol=1e-6):
    h = 1e-6
    numeric = np.array([(f(x + e) - f(x - e)) / (2 * h) for e in h * np.eye(len(x))])
    return bool(np.linalg.norm(np.asarray(grad(x)) - numeric) < rtol)


def _plain_multistart(grad, starts, lr, steps, tol):
    return gridlib.gradient_descent(grad, starts, lr, steps)[-1], np.full(len(starts), steps)


def _endpoint_budget(loss, lower, upper, G, seed):
    g = gridlib.Grid([np.linspace(lo, hi, G) for lo, hi in zip(lower, upper, strict=True)])
    return float(gridlib.evaluate(loss, g).min()), sobol_search(
        loss, lower, upper, g.size, seed=seed
    ).value


def _tune_first_last(eigenvalues):
    lo, hi = eigenvalues[0], eigenvalues[-1]
    root_kappa = np.sqrt(hi / lo)
    beta = ((root_kappa - 1) / (root_kappa + 1)) ** 2
    return 2 / (lo + hi), 4 / (np.sqrt(hi) + np.sqrt(lo)) ** 2, beta


def _tune_rate_not_beta(eigenvalues):
    t = gridlib.tuned_parameters(eigenvalues)
    return t.lr_gd, t.lr_hb, t.rate_hb


WRONG = [
    (
        "03",
        "e3_1",
        lambda grid, values: (grid.point((0,) * values.ndim), float(values.flat[0])),
        "the point",
    ),
    (
        "03",
        "e3_2",
        lambda loss, grid, levels, num, span=1.0: (grid.point((0, 0)), 0.0, grid.size),
        "the point",
    ),
    ("03", "e3_3", _endpoint_budget, "endpoints"),
    ("03", "e3_4", "a", "not right"),
    ("03", "e3_5", lambda W, X, y: np.full(len(W), y.mean()), "best_bias"),
    ("03", "e3_6", _strict_free_minima, "STRICTLY"),
    ("03", "e3_7", "a", "not right"),
    ("03", "e3_8", _plain_multistart, "frozen"),
    ("04", "e4_1", "a", "not right"),
    ("04", "e4_2", lambda A, x: 2 * A @ x, "only when A is symmetric"),
    ("04", "e4_3", _absolute_gradient_check, "RELATIVE"),
    ("04", "e4_4", lambda w, X, y, lam: -2 * X.T @ (y - X @ w) + 2 * lam * w, "intercept"),
    ("04", "e4_5", lambda w, X, y, Omega: -2 * X.T @ Omega @ (y - X @ w), "symmetric"),
    ("04", "e4_6", "c", "not right"),
    (
        "04",
        "e4_7",
        lambda X, lam=0.0: 4 / np.linalg.eigvalsh(2 * (X.T @ X + lam * np.eye(X.shape[1])))[-1],
        "twice too large",
    ),
    ("05", "e5_1", lambda W1, b1, W2, b2, X: np.zeros((len(W1), len(X))), "forward"),
    ("05", "e5_2", _first_layer_without_mean, "factor m"),
    ("05", "e5_3", lambda P0, P1, alphas: np.tile(P0, (len(alphas), 1)), "interpolate"),
    ("05", "e5_4", lambda mlp, D, P: D, "bias"),
    ("05", "e5_5", "d", "not right"),
    ("05", "e5_6", lambda mlp, seeds, scales, X, y: np.ones((len(seeds), 2)), "best_scales"),
    ("05", "e5_7", lambda mlp, P, perm, signs: P, "outputs"),
    ("05", "e5_8", "a", "not right"),
    (
        "06",
        "e6_1",
        lambda grad, starts, lr, beta, steps: gridlib.gradient_descent(grad, starts, lr, steps),
        "plain gradient descent",
    ),
    (
        "06",
        "e6_1",
        lambda grad, starts, lr, beta, steps: gridlib.heavy_ball(grad, starts, lr, beta, steps)[1:],
        "first row",
    ),
    ("06", "e6_2", _tune_first_last, "min() and max()"),
    ("06", "e6_2", _tune_rate_not_beta, "its square"),
    ("06", "e6_3", "a", "not right"),
    ("06", "e6_3", "d", "not right"),
]


@pytest.mark.parametrize(
    ("lesson", "name", "answer", "words"), WRONG, ids=[f"{w[0]}-{w[1]}" for w in WRONG]
)
def test_known_wrong_answers_are_judged_wrong(lesson, name, answer, words):
    exercise = getattr(importlib.import_module(f"wtcourse.checks.l{lesson}"), name)
    for seed in SEEDS[:3]:
        status, message = exercise.verdict(answer, seed=seed)
        assert status == "wrong", (seed, status, message)
        assert words in message, message


def test_grading_seeds_change_the_inputs():
    from wtcourse.checks import l03, l05

    for exercise in (l03.e3_1, l05.e5_2):
        a, b = exercise.make_inputs(0), exercise.make_inputs(1)
        assert repr(a) != repr(b)


def test_a_hard_coded_answer_fails_grading():
    from wtcourse.checks import l05

    inputs = l05.e5_3.make_inputs(0)
    P0, P1, alphas = (np.asarray(inputs[k]) for k in ("P0", "P1", "alphas"))
    recorded = P0[None, :] + alphas[:, None] * (P1 - P0)[None, :]
    assert l05.e5_3.verdict(lambda *_: recorded, seed=0)[0] == "correct"
    assert l05.e5_3.verdict(lambda *_: recorded, seed=5)[0] == "wrong"


def test_lesson05_training_is_inside_the_step_limit_and_ignores_round_off():
    """Lesson 05's runs (lr, steps of c05-train; 20 standard seeds) at P and P * (1 + 1e-12).

    Inside lesson 04's limit lr < 2 / lambda_max a perturbation at round-off level stays at that
    level, so the numbers the lesson prints compare on any machine (nbval); at lr = 0.2 the
    lesson's first run leaves the limit and the same perturbation grows by orders of magnitude.
    """
    from gridlib.landscape import hessian_eigenvalues

    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(120, 2))
    y = np.sin(1.5 * X[:, 0]) * np.cos(X[:, 1]) + 0.1 * rng.standard_normal(120)
    mlp = MLP(2, 8)

    def grad(P):
        return mlp.gradient(P, X, y)

    start = np.concatenate([mlp.init(np.random.default_rng(s), 1) for s in [1, *range(100, 120)]])
    runs = gridlib.gradient_descent(grad, start, lr=0.1, steps=2000)
    nudged = gridlib.gradient_descent(grad, start * (1 + 1e-12), lr=0.1, steps=2000)
    assert np.abs(runs - nudged).max() < 1e-9
    lam_max = hessian_eigenvalues(grad, runs[::500].reshape(-1, mlp.n_params))[:, -1]
    assert 0.1 < 2 / lam_max.max()
    losses, losses_nudged = mlp.loss(runs[-1], X, y), mlp.loss(nudged[-1], X, y)
    assert [f"{v:.4f}" for v in losses] == [f"{v:.4f}" for v in losses_nudged]
    # the step the lesson used before: outside the limit, the same nudge grows
    fast = gridlib.gradient_descent(grad, start[:1], lr=0.2, steps=1000)
    fast_nudged = gridlib.gradient_descent(grad, start[:1] * (1 + 1e-12), lr=0.2, steps=1000)
    assert np.abs(fast - fast_nudged).max() > 1e-7
