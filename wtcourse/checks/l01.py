"""Self-checks for lesson 01 · Loss hypersurfaces (``check.e1_1(...)`` ... ``check.e1_7(...)``).

Each check is a probe (run in the learner's kernel: it calls the learner's function on the
inputs and returns plain data) and a judgement (a pure function of that data, computing
every reference with gridlib). Inputs are drawn from ``rng``: the self-check uses seed 0,
the grader other seeds. Checks compare values with tolerances, so any correct approach
passes.

Exercise 1.1 also enforces its stated constraint, "no Python loop over the rows of W": the
probe counts the Python steps taken while the learner's function runs, for a W of 4 rows and
for a W of 400 rows, with :func:`sys.settrace`. A step is a line run or a function entered in
the learner's own code, or a library function entered directly from it or from numpy's Python
loops (``np.apply_along_axis``, ``np.vectorize``); what a library function does inside is not
counted, so a debugging ``print(W)`` costs the same for both sizes. A broadcast takes the same
number of steps for both (the answer was already called once, so first-call imports and caches
do not count); a ``for`` or ``while`` loop, a comprehension, ``map`` of a Python or numpy
function (``map(np.linalg.norm, R)``), ``np.vectorize`` or ``np.apply_along_axis`` over the
rows takes at least one step more per row, however the rows are obtained (``np.asarray(W)``,
``W.tolist()``). Helper functions, ``np.einsum`` and loops over the D columns or over a few
chunks of rows are not flagged (tests/test_checks_l00_l02.py). Not seen: a loop run entirely by
C builtins, such as ``list(map(sum, R ** 2))`` — no Python code runs per row, so there is
nothing to count; the check does not claim to catch it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import sysconfig
from typing import Any

import numpy as np

import gridlib
from wtcourse import checking
from wtcourse.checking import Exercise, call, expect_choice, expect_close, expect_shape

__all__ = ["e1_1", "e1_2", "e1_3", "e1_4", "e1_5", "e1_6", "e1_7", "progress"]


@contextlib.contextmanager
def _on(label: str):
    """Prefix any failure inside the block with the problem it happened on."""
    try:
        yield
    except AssertionError as exc:
        raise AssertionError(f"on {label}, {exc}") from None


def _problems(rng: np.random.Generator) -> list[list[Any]]:
    """[label, W, X, y]: the post's batch with points on its grid, and a random 3-parameter problem."""
    ex = gridlib.post_example()
    W = np.vstack([ex.true_params, [0.0, 0.0], rng.uniform([-10, -50], [10, 50], size=(6, 2))])
    X3, y3, W3 = rng.normal(size=(12, 3)), rng.normal(size=12), rng.normal(size=(4, 3))
    return [
        ["the post's batch", W, ex.X_batch, ex.y_batch],
        ["a random problem with 3 parameters", W3, X3, y3],
    ]


# -- counting the Python steps of the learner's own code ------------------------------------

_LIBRARY_DIRS = tuple(
    os.path.dirname(os.path.abspath(p))
    for p in (np.__file__, gridlib.__file__, checking.__file__, os.__file__, contextlib.__file__)
)
_LIBRARY_PATHS = tuple(
    sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")
)

#: numpy's Python-level loops: every function they call counts as a step (np.sum per row).
_LOOPING_HELPERS = frozenset(
    {"apply_along_axis", "_vectorize_call", "_vectorize_call_with_signature"}
)


def _is_library(filename: str) -> bool:
    return (
        filename.startswith(_LIBRARY_DIRS + _LIBRARY_PATHS)
        or "site-packages" in filename
        or "dist-packages" in filename
        or filename.startswith("<frozen")
    )


def _python_steps(fn, *args) -> int:
    """Python steps of the learner's code while ``fn(*args)`` runs.

    A step is a line run or a function entered in the learner's own code, or a library
    function entered directly from it (``map(np.linalg.norm, R)`` enters ``norm`` once per row)
    or from numpy's Python loops (``np.apply_along_axis``, ``np.vectorize``). What a library
    function does inside is not counted, so printing an array costs the same for any size.
    """
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    def tracer(frame, event, arg):
        nonlocal count
        if event != "call":
            return None
        if not _is_library(frame.f_code.co_filename):
            count += 1
            return local
        caller = frame.f_back
        if caller is not None and (
            not _is_library(caller.f_code.co_filename) or caller.f_code.co_name in _LOOPING_HELPERS
        ):
            count += 1
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        call(fn, *args)
    finally:
        sys.settrace(previous)
    return count


e1_1 = Exercise("1.1", "batch_loss(W, X, y) without loops")


@e1_1.inputs
def _(rng):
    ex = gridlib.post_example()
    rows = rng.uniform([-10, -50], [10, 50], size=(400, 2))
    return {"problems": _problems(rng), "rows": rows, "X": ex.X_batch, "y": ex.y_batch}


@e1_1.probe
def _(batch_loss, *, problems, rows, X, y):
    losses = []
    for _, W, X_, y_ in problems:
        try:
            losses.append(call(batch_loss, W, X_, y_))
        except (checking.NotAttempted, AssertionError):
            raise
        except Exception as exc:  # reported with the problem it happened on (D = 3?)
            losses.append({"raised": f"{type(exc).__name__}: {exc}"[:200]})
    steps = [_python_steps(batch_loss, rows[:n].copy(), X, y) for n in (4, 400)]
    return {"losses": losses, "steps": steps}


@e1_1.judge
def _(got, *, problems, rows, X, y):
    for (label, W, X_, y_), losses in zip(problems, got["losses"], strict=True):
        W, X_, y_ = (np.asarray(a, dtype=float) for a in (W, X_, y_))
        with _on(label):
            if isinstance(losses, dict):
                raise AssertionError(
                    f"your code raised {losses.get('raised')}."
                    + (
                        " It must work for any number of parameters D, not only for "
                        "(w1, w2): W @ X.T gives every prediction at once."
                        if X_.shape[1] != 2
                        else ""
                    )
                )
            losses = expect_shape(losses, (len(W),), "batch_loss(W, X, y)")
            expected = gridlib.sum_squared_residuals(W, X_, y_)
            hint = (
                "each row of W is one parameter vector; sum the squared residuals over the samples"
            )
            if X_.shape[1] != 2:
                hint = (
                    "it must work for any number of parameters D, not only for (w1, w2): "
                    "W @ X.T gives every prediction at once"
                )
            if np.allclose(losses * len(y_), expected, rtol=1e-8):
                hint = "you divided by the number of samples: this exercise wants the sum, not the mean"
            elif np.allclose(losses**2, expected, rtol=1e-8):
                hint = "square the residuals before summing (or don't take the square root)"
            expect_close(losses, expected, "batch_loss(W, X, y)", rtol=1e-8, hint=hint)
    small, large = (int(s) for s in got["steps"])
    if large > small + 100:
        raise AssertionError(
            f"the values are right, but your code ran {small} Python steps for a W of 4 rows and "
            f"{large} for a W of 400 rows: it loops over the rows of W (a for loop, a "
            "comprehension, map, np.vectorize or np.apply_along_axis). Compute all rows at once: "
            "y[None, :] - W @ X.T has one row of residuals per parameter vector."
        )
    return "a single broadcast: the residual matrix y[None, :] - W @ X.T has shape (n_points, n_samples)."


e1_2 = Exercise("1.2", "from a point to the post's Z[i, j]")


@e1_2.inputs
def _(rng):
    w1s, w2s = gridlib.post_grid().axes
    idx = [(295, 68), (0, 0), (500, 100)] + [
        (int(rng.integers(len(w2s))), int(rng.integers(len(w1s)))) for _ in range(4)
    ]
    jitter = rng.uniform(-0.05, 0.05, size=(len(idx), 2))  # a quarter step at most: no ties
    points = [[w1s[j] + dj, w2s[i] + di] for (i, j), (dj, di) in zip(idx, jitter, strict=True)]
    return {"points": points, "w1s": w1s, "w2s": w2s}


@e1_2.probe
def _(post_point_to_index, *, points, w1s, w2s):
    out = []
    for p in points:
        got = call(post_point_to_index, np.array(p), w1s.copy(), w2s.copy())
        out.append([int(v) for v in got] if isinstance(got, (tuple, list, np.ndarray)) else got)
    return out


@e1_2.judge
def _(got, *, points, w1s, w2s):
    w1s, w2s = np.asarray(w1s), np.asarray(w2s)
    for p, g in zip(points, got, strict=True):
        what = f"post_point_to_index(({p[0]:.2f}, {p[1]:.2f}), w1s, w2s)"
        if not isinstance(g, list) or len(g) != 2:
            raise AssertionError(f"{what} should return a pair of integers (i, j), got {g!r:.60}")
        i, j = int(np.argmin(np.abs(w2s - p[1]))), int(np.argmin(np.abs(w1s - p[0])))
        if g == [i, j]:
            continue
        if g == [j, i]:
            raise AssertionError(
                f"{what} = {tuple(g)}, expected {(i, j)}: the indices are swapped. With "
                "indexing='xy' the FIRST index of Z runs along w2 (the rows, the y-axis)."
            )
        raise AssertionError(
            f"{what} = {tuple(g)}, expected {(i, j)}: i is the index of the intercept w2 in "
            "w2s, j that of the slope w1 in w1s — the nearest axis value (np.argmin of "
            "np.abs(w2s - w2)), or round((w2 - w2s[0]) / step)."
        )
    return "Z[i, j] = L(w1s[j], w2s[i]): the row index goes with w2, the column index with w1."


e1_3 = Exercise("1.3", "the loss from the sufficient statistics")


@e1_3.inputs
def _(rng):
    return {"problems": _problems(rng)}


@e1_3.probe
def _(loss_from_stats, *, problems):
    out = []
    for _, W, X, y in problems:
        out.append(call(loss_from_stats, W, X.T @ X, X.T @ y, float(y @ y)))
    return out


@e1_3.judge
def _(got, *, problems):
    for (label, W, X, y), losses in zip(problems, got, strict=True):
        W, X, y = (np.asarray(a, dtype=float) for a in (W, X, y))
        with _on(label):
            losses = expect_shape(losses, (len(W),), "loss_from_stats(W, XtX, Xty, yty)")
            hint = (
                "for one row w: w @ XtX @ w - 2 * w @ Xty + yty; for all rows at once, "
                "np.einsum('ij,jk,ik->i', W, XtX, W) or ((W @ XtX) * W).sum(axis=1)"
            )
            expect_close(
                losses,
                gridlib.sum_squared_residuals(W, X, y),
                "loss_from_stats(W, XtX, Xty, yty)",
                rtol=1e-8,
                atol=1e-8 * max(1.0, float(y @ y)),
                hint=hint,
            )
    return "three small statistics replace the whole data set: the cost per point no longer grows with n."


e1_4 = Exercise("1.4", "the bowl's shape from XᵀX")


@e1_4.inputs
def _(rng):
    ex = gridlib.post_example()
    return {
        "cases": [
            ["the post's batch", ex.X_batch],
            ["all 45 points", ex.X],
            ["x in tenths (x / 10)", gridlib.design_matrix(ex.x / 10)],
            ["eight random x values", gridlib.design_matrix(rng.uniform(0, 10, size=8))],
        ]
    }


@e1_4.probe
def _(bowl_shape, *, cases):
    out = []
    for _, X in cases:
        got = call(bowl_shape, X)
        ok = isinstance(got, (tuple, list)) and len(got) == 2
        out.append([float(np.asarray(v)) for v in got] if ok else repr(got)[:80])
    return out


@e1_4.judge
def _(got, *, cases):
    for (label, X), pair in zip(cases, got, strict=True):
        if not isinstance(pair, list):
            raise AssertionError(
                f"bowl_shape(X) should return a pair (kappa, axis_ratio), got {pair}"
            )
        kappa, ratio = pair
        lam = np.linalg.eigvalsh(np.asarray(X).T @ np.asarray(X))
        want_kappa = float(lam[-1] / lam[0])
        want_ratio = float(np.sqrt(want_kappa))
        hint = "kappa = largest / smallest eigenvalue of XᵀX (np.linalg.eigvalsh(X.T @ X))"
        if np.isclose(kappa, want_ratio, rtol=1e-6):
            hint = "that is the ratio of the axes; the condition number is the ratio of the eigenvalues themselves"
        elif np.isclose(kappa, np.linalg.cond(np.asarray(X)), rtol=1e-6):
            hint = "that is the condition number of X; the bowl's is that of XᵀX (its square)"
        expect_close(kappa, want_kappa, f"kappa for {label}", rtol=1e-6, hint=hint)
        hint = (
            "on a contour (θ - θ*)ᵀ XᵀX (θ - θ*) = c each semi-axis has length sqrt(c / λ): "
            "the ratio of the longest to the shortest is sqrt(λmax / λmin)"
        )
        if np.isclose(ratio, want_kappa, rtol=1e-6):
            hint = "the semi-axes go as 1/sqrt(λ), so their ratio is sqrt(kappa), not kappa"
        expect_close(ratio, want_ratio, f"axis_ratio for {label}", rtol=1e-6, hint=hint)
    return "κ and √κ: the numbers behind the contour ellipses' elongation."


e1_5 = Exercise("1.5", "what changes the shape of the bowl?")


@e1_5.judge
def _(answer):
    return expect_choice(
        answer,
        "sha256:e11c0e30080e7684d93fcfae1a9b3cd586428f0e7da837c7ba31ec43b1a56825",
        {
            "a": "XᵀX = Σ xᵢxᵢᵀ gains a term for every added point, so its eigenvalues and usually its "
            "eigenvectors change: 45 points give a different (here rounder) bowl than 5.",
            "b": "x → 10x multiplies the first column of X by 10: the w1 entries of XᵀX grow by 10 and "
            "100, the bowl becomes much narrower along w1 and the condition number changes.",
            "c": "Right: the shape is set by XᵀX alone. New noise changes y, hence Xᵀy and yᵀy: "
            "the centre θ* and the floor L(θ*) move, the ellipses keep their axes and elongation.",
            "d": "Shifting x changes the first column of X, so XᵀX changes (its off-diagonal Σx "
            "especially): the ellipses rotate and their elongation changes — the last section "
            "of this lesson uses exactly that.",
        },
        "answer_1_5",
    )


e1_6 = Exercise("1.6", "mean squared error on a grid")


@e1_6.inputs
def _(rng):
    ex = gridlib.post_example()
    lo = rng.uniform([-4.0, -20.0], [0.0, 0.0])
    return {
        "problems": [
            [
                "a 7 x 9 grid and the batch",
                [np.linspace(lo[0], lo[0] + 8, 7), np.linspace(lo[1], lo[1] + 30, 9)],
                ex.X_batch,
                ex.y_batch,
            ],
            [
                "a 41 x 61 grid and all 45 points",
                [np.linspace(-2, 8, 41), np.linspace(-10, 30, 61)],
                ex.X,
                ex.y,
            ],
        ]
    }


@e1_6.probe
def _(mse_grid, *, problems):
    return [call(mse_grid, gridlib.Grid(axes, ["w1", "w2"]), X, y) for _, axes, X, y in problems]


@e1_6.judge
def _(got, *, problems):
    for (label, axes, X, y), values in zip(problems, got, strict=True):
        grid = gridlib.Grid(axes, ["w1", "w2"])
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        with _on(label):
            values = expect_shape(values, grid.shape, "mse_grid(grid, X, y)")
            expected = gridlib.LeastSquares(X, y, mean=True).grid_values(grid)
            hint = "the mean squared error is the sum of squares divided by the number of samples"
            if np.allclose(values, expected * len(y), rtol=1e-8):
                hint = "that is the sum of squares: divide by the number of samples, len(y)"
            elif np.allclose(values, expected.T.reshape(grid.shape), rtol=1e-8):
                hint = 'the values are in the wrong order: axis 0 must be w1 (indexing="ij")'
            expect_close(values, expected, "mse_grid(grid, X, y)", rtol=1e-8, atol=1e-9, hint=hint)
    return "same argmin as the sum of squares, every value divided by n."


e1_7 = Exercise("1.7", "predict: gradient-descent steps after centring")


@e1_7.judge
def _(answer):
    return expect_choice(
        answer,
        "sha256:060abc3b1ce8a24c2971c965495109bb7481a52e36b46f95245876272833833e",
        {
            "a": "The lines are the same, but the coordinates are not: gradient descent moves in "
            "(w1, w2) coordinates, and its speed is set by the bowl's shape in them (κ). Run the "
            "next cell.",
            "b": "The error along the flat direction shrinks by a factor 1 - 1/κ per step: going from "
            "κ = 1427 to κ ≈ 2.8 changes that factor from 0.9993 to 0.64, far more than a factor "
            "of two in steps. Run the next cell.",
            "c": "Right: with κ ≈ 2.8 the error along every direction is multiplied by at most "
            "1 - 1/κ ≈ 0.64 per step (and L - L* by its square, 0.41), so a few tens of steps "
            "reach any reasonable tolerance.",
            "d": "One step is what Newton's method (preconditioning by the inverse Hessian) takes on "
            "a quadratic; plain gradient descent with lr = 1/h_max finishes in one step only when "
            "κ = 1. Run the next cell: it shows both.",
        },
        "answer_1_7",
    )


def progress():
    """This lesson's exercises and their verdicts in this kernel session."""
    return checking.progress(__name__)
