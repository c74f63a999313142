"""Self-checks for lesson 03 · Grid-search initialization.

Every reference is computed with gridlib at check time; the learner's answer is
compared by value, so any correct approach passes.
"""
from __future__ import annotations

import numpy as np

import gridlib
from wtcourse.checking import (NotAttempted, call, exercise, expect_choice, expect_close,
                                     expect_equal, expect_shape)
from gridlib.search import coarse_to_fine, profile_bias, sobol_search


def _bowl(P):
    P = np.asarray(P, dtype=float)
    return ((P - np.array([0.31, -0.72])) ** 2 * np.array([1.0, 4.0])).sum(axis=1)


@exercise("3.1")
def e3_1(grid_argmin):
    """grid_argmin(grid, values) -> (point (D,), value)."""
    rng = np.random.default_rng(31)
    for shape in [(7, 5), (4, 3, 6)]:
        grid = gridlib.Grid([np.sort(rng.uniform(-3, 3, n)) for n in shape])
        values = rng.normal(size=shape)
        got = call(grid_argmin, grid, values)
        if not (isinstance(got, tuple) and len(got) == 2):
            raise AssertionError(f"grid_argmin should return a pair (point, value), got {type(got).__name__}")
        point, value = got
        ref_point, ref_value = gridlib.best_point(grid, values)
        expect_close(point, ref_point, f"the point for a grid of shape {shape}", rtol=1e-12,
                     hint="np.argmin gives a flat index; np.unravel_index(flat, values.shape) turns it into "
                          "one index per axis, and grid.point(index) (or grid.axes[k][i_k]) gives the parameters.")
        expect_close(value, ref_value, f"the value for a grid of shape {shape}", rtol=1e-12,
                     hint="return values[index] at the multi-index, not the flat index into a reshaped array.")


@exercise("3.2")
def e3_2(refine):
    """refine(loss, grid, levels, num) -> (point, value, n_evaluations)."""
    grid = gridlib.Grid.linspace(w1=(-2, 2, 5), w2=(-2, 2, 5))
    for levels, num in [(1, 5), (3, 5), (4, 7)]:
        got = call(refine, _bowl, grid, levels, num)
        if not (isinstance(got, tuple) and len(got) == 3):
            raise AssertionError("refine should return a triple (point, value, n_evaluations)")
        ref = coarse_to_fine(_bowl, grid, levels, num=num)
        expect_equal(int(got[2]), ref.n_evaluations, f"n_evaluations for levels={levels}, num={num}",
                     hint="count every point of every grid you evaluated: grid.size per level.")
        expect_close(got[0], ref.point, f"the point for levels={levels}, num={num}", rtol=1e-10, atol=1e-12,
                     hint="zoom around the best index of the grid just evaluated: grid.zoom(index, num=num).")
        expect_close(got[1], ref.value, f"the value for levels={levels}, num={num}", rtol=1e-10)


@exercise("3.3")
def e3_3(equal_budget):
    """equal_budget(loss, lower, upper, G, seed) -> (grid_best, sobol_best)."""
    for D, G in [(2, 8), (4, 4)]:
        lower, upper = -np.ones(D), np.ones(D)
        c = np.linspace(-0.37, 0.41, D)
        loss = lambda P, c=c: ((np.asarray(P) - c) ** 2 * np.r_[1.0, 1.0, np.full(D - 2, 0.01)]).sum(axis=1)
        got = call(equal_budget, loss, lower, upper, G, 5)
        if not (isinstance(got, tuple) and len(got) == 2):
            raise AssertionError("equal_budget should return a pair (grid_best, sobol_best)")
        grid = gridlib.Grid([np.linspace(lo, hi, G) for lo, hi in zip(lower, upper)])
        ref_grid = float(gridlib.evaluate(loss, grid).min())
        ref_sobol = sobol_search(loss, lower, upper, G**D, seed=5).value
        expect_close(got[0], ref_grid, f"grid_best for D={D}, G={G}", rtol=1e-10,
                     hint="G points per axis with np.linspace(lower[k], upper[k], G), ends included; G**D points in all.")
        expect_close(got[1], ref_sobol, f"sobol_best for D={D}, G={G}", rtol=1e-10,
                     hint="use gridlib.search.sobol_search(loss, lower, upper, G**D, seed) — the same budget as the grid.")


@exercise("3.6")
def e3_6(answer):
    """Multiple choice: when does grid initialization pay?"""
    return expect_choice(answer, "c", {
        "a": "On a convex quadratic gradient descent converges linearly from anywhere; the lesson's count "
             "shows the full grid costing more forward passes than the steps it saves.",
        "b": "A grid needs G^D evaluations: with many parameters it stops being feasible long before it helps.",
        "c": "Yes: when the loss has several basins (or flat, deceptive regions), a coarse look at the whole box "
             "tells descent where to start, for a cost paid once, in few dimensions.",
        "d": "A finer grid costs more and a start closer to the minimum saves only a few steps of a linearly "
             "convergent method; the grid's resolution is not what makes it pay.",
    })


@exercise("3.4")
def e3_4(best_bias):
    """best_bias(W, X, y) -> (n_points,)."""
    rng = np.random.default_rng(35)
    X = rng.normal(size=(25, 3))
    y = X @ [1.0, -2.0, 0.5] + 6.0 + rng.normal(size=25)
    W = rng.normal(size=(9, 3))
    got = call(best_bias, W, X, y)
    expect_shape(got, (9,), "best_bias(W, X, y)")
    expect_close(got, profile_bias(W, X, y), "best_bias(W, X, y)", rtol=1e-10,
                 hint="set the derivative with respect to b to zero: b is the mean residual y - X @ w, "
                      "for each row w of W (use W @ X.mean(axis=0)).")


@exercise("3.5")
def e3_5(grid_local_minima):
    """grid_local_minima(values) -> boolean mask, shape values.shape."""
    rng = np.random.default_rng(36)
    for shape in [(9, 7), (3, 12)]:
        values = rng.normal(size=shape)
        got = call(grid_local_minima, values)
        got = expect_shape(got, shape, f"the mask for values of shape {shape}")
        ref = np.zeros(shape, dtype=bool)
        ref[tuple(gridlib.local_minima(values).indices.T)] = True
        expect_equal(np.asarray(got, dtype=bool), ref, f"the mask for values of shape {shape}",
                     hint="pad with +inf (np.pad(values, 1, constant_values=np.inf)) and compare with the 8 "
                          "shifted copies: a minimum is strictly lower than all of them.")


@exercise("3.7")
def e3_7(multistart):
    """multistart(grad, starts, lr, steps) -> final points (k, D)."""
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    grad = lambda W: 2 * (np.asarray(W) - [1.0, -1.0]) @ A
    starts = np.array([[0.0, 0.0], [5.0, 5.0], [-3.0, 2.0]])
    for steps in [0, 1, 25]:
        got = call(multistart, grad, starts.copy(), 0.1, steps)
        got = expect_shape(got, starts.shape, f"multistart(..., steps={steps})")
        ref = gridlib.gradient_descent(grad, starts, 0.1, steps)[-1]
        expect_close(got, ref, f"multistart(..., steps={steps})", rtol=1e-10, atol=1e-12,
                     hint="update all starts at once, W = W - lr * grad(W), `steps` times; "
                          "return the points after the last step (the starts themselves when steps is 0).")


__all__ = ["e3_1", "e3_2", "e3_3", "e3_4", "e3_5", "e3_6", "e3_7", "NotAttempted"]
