"""Self-checks for lesson 00 · Start here (``check.e0_1(...)`` ... ``check.e0_3(...)``).

Each check is a probe (run in the learner's kernel, returns plain data) and a judgement
(a pure function of that data). Every reference is computed with gridlib when the
judgement runs, from the post's seeded example (``gridlib.post_example()``): nothing here
is a stored number.
"""

from __future__ import annotations

import numpy as np

import gridlib
from wtcourse import checking
from wtcourse.checking import Exercise, expect_choice, expect_close, expect_shape

__all__ = ["e0_1", "e0_2", "e0_3", "progress"]

#: The point the post reads as ``Z[295, 68]``: slope w1 = 3.6, intercept w2 = 9.0.
POST_POINT = np.array([3.6, 9.0])


def _batch_loss() -> tuple[gridlib.PostExample, gridlib.LeastSquares]:
    ex = gridlib.post_example()
    return ex, gridlib.LeastSquares(ex.X_batch, ex.y_batch)


e0_1 = Exercise("0.1", "read a loss value off the grid")


@e0_1.judge
def _(loss_value):
    if np.ndim(loss_value) != 0:
        raise AssertionError(
            f"loss_value should be a single number, got an array of shape "
            f"{np.shape(loss_value)} — index `values` with both indices at once, "
            "e.g. values[i1, i2]"
        )
    _, loss = _batch_loss()
    expected = loss(POST_POINT[None, :])[0]
    hint = (
        "values is indexed [i1, i2]: the first index runs along w1 (step 0.2 from -10), "
        "the second along w2 (step 0.2 from -50); grid.index_of([3.6, 9.0]) gives both"
    )
    expect_close(float(loss_value), expected, "loss_value", rtol=1e-9, hint=hint)
    return f"L(3.6, 9.0) = {expected:.3f} on the 5-point batch."


e0_2 = Exercise("0.2", "three points in one call")


@e0_2.judge
def _(got):
    if not isinstance(got, list) or len(got) != 2:
        raise AssertionError("check.e0_2 takes two answers: check.e0_2(points, losses)")
    ex, loss = _batch_loss()
    best, _ = gridlib.best_point(ex.grid, gridlib.evaluate(loss, ex.grid))
    want_points = np.array([ex.true_params, best, [0.0, 0.0]])
    points = expect_shape(got[0], (3, 2), "points")
    expect_close(
        points,
        want_points,
        "points",
        rtol=1e-9,
        atol=1e-9,
        hint="one row per point, in the order: generating parameters (3.5, 7), "
        "the grid's best point, the origin (0, 0)",
    )
    losses = expect_shape(got[1], (3,), "losses")
    expect_close(
        losses,
        loss(want_points),
        "losses",
        rtol=1e-9,
        hint="call the loss once on the (3, 2) array: loss(points)",
    )
    return "one call, three points: a batched loss takes (n_points, 2) and returns (n_points,)."


e0_3 = Exercise("0.3", "predict: how many calls does np.vectorize make?")


@e0_3.judge
def _(answer):
    return expect_choice(
        answer,
        "sha256:5a0988e99e6818a84f6bb10a2896aa315a2b93e9b5966213bc36b35aaa44ad54",
        {
            "a": "np.vectorize compiles nothing: its documentation says it is 'essentially a for "
            "loop', provided for convenience, not performance. Run the next cell and count.",
            "b": "101 + 501 would be one call per axis value; but the function needs a (w1, w2) "
            "pair, and there are 101 × 501 pairs. Run the next cell and count.",
            "c": "Right: one Python call per grid point (the meshgrid arrays hold 50 601 pairs), "
            "plus one extra call that np.vectorize makes to find the output type.",
            "d": "Inside one call the five samples are handled by numpy at once (X_B @ [w1, w2]); "
            "Python runs post_loss once per grid point, not per sample.",
        },
        "answer_0_3",
    )


def progress():
    """This lesson's exercises and their verdicts in this kernel session."""
    return checking.progress(__name__)
