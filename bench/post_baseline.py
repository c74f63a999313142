"""The blog post's own code: the yardstick every "x post" ratio in bench/ is measured against.

The loss, the ``@np.vectorize`` decorator and the ``np.meshgrid`` call are the post's
code as the course's issue 18 quotes it::

    @np.vectorize
    def loss(w1, w2):
        val = y_B - X_B @ np.array([w1, w2])
        return np.dot(val, val)

    W1, W2 = np.meshgrid(w1s, w2s)
    Z = loss(W1, W2)

Two departures, both stated in bench/RESULTS.md: the data are drawn from a seeded
``np.random.default_rng`` (the post uses the global ``np.random`` state, unseeded; the
timing does not depend on the values), and the grid axes, data and batch are passed in
so that every method in the benchmark runs on exactly the same numbers.
:func:`post_loss_nd` is the same loss written for D parameters (for the cubes).
"""

from __future__ import annotations

import numpy as np


def post_data(rng: np.random.Generator, n: int = 45, batch_size: int = 5):
    """The post's data-generating process: ``x`` uniform on [0, 10), a line plus noise, a batch."""
    x = rng.random(n) * 10
    y = 3.5 * x + 7 + (rng.random(n) + rng.standard_normal(n)) * 6
    X = np.column_stack([x, np.ones(n)])
    batch = rng.choice(n, batch_size, replace=False)
    return X, y, X[batch], y[batch]


def post_grid_values(
    X_B: np.ndarray, y_B: np.ndarray, w1s: np.ndarray, w2s: np.ndarray
) -> np.ndarray:
    """The post's grid evaluation, verbatim: returns ``Z`` in meshgrid's "xy" order (w2 on rows)."""

    @np.vectorize
    def loss(w1, w2):
        val = y_B - X_B @ np.array([w1, w2])
        return np.dot(val, val)

    W1, W2 = np.meshgrid(w1s, w2s)
    Z = loss(W1, W2)
    return Z


def post_loss_nd(X_B: np.ndarray, y_B: np.ndarray, axes) -> np.ndarray:
    """The post's loss for D parameters, over ``np.meshgrid(*axes, indexing="ij")``."""

    @np.vectorize
    def loss(*w):
        val = y_B - X_B @ np.array(w)
        return np.dot(val, val)

    return loss(*np.meshgrid(*axes, indexing="ij"))
