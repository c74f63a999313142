"""Self-checks for lesson 00 · Start here (``check.e0_1(...)``, ``check.e0_2(...)``).

Every reference is computed with gridlib when the check runs, from the post's
seeded example (``gridlib.post_example()``): nothing here is a stored number.
"""

from __future__ import annotations

import numpy as np

import gridlib
from wtcourse.checking import NotAttempted, exercise, expect_close, expect_shape

__all__ = ["e0_1", "e0_2"]

#: The point the post reads as ``Z[295, 68]``: slope w1 = 3.6, intercept w2 = 9.0.
POST_POINT = np.array([3.6, 9.0])


def _batch_loss() -> tuple[gridlib.PostExample, gridlib.LeastSquares]:
    ex = gridlib.post_example()
    return ex, gridlib.LeastSquares(ex.X_batch, ex.y_batch)


@exercise("0.1")
def e0_1(loss_value):
    """Exercise 0.1: the batch loss at (w1, w2) = (3.6, 9.0), read off the grid's values."""
    ex, loss = _batch_loss()
    if np.ndim(loss_value) != 0:
        raise AssertionError(f"loss_value should be a single number, got an array of shape "
                             f"{np.shape(loss_value)} — index `values` with both indices at once, "
                             "e.g. values[i1, i2]")
    expected = loss(POST_POINT[None, :])[0]
    hint = ("values is indexed [i1, i2]: the first index runs along w1 (step 0.2 from -10), "
            "the second along w2 (step 0.2 from -50); grid.index_of([3.6, 9.0]) gives both")
    expect_close(float(loss_value), expected, "loss_value", rtol=1e-9, hint=hint)
    return f"L(3.6, 9.0) = {expected:.3f} on the 5-point batch."


@exercise("0.2")
def e0_2(points, losses):
    """Exercise 0.2: the loss at (3.5, 7), the grid's best point and (0, 0), in one call."""
    ex, loss = _batch_loss()
    if losses is Ellipsis:
        raise NotAttempted("losses is still the `...` placeholder")
    best, _ = gridlib.best_point(ex.grid, gridlib.evaluate(loss, ex.grid))
    want_points = np.array([ex.true_params, best, [0.0, 0.0]])
    points = expect_shape(points, (3, 2), "points")
    expect_close(points, want_points, "points", rtol=1e-9, atol=1e-9,
                 hint="one row per point, in the order: generating parameters (3.5, 7), "
                      "the grid's best point, the origin (0, 0)")
    expect_shape(losses, (3,), "losses")
    expect_close(losses, loss(want_points), "losses", rtol=1e-9,
                 hint="call the loss once on the (3, 2) array: loss(points)")
    return "one call, three points: a batched loss takes (n_points, 2) and returns (n_points,)."
