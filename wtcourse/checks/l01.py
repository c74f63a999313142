"""Self-checks for lesson 01 · Loss hypersurfaces (``check.e1_1(...)`` ... ``check.e1_6(...)``).

Every reference is computed with gridlib when the check runs (from the post's
seeded example and from small seeded random problems); checks compare values
with tolerances, so any correct approach passes.
"""

from __future__ import annotations

import contextlib

import numpy as np

import gridlib
from wtcourse.checking import (call, exercise, expect_choice, expect_close,
                                     expect_shape)

__all__ = ["e1_1", "e1_2", "e1_3", "e1_4", "e1_5", "e1_6"]


@contextlib.contextmanager
def _on(label: str):
    """Prefix any failure inside the block with the problem it happened on."""
    try:
        yield
    except AssertionError as exc:
        raise AssertionError(f"on {label}, {exc}") from None


def _problems() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(label, W, X, y): the post's batch with points on its grid, and a random 3-parameter problem."""
    rng = np.random.default_rng(2024)
    ex = gridlib.post_example()
    W = np.vstack([ex.true_params, [0.0, 0.0], rng.uniform([-10, -50], [10, 50], size=(6, 2))])
    X3 = rng.normal(size=(12, 3))
    y3 = rng.normal(size=12)
    W3 = rng.normal(size=(4, 3))
    return [("the post's batch", W, ex.X_batch, ex.y_batch),
            ("a random problem with 3 parameters", W3, X3, y3)]


@exercise("1.1")
def e1_1(batch_loss):
    """Exercise 1.1: ``batch_loss(W, X, y)``, (n_points, D) -> (n_points,), without loops."""
    for label, W, X, y in _problems():
        with _on(label):
            got = call(batch_loss, W.copy(), X.copy(), y.copy())
            got = expect_shape(got, (len(W),), "batch_loss(W, X, y)")
            expected = gridlib.sum_squared_residuals(W, X, y)
            hint = "each row of W is one parameter vector; sum the squared residuals over the samples"
            if X.shape[1] != 2:
                hint = ("it must work for any number of parameters D, not only for (w1, w2): "
                        "W @ X.T gives every prediction at once")
            if np.allclose(got * len(y), expected, rtol=1e-8):
                hint = "you divided by the number of samples: this exercise wants the sum, not the mean"
            elif np.allclose(got ** 2, expected, rtol=1e-8):
                hint = "square the residuals before summing (or don't take the square root)"
            expect_close(got, expected, "batch_loss(W, X, y)", rtol=1e-8, hint=hint)
    return "a single broadcast: the residual matrix y[None, :] - W @ X.T has shape (n_points, n_samples)."


@exercise("1.2")
def e1_2(post_index_to_point):
    """Exercise 1.2: the (w1, w2) point behind the post's ``Z[i, j]`` (``"xy"`` meshgrid)."""
    w1s, w2s = gridlib.post_grid().axes
    for i, j in [(295, 68), (0, 0), (500, 100), (10, 90), (400, 3)]:
        try:
            got = call(post_index_to_point, i, j, w1s.copy(), w2s.copy())
        except IndexError as exc:
            raise AssertionError(
                f"post_index_to_point({i}, {j}, w1s, w2s) raised IndexError ({exc}). Z has shape "
                f"({len(w2s)}, {len(w1s)}) = (len(w2s), len(w1s)): i indexes w2s, j indexes w1s") from None
        got = expect_shape(np.asarray(got, dtype=float), (2,), f"post_index_to_point({i}, {j}, w1s, w2s)")
        expected = np.array([w1s[j], w2s[i]])
        hint = ("with indexing=\"xy\" the FIRST index of Z runs along the SECOND list you gave "
                "meshgrid (w2s, the rows), the second index along w1s (the columns)")
        expect_close(got, expected, f"post_index_to_point({i}, {j}, w1s, w2s)", rtol=1e-12,
                     atol=1e-12, hint=hint)
    return "Z[295, 68] is the point (w1, w2) = (3.6, 9.0): rows are w2, columns are w1."


@exercise("1.3")
def e1_3(loss_from_stats):
    """Exercise 1.3: the loss from ``XtX``, ``Xty``, ``yty`` only: (n_points, D) -> (n_points,)."""
    for label, W, X, y in _problems():
        with _on(label):
            XtX, Xty, yty = X.T @ X, X.T @ y, float(y @ y)
            got = call(loss_from_stats, W.copy(), XtX.copy(), Xty.copy(), yty)
            got = expect_shape(got, (len(W),), "loss_from_stats(W, XtX, Xty, yty)")
            expected = gridlib.sum_squared_residuals(W, X, y)
            hint = ("for one row w: w @ XtX @ w - 2 * w @ Xty + yty; for all rows at once, "
                    "np.einsum('ij,jk,ik->i', W, XtX, W) or ((W @ XtX) * W).sum(axis=1)")
            expect_close(got, expected, "loss_from_stats(W, XtX, Xty, yty)",
                         rtol=1e-8, atol=1e-8 * max(1.0, yty), hint=hint)
    return "three small statistics replace the whole data set: the cost per point no longer grows with n."


def _reference_shape(X: np.ndarray) -> tuple[float, float]:
    lam = np.linalg.eigvalsh(X.T @ X)
    kappa = lam[-1] / lam[0]
    return float(kappa), float(np.sqrt(kappa))


@exercise("1.4")
def e1_4(bowl_shape):
    """Exercise 1.4: ``bowl_shape(X) -> (kappa, axis_ratio)`` from the eigenvalues of XᵀX."""
    ex = gridlib.post_example()
    cases = [("the post's batch", ex.X_batch), ("all 45 points", ex.X),
             ("x in tenths (x / 10)", gridlib.design_matrix(ex.x / 10))]
    for label, X in cases:
        got = call(bowl_shape, X.copy())
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise AssertionError(f"bowl_shape(X) should return a pair (kappa, axis_ratio), "
                                 f"got {got!r:.80}")
        kappa, ratio = (float(np.asarray(v)) for v in got)
        want_kappa, want_ratio = _reference_shape(X)
        hint = "kappa = largest / smallest eigenvalue of XᵀX (np.linalg.eigvalsh(X.T @ X))"
        if np.isclose(kappa, want_ratio, rtol=1e-6):
            hint = ("that is the ratio of the axes; the condition number is the ratio of the "
                    "eigenvalues themselves")
        elif np.isclose(kappa, np.linalg.cond(X), rtol=1e-6):
            hint = "that is the condition number of X; the bowl's is that of XᵀX (its square)"
        expect_close(kappa, want_kappa, f"kappa for {label}", rtol=1e-6, hint=hint)
        hint = ("on a contour (θ - θ*)ᵀ XᵀX (θ - θ*) = c each semi-axis has length sqrt(c / λ): "
                "the ratio of the longest to the shortest is sqrt(λmax / λmin)")
        if np.isclose(ratio, want_kappa, rtol=1e-6):
            hint = "the semi-axes go as 1/sqrt(λ), so their ratio is sqrt(kappa), not kappa"
        expect_close(ratio, want_ratio, f"axis_ratio for {label}", rtol=1e-6, hint=hint)
    return "the bowl depends on X only; y moves its centre and its floor."


@exercise("1.5")
def e1_5(answer):
    """Exercise 1.5 (multiple choice): which change leaves the ellipses' shape unchanged?"""
    return expect_choice(answer, "c", {
        "a": "XᵀX = Σ xᵢxᵢᵀ gains a term for every added point, so its eigenvalues and usually its "
             "eigenvectors change: 45 points give a different (here rounder) bowl than 5.",
        "b": "x → 10x multiplies the first column of X by 10: the w1 entries of XᵀX grow by 10 and "
             "100, the bowl becomes much narrower along w1 and the condition number changes.",
        "c": "Right: the shape is set by XᵀX alone. New noise changes y, hence Xᵀy and yᵀy: "
             "the centre θ* and the floor L(θ*) move, the ellipses keep their axes and elongation.",
        "d": "Shifting x changes the first column of X, so XᵀX changes (its off-diagonal Σx "
             "especially): the ellipses rotate and their elongation changes.",
    })


@exercise("1.6")
def e1_6(mse_grid):
    """Exercise 1.6: mean squared error on every grid point, shaped like the grid."""
    ex = gridlib.post_example()
    small = gridlib.Grid.linspace(w1=(-2.0, 6.0, 7), w2=(-10.0, 20.0, 9))
    for label, grid, X, y in [("a 7 x 9 grid and the batch", small, ex.X_batch, ex.y_batch),
                              ("the post's grid and all 45 points", ex.grid, ex.X, ex.y)]:
        with _on(label):
            got = call(mse_grid, grid, X.copy(), y.copy())
            got = expect_shape(got, grid.shape, "mse_grid(grid, X, y)")
            expected = gridlib.LeastSquares(X, y, mean=True).grid_values(grid)
            hint = "the mean squared error is the sum of squares divided by the number of samples"
            if np.allclose(got, expected * len(y), rtol=1e-8):
                hint = "that is the sum of squares: divide by the number of samples, len(y)"
            elif np.allclose(got, expected.T.reshape(grid.shape), rtol=1e-8) and grid.shape[0] != grid.shape[1]:
                hint = "the values are in the wrong order: axis 0 must be w1 (indexing=\"ij\")"
            expect_close(got, expected, "mse_grid(grid, X, y)", rtol=1e-8, atol=1e-9,
                         hint=hint)
    return "same argmin as the sum of squares, every value divided by n."
