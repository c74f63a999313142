"""The shared validators behind gridlib's bad-input promise: one rule, one exception type."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gridlib
from gridlib import Grid, numerical_gradient
from gridlib._validate import DEFAULT_CHUNK, as_grid, as_real, as_rng, check_size


@pytest.mark.parametrize(
    "value, match",
    [
        (None, "x must be real numbers, got NoneType"),
        ("abc", "x must be real numbers, got dtype <U3"),
        ([1.0, None], "x must be real numbers, got dtype object"),
        (np.array([1.0]) + 1j, "x must be real numbers, got complex values"),
        ([1 + 2j], "got complex values"),
        (np.array(["1.0"]), "got dtype <U3"),
        ({"a": 1}, "got dict"),
    ],
)
def test_as_real_type_errors(value, match):
    with pytest.raises(TypeError, match=match):
        as_real(value, "x")


def test_as_real_accepts_ints_bools_and_numeric_objects():
    np.testing.assert_array_equal(as_real([1, 2], "x"), [1.0, 2.0])
    assert as_real(np.array([True]), "x").dtype == np.float64
    from fractions import Fraction

    np.testing.assert_array_equal(as_real(np.array([Fraction(1, 2)], dtype=object), "x"), [0.5])
    with pytest.raises(ValueError, match="x must be a rectangular array"):
        as_real([[1.0, 2.0], [3.0]], "x")


def test_as_rng_forms():
    assert as_rng(3).random() == np.random.default_rng(3).random()
    g = np.random.default_rng(0)
    assert as_rng(g) is g
    assert isinstance(as_rng(None), np.random.Generator)
    assert as_rng(np.int64(3)).random() == np.random.default_rng(3).random()
    for bad in (1.5, "3", True, np.random.RandomState(0)):
        with pytest.raises(
            TypeError, match="rng must be None, an integer seed or a numpy.random.Generator"
        ):
            as_rng(bad)
    with pytest.raises(ValueError, match="non-negative integer seed"):
        as_rng(-1)


def test_as_grid_names_the_type():
    g = Grid.linspace(a=(0, 1, 2))
    assert as_grid(g) is g
    with pytest.raises(TypeError, match=r"grid must be a gridlib\.Grid, got ndarray"):
        as_grid(np.zeros(2))


def test_check_size_names_size_and_limit():
    assert check_size(10.0, "thing", 10, "max_things") == 10
    with pytest.raises(
        ValueError, match=r"thing would need 11 items, over the limit max_things=10 items"
    ):
        check_size(11, "thing", 10, "max_things", " items")
    with pytest.raises(ValueError, match="an unbounded number of"):
        check_size(float("inf"), "thing", 10, "max_things")


def test_one_chunk_default():
    import inspect

    assert inspect.signature(Grid.chunks).parameters["chunk_size"].default == DEFAULT_CHUNK
    sig = inspect.signature(gridlib.search.coarse_to_fine)
    assert sig.parameters["chunk_size"].default == DEFAULT_CHUNK


def test_same_mistake_same_exception_across_the_library():
    """A non-integer count is a TypeError, a non-positive one a ValueError, everywhere."""
    g = Grid.linspace(a=(0, 1, 3))
    loss = lambda P: P[:, 0]  # noqa: E731
    for call in (
        lambda bad: Grid.linspace(a=(0, 1, bad)),
        lambda bad: Grid.cube([0.0], 1.0, bad),
        lambda bad: gridlib.gradient_descent(lambda W: W, [[1.0]], 0.1, bad),
        lambda bad: gridlib.search.coarse_to_fine(loss, g, bad),
        lambda bad: gridlib.search.random_search(loss, [0], [1], bad, 0),
        lambda bad: gridlib.batch_indices(5, bad, 0),
        lambda bad: gridlib.local_minima([1.0, 2.0], k=bad),
    ):
        with pytest.raises(TypeError, match="integer"):
            call(2.5)
        with pytest.raises(ValueError, match="integer"):
            call(-1)
    for call in (
        lambda grid: gridlib.best_point(grid, [1.0, 2.0, 3.0]),
        lambda grid: gridlib.search.coarse_to_fine(loss, grid, 2),
    ):
        with pytest.raises(TypeError, match=r"grid must be a gridlib\.Grid"):
            call("g")


_MAGNITUDE = st.integers(-3, 150).map(lambda e: 10.0**e)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    scale=_MAGNITUDE,
    u=st.lists(
        st.tuples(st.floats(0.5, 1), st.booleans()).map(lambda t: t[0] if t[1] else -t[0]),
        min_size=1,
        max_size=4,
    ),
    c=st.lists(st.floats(-3, 3), min_size=4, max_size=4),
)
def test_numerical_gradient_of_linear_and_quadratic_functions_at_any_magnitude(scale, u, c):
    """For x = scale * u: a linear f has gradient c / scale; a quadratic 2 c x / scale**2.

    Coordinates share one magnitude (|u| in [0.5, 1]): with mixed magnitudes a coordinate
    whose contribution is tiny next to |f| is resolved only to about eps |f| / h_k.
    """
    x = scale * np.array(u)
    c = np.array(c[: len(u)])
    lin = numerical_gradient(lambda v: c @ (v / scale), x)
    np.testing.assert_allclose(lin, c / scale, rtol=1e-6, atol=1e-6 * np.abs(c).max() / scale)
    quad = numerical_gradient(lambda v: c @ (v / scale) ** 2, x)
    np.testing.assert_allclose(
        quad, 2 * c * x / scale**2, rtol=1e-5, atol=1e-5 * np.abs(c).max() / scale
    )
