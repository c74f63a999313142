"""Self-checks for lesson 03 · Grid-search initialization.

Each check is a probe (runs in the learner's kernel, returns plain data) and a judgement
(pure; every reference computed here with gridlib). Inputs come from the seed the caller
gives (0 in a learner's notebook, others when grading); answers are compared by value, so
any correct approach passes.
"""

from __future__ import annotations

import numpy as np

import gridlib
from gridlib.search import profile_bias, sobol_search
from wtcourse import checking
from wtcourse.checking import (
    Exercise,
    call,
    expect_choice,
    expect_close,
    expect_equal,
    expect_shape,
)

__all__ = ["e3_1", "e3_2", "e3_3", "e3_4", "e3_5", "e3_6", "e3_7", "e3_8", "progress"]


def progress():
    """This lesson's verdicts in this kernel session (the lesson's last cell)."""
    return checking.progress(__name__)


def _bowl(centre, weights):
    c, w = np.asarray(centre, dtype=float), np.asarray(weights, dtype=float)
    return lambda P: ((np.asarray(P, dtype=float) - c) ** 2 * w).sum(axis=1)


def _tuple(value, n: int, what: str) -> tuple:
    if not (isinstance(value, (tuple, list)) and len(value) == n):
        raise AssertionError(
            f"{what} should return a tuple of {n} values, got {type(value).__name__}"
        )
    return tuple(value)


# -------------------------------------------------------------------------------- 3.1
e3_1 = Exercise("3.1", "grid_argmin(grid, values) by hand")


@e3_1.inputs
def _(rng):
    cases = []
    for shape in [(7, 5), (4, 3, 6)]:
        axes = [np.sort(rng.uniform(-3, 3, n)) for n in shape]
        cases.append({"axes": axes, "values": rng.normal(size=shape)})
    return {"cases": cases}


@e3_1.probe
def _(grid_argmin, *, cases):
    out = []
    for case in cases:
        grid = gridlib.Grid([np.asarray(a) for a in case["axes"]])
        point, value = _tuple(call(grid_argmin, grid, np.asarray(case["values"])), 2, "grid_argmin")
        out.append({"point": np.asarray(point, dtype=float), "value": float(value)})
    return out


@e3_1.judge
def _(got, *, cases):
    for answer, case in zip(got, cases, strict=True):
        values = np.asarray(case["values"])
        grid = gridlib.Grid([np.asarray(a) for a in case["axes"]])
        ref_point, ref_value = gridlib.best_point(grid, values)
        shape = values.shape
        point = expect_shape(
            answer["point"], (len(shape),), f"the point for a grid of shape {shape}"
        )
        expect_close(
            point,
            ref_point,
            f"the point for a grid of shape {shape}",
            rtol=1e-12,
            hint="np.argmin gives a flat index; np.unravel_index(flat, values.shape) turns it into "
            "one index per axis, and grid.point(index) (or grid.axes[k][i_k]) gives the parameters.",
        )
        expect_close(
            answer["value"],
            ref_value,
            f"the value for a grid of shape {shape}",
            rtol=1e-12,
            hint="return values[index] at the multi-index, not the flat index into a reshaped array.",
        )


# -------------------------------------------------------------------------------- 3.2
e3_2 = Exercise("3.2", "refine(loss, grid, levels, num, span): coarse to fine")


@e3_2.inputs
def _(rng):
    return {
        "centre": rng.uniform(-1.5, 1.5, 2),
        "weights": [1.0, rng.uniform(2.0, 6.0)],
        "cases": [[1, 5, 1.0], [3, 5, 1.0], [4, 7, 1.0], [3, 9, 2.0], [2, 7, 1.5]],
    }


def _grid():
    return gridlib.Grid.linspace(w1=(-2, 2, 5), w2=(-2, 2, 5))


@e3_2.probe
def _(refine, *, centre, weights, cases):
    out = []
    for levels, num, span in cases:
        got = _tuple(
            call(refine, _bowl(centre, weights), _grid(), int(levels), int(num), float(span)),
            3,
            "refine",
        )
        out.append(
            {"point": np.asarray(got[0], dtype=float), "value": float(got[1]), "n": int(got[2])}
        )
    return out


def _refine_reference(loss, grid, levels, num, span):
    n = 0
    for _ in range(levels):
        values = gridlib.evaluate(loss, grid)
        n += grid.size
        index = gridlib.argmin(values)
        point, value = grid.point(index), float(values[index])
        grid = grid.zoom(index, num=num, span=span)
    return point, value, n


@e3_2.judge
def _(got, *, centre, weights, cases):
    loss = _bowl(centre, weights)
    for answer, (levels, num, span) in zip(got, cases, strict=True):
        levels, num = int(levels), int(num)
        point, value, n = _refine_reference(loss, _grid(), levels, num, span)
        label = f"levels={levels}, num={num}, span={span}"
        expect_equal(
            answer["n"],
            n,
            f"n_evaluations for {label}",
            hint="count every point of every grid you evaluated: grid.size per level.",
        )
        if span != 1.0:
            plain = _refine_reference(loss, _grid(), levels, num, 1.0)[0]
            if np.allclose(answer["point"], plain) and not np.allclose(plain, point):
                raise AssertionError(
                    f"for {label} your point is the one of span=1: pass span on to "
                    "grid.zoom(index, num=num, span=span)."
                )
        expect_close(
            answer["point"],
            point,
            f"the point for {label}",
            rtol=1e-10,
            atol=1e-12,
            hint="zoom around the best index of the grid just evaluated: grid.zoom(index, num=num, span=span).",
        )
        expect_close(answer["value"], value, f"the value for {label}", rtol=1e-10)


# -------------------------------------------------------------------------------- 3.3
e3_3 = Exercise("3.3", "equal_budget: a cell-centred grid against Sobol")


@e3_3.inputs
def _(rng):
    return {
        "cases": [
            {"D": D, "G": G, "centre": rng.uniform(-0.8, 0.8, D)} for D, G in [(2, 8), (4, 4)]
        ],
        "seed": int(rng.integers(0, 100)),
    }


def _few(D, centre):
    return _bowl(centre, np.r_[1.0, 1.0, np.full(D - 2, 0.01)])


@e3_3.probe
def _(equal_budget, *, cases, seed):
    out = []
    for case in cases:
        D = int(case["D"])
        got = call(
            equal_budget, _few(D, case["centre"]), -np.ones(D), np.ones(D), int(case["G"]), seed
        )
        out.append([float(v) for v in _tuple(got, 2, "equal_budget")])
    return out


@e3_3.judge
def _(got, *, cases, seed):
    for answer, case in zip(got, cases, strict=True):
        D, G = int(case["D"]), int(case["G"])
        loss = _few(D, case["centre"])
        centres = -1 + (np.arange(G) + 0.5) * 2 / G
        ref_grid = float(gridlib.evaluate(loss, gridlib.Grid([centres] * D)).min())
        ends = float(gridlib.evaluate(loss, gridlib.Grid.cube(np.zeros(D), 1.0, G)).min())
        ref_sobol = sobol_search(loss, -np.ones(D), np.ones(D), G**D, seed=seed).value
        if np.isclose(answer[0], ends, rtol=1e-10) and not np.isclose(ends, ref_grid, rtol=1e-10):
            raise AssertionError(
                f"(D={D}, G={G}) that is the grid with the endpoints (np.linspace(lower, upper, G)); "
                "use the cell centres lower + (i + 0.5) * (upper - lower) / G."
            )
        expect_close(
            answer[0],
            ref_grid,
            f"grid_best for D={D}, G={G}",
            rtol=1e-10,
            hint="G cell centres per axis, lower[k] + (i + 0.5) * (upper[k] - lower[k]) / G; G**D points in all.",
        )
        expect_close(
            answer[1],
            ref_sobol,
            f"sobol_best for D={D}, G={G}",
            rtol=1e-10,
            hint="use gridlib.search.sobol_search(loss, lower, upper, G**D, seed) — the same budget as the grid.",
        )


# -------------------------------------------------------------------------------- 3.4
e3_4 = Exercise("3.4", "predict before you run: the cheapest start")


@e3_4.judge
def _(answer):
    return expect_choice(
        answer,
        "sha256:ffb93b4823b344c60ad77016d13a80f76a75b9ea855d6d5686fc818d0879caba",
        {
            "a": "zero is a fair baseline, but a search costing a few hundred batch evaluations (5 samples each) can "
            "save hundreds of full-data steps (2N = 90 sample passes each). Run the table.",
            "b": "a random point of the post's box is typically further from w* than zero is: it needs more steps, "
            "for no search cost saved.",
            "c": "the full grid's start is close, but 50,601 evaluations of the 5-point batch cost as much as "
            "thousands of descent steps; descent on a convex quadratic converges linearly from anywhere.",
            "d": "Yes: 484 cheap batch evaluations buy a start that saves more descent steps than they cost. A cheap "
            "search can pay even on a convex problem; an exhaustive one does not.",
        },
        "answer_3_4",
    )


# -------------------------------------------------------------------------------- 3.5
e3_5 = Exercise("3.5", "best_bias(W, X, y): profile the bias out")


@e3_5.inputs
def _(rng):
    X = rng.normal(size=(25, 3))
    y = X @ rng.normal(size=3) + rng.uniform(-8, 8) + rng.normal(size=25)
    return {"W": rng.normal(size=(9, 3)), "X": X, "y": y}


@e3_5.probe
def _(best_bias, *, W, X, y):
    return call(best_bias, np.asarray(W), np.asarray(X), np.asarray(y))


@e3_5.judge
def _(got, *, W, X, y):
    W, X, y = np.asarray(W), np.asarray(X), np.asarray(y)
    got = expect_shape(got, (len(W),), "best_bias(W, X, y)")
    expect_close(
        got,
        profile_bias(W, X, y),
        "best_bias(W, X, y)",
        rtol=1e-10,
        hint="set the derivative with respect to b to zero: b is the mean residual y - X @ w, "
        "for each row w of W (use W @ X.mean(axis=0)).",
    )


# -------------------------------------------------------------------------------- 3.6
e3_6 = Exercise("3.6", "grid_local_minima(values): strict local minima")


@e3_6.inputs
def _(rng):
    return {
        "cases": [
            rng.normal(size=(9, 7)),
            rng.normal(size=(3, 12)),
            rng.integers(0, 4, size=(8, 8)).astype(float),
        ]
    }  # small integers: plateaus


def _strict_minima(values: np.ndarray) -> np.ndarray:
    padded = np.pad(values, 1, constant_values=np.inf)
    G1, G2 = values.shape
    mask = np.ones(values.shape, dtype=bool)
    for d1 in (-1, 0, 1):
        for d2 in (-1, 0, 1):
            if d1 or d2:
                mask &= values < padded[1 + d1 : 1 + d1 + G1, 1 + d2 : 1 + d2 + G2]
    return mask


@e3_6.probe
def _(grid_local_minima, *, cases):
    return [np.asarray(call(grid_local_minima, np.asarray(v))) for v in cases]


@e3_6.judge
def _(got, *, cases):
    for answer, values in zip(got, cases, strict=True):
        values = np.asarray(values)
        mask = expect_shape(
            answer, values.shape, f"the mask for values of shape {values.shape}"
        ).astype(bool)
        ref = _strict_minima(values)
        loose = ~ref & mask
        if loose.any():
            i, j = np.argwhere(loose)[0]
            raise AssertionError(
                f"position ({i}, {j}) is marked a minimum but has a neighbour with the same or a "
                "lower value: a minimum must be STRICTLY lower than all its neighbours "
                "(use <, not <=; two equal neighbours are neither a minimum)."
            )
        expect_equal(
            mask,
            ref,
            f"the mask for values of shape {values.shape}",
            hint="pad with +inf (np.pad(values, 1, constant_values=np.inf)) and compare with the 8 "
            "shifted copies: a minimum is strictly lower than all of them.",
        )


# -------------------------------------------------------------------------------- 3.7
e3_7 = Exercise("3.7", "multiple choice: when does grid initialization pay?")


@e3_7.judge
def _(answer):
    return expect_choice(
        answer,
        "sha256:85a57ac982a608d00f150113f192eb9197bb51e6269c5dc653c331d3c4b39421",
        {
            "a": "On a convex quadratic gradient descent converges linearly from anywhere; the lesson's count "
            "shows the full grid costing more forward passes than the steps it saves.",
            "b": "A grid needs G^D evaluations: with many parameters it stops being feasible long before it helps.",
            "c": "Yes: when the loss has several basins (or flat, deceptive regions), a coarse look at the whole box "
            "tells descent where to start, for a cost paid once, in few dimensions.",
            "d": "A finer grid costs more and a start closer to the minimum saves only a few steps of a linearly "
            "convergent method; the grid's resolution is not what makes it pay.",
        },
        "answer_3_7",
    )


# -------------------------------------------------------------------------------- 3.8
e3_8 = Exercise("3.8", "multistart(grad, starts, lr, steps, tol) with per-run stopping")


@e3_8.inputs
def _(rng):
    Q, _ = np.linalg.qr(rng.normal(size=(2, 2)))
    A = Q @ np.diag(rng.uniform(0.5, 3.0, 2)) @ Q.T  # lr * 2 * lambda_max < 2: every run converges
    return {
        "A": A,
        "centre": rng.uniform(-1, 1, 2),
        "starts": np.vstack([[0.0, 0.0], rng.uniform(-5, 5, (3, 2))]),
        "lr": 0.1,
        "cases": [[0, 1e-3], [1, 1e-3], [25, 1e-3], [400, 1e-2]],
    }


def _quad_grad(A, centre):
    A, c = np.asarray(A), np.asarray(centre)
    return lambda W: 2 * (np.asarray(W, dtype=float) - c) @ A


def _multistart_reference(grad, starts, lr, steps, tol):
    out, counts = [], []
    for w in np.asarray(starts, dtype=float):  # one run at a time: the plain loop
        w, n = w.copy(), 0
        for _ in range(steps):
            g = grad(w[None])[0]
            if np.linalg.norm(g) < tol:
                break
            w, n = w - lr * g, n + 1
        out.append(w)
        counts.append(n)
    return np.array(out), np.array(counts)


@e3_8.probe
def _(multistart, *, A, centre, starts, lr, cases):
    out = []
    for steps, tol in cases:
        got = _tuple(
            call(multistart, _quad_grad(A, centre), np.asarray(starts).copy(), lr, int(steps), tol),
            2,
            "multistart",
        )
        out.append({"points": np.asarray(got[0], dtype=float), "n_updates": np.asarray(got[1])})
    return out


@e3_8.judge
def _(got, *, A, centre, starts, lr, cases):
    grad = _quad_grad(A, centre)
    starts = np.asarray(starts)
    for answer, (steps, tol) in zip(got, cases, strict=True):
        ref_points, ref_counts = _multistart_reference(grad, starts, lr, int(steps), tol)
        label = f"multistart(..., steps={int(steps)}, tol={tol})"
        points = expect_shape(answer["points"], starts.shape, f"the points of {label}")
        counts = expect_shape(answer["n_updates"], (len(starts),), f"n_updates of {label}")
        plain = gridlib.gradient_descent(grad, starts, lr, int(steps))[-1]
        if not np.array_equal(counts, ref_counts) and np.all(counts == int(steps)):
            raise AssertionError(
                f"{label}: every run got all {int(steps)} updates; a run must stop (be frozen) "
                "from the first step at which the norm of its gradient is below tol."
            )
        expect_equal(
            np.asarray(counts, dtype=int),
            ref_counts,
            f"n_updates of {label}",
            hint="count an update only for runs still active; a run stops at the first step where "
            "||grad|| < tol and never moves again.",
        )
        if not np.allclose(ref_points, plain) and np.allclose(points, plain):
            raise AssertionError(
                f"{label}: those are the points without stopping; converged runs must not move."
            )
        expect_close(
            points,
            ref_points,
            f"the points of {label}",
            rtol=1e-10,
            atol=1e-12,
            hint="update only the active rows: W[active] -= lr * g[active].",
        )
