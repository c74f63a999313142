"""The checks of lessons 00-02: probe + judgement on the solution answers for several seeds, and
on typical wrong answers (each gets its teaching message, never "correct")."""

from __future__ import annotations

import numpy as np
import pytest

import gridlib
from wtcourse.checks import l00, l01, l02
from wtcourse.contract import CORRECT, NOT_ATTEMPTED, WRONG

SEEDS = range(6)

# --- the solutions' answers (as in solutions/0N-*.ipynb) -------------------------------------


def batch_loss(W, X, y):
    R = y[None, :] - W @ X.T
    return np.einsum("ij,ij->i", R, R)


def post_point_to_index(point, w1s, w2s):
    return int(np.argmin(np.abs(w2s - point[1]))), int(np.argmin(np.abs(w1s - point[0])))


def loss_from_stats(W, XtX, Xty, yty):
    return np.einsum("ij,jk,ik->i", W, XtX, W) - 2.0 * W @ Xty + yty


def bowl_shape(X):
    lam = np.linalg.eigvalsh(X.T @ X)
    return lam[-1] / lam[0], np.sqrt(lam[-1] / lam[0])


def mse_grid(grid, X, y):
    R = y[None, :] - grid.points() @ X.T
    return (np.einsum("ij,ij->i", R, R) / len(y)).reshape(grid.shape)


def batch_minimizer(X_B, y_B):
    return np.linalg.solve(X_B.T @ X_B, X_B.T @ y_B)


def batch_minima(X, y, batches):
    X_B, y_B = X[batches], y[batches]
    A = np.einsum("nbi,nbj->nij", X_B, X_B)
    b = np.einsum("nbi,nb->ni", X_B, y_B)
    return np.linalg.solve(A, b[..., None])[..., 0]


def batch_gradient_cov(X, y, w, batch_size):
    n = len(y)
    G = 2.0 * X * (X @ w - y)[:, None]
    D = G - G.mean(axis=0)
    return D.T @ D / n / batch_size * (n - batch_size) / (n - 1)


def smallest_batch_size(X, y, target):
    for b in range(2, len(y) + 1):
        if np.sqrt(gridlib.minima_cov_theory(X, y, b)[1, 1]) <= target:
            return b


def _post_answers():
    ex = gridlib.post_example()
    loss = gridlib.LeastSquares(ex.X_batch, ex.y_batch)
    values = gridlib.evaluate(loss, ex.grid)
    best, _ = gridlib.best_point(ex.grid, values)
    points = np.array([ex.true_params, best, [0.0, 0.0]])
    return values[ex.grid.index_of([3.6, 9.0])], points, loss(points)


SOLUTIONS = {
    l00.e0_1: lambda: (_post_answers()[0],),
    l00.e0_2: lambda: _post_answers()[1:],
    l00.e0_3: lambda: ("c",),
    l01.e1_1: lambda: (batch_loss,),
    l01.e1_2: lambda: (post_point_to_index,),
    l01.e1_3: lambda: (loss_from_stats,),
    l01.e1_4: lambda: (bowl_shape,),
    l01.e1_5: lambda: ("c",),
    l01.e1_6: lambda: (mse_grid,),
    l01.e1_7: lambda: ("c",),
    l02.e2_1: lambda: (batch_minimizer,),
    l02.e2_2: lambda: (batch_minima,),
    l02.e2_3: lambda: ("c",),
    l02.e2_4: lambda: (batch_gradient_cov,),
    l02.e2_5: lambda: (" C ",),
    l02.e2_6: lambda: (smallest_batch_size,),
}


def test_every_exercise_of_the_three_modules_is_covered():
    found = {getattr(m, n) for m in (l00, l01, l02) for n in m.__all__ if n != "progress"}
    assert found == set(SOLUTIONS)
    assert all(callable(m.progress) for m in (l00, l01, l02))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("exercise", list(SOLUTIONS), ids=lambda e: e.id)
def test_the_solution_is_correct_for_every_seed(exercise, seed):
    status, message = exercise.verdict(*SOLUTIONS[exercise](), seed=seed)
    assert status == CORRECT, message


@pytest.mark.parametrize("exercise", list(SOLUTIONS), ids=lambda e: e.id)
def test_a_placeholder_is_not_attempted(exercise):
    n = len(SOLUTIONS[exercise]())
    assert exercise.verdict(*([...] * n))[0] == NOT_ATTEMPTED


def _wrong(exercise, *answers, seed=0):
    status, message = exercise.verdict(*answers, seed=seed)
    assert status == WRONG, (status, message)
    return message


def test_wrong_answers_get_their_teaching_message():
    value, points, losses = _post_answers()
    assert "values[i1, i2]" in _wrong(l00.e0_1, np.array([value, value]))
    assert "the grid's best point" in _wrong(l00.e0_2, points[::-1], losses)
    assert "(a) is not right" in _wrong(l00.e0_3, "a")
    assert "sum, not the mean" in _wrong(l01.e1_1, lambda W, X, y: batch_loss(W, X, y) / len(y))
    assert "swapped" in _wrong(l01.e1_2, lambda p, a, b: post_point_to_index(p, a, b)[::-1])
    assert "eigenvalues themselves" in _wrong(
        l01.e1_4, lambda X: (bowl_shape(X)[1], bowl_shape(X)[1])
    )
    assert "divide by the number of samples" in _wrong(
        l01.e1_6, lambda g, X, y: mse_grid(g, X, y) * len(y)
    )
    assert "wrong order" in _wrong(l01.e1_6, lambda g, X, y: mse_grid(g, X, y).T.reshape(g.shape))
    assert "Newton" in _wrong(l01.e1_7, "d")
    assert "np.linalg.solve" in _wrong(
        l02.e2_1, lambda X_B, y_B: np.linalg.lstsq(X_B[:1], y_B[:1], rcond=None)[0]
    )
    assert "divide by N, not N - 1" in _wrong(
        l02.e2_4, lambda X, y, w, b: batch_gradient_cov(X, y, w, b) * len(y) / (len(y) - 1)
    )
    assert "should return an int" in _wrong(
        l02.e2_6, lambda X, y, t: float(smallest_batch_size(X, y, t))
    )
    assert "(b) is not right" in _wrong(l02.e2_5, "b")


@pytest.mark.parametrize(
    "looping",
    [
        lambda W, X, y: np.array([np.sum((y - X @ w) ** 2) for w in W]),
        lambda W, X, y: np.array([np.sum((y - X @ w) ** 2) for w in np.asarray(W).tolist()]),
        lambda W, X, y: np.apply_along_axis(lambda w: np.sum((y - X @ w) ** 2), 1, W),
        lambda W, X, y: np.fromiter(map(lambda w: float(np.sum((y - X @ w) ** 2)), W), float),
    ],
    ids=["comprehension", "tolist", "apply_along_axis", "map"],
)
def test_a_loop_over_the_rows_of_W_is_caught_whatever_its_form(looping):
    message = _wrong(l01.e1_1, looping)
    assert "loops over the rows of W" in message


def test_a_plain_for_loop_is_caught_and_a_column_loop_is_not():
    def rows(W, X, y):
        out = np.empty(len(W))
        for k in range(len(W)):
            r = y - X @ W[k]
            out[k] = r @ r
        return out

    def columns(W, X, y):  # loops over the D parameters, not the rows: allowed
        P = np.zeros((len(W), len(y)))
        for d in range(X.shape[1]):
            P += W[:, d : d + 1] * X[:, d][None, :]
        R = y[None, :] - P
        return (R * R).sum(axis=1)

    assert "loops over the rows of W" in _wrong(l01.e1_1, rows)
    assert l01.e1_1.verdict(columns)[0] == CORRECT


def test_grading_seeds_change_the_inputs():
    a, b = l01.e1_1.make_inputs(0), l01.e1_1.make_inputs(1)
    assert not np.allclose(a["rows"], b["rows"])
    assert not np.allclose(l02.e2_2.make_inputs(0)["y"], l02.e2_2.make_inputs(1)["y"])


def test_no_plain_text_choice_key_in_the_check_modules():
    import inspect

    for module in (l00, l01, l02):
        source = inspect.getsource(module)
        assert 'expect_choice(answer, "' not in source.replace("\n", " ")
        assert source.count("sha256:") >= 1


def _helper_sum_of_squares(R):
    return (R * R).sum(axis=1)


class _CallableAnswer:
    def __call__(self, W, X, y):
        return _helper_sum_of_squares(y - W @ X.T)


def _in_chunks(W, X, y):  # a loop over a few chunks of rows (memory-bounded): not per row
    out = []
    for s in range(0, len(W), 128):
        R = y - W[s : s + 128] @ X.T
        out.append((R**2).sum(axis=1))
    return np.concatenate(out)


@pytest.mark.parametrize(
    "vectorized",
    [
        lambda W, X, y: _helper_sum_of_squares(y[None, :] - W @ X.T),
        lambda W, X, y: ((y - np.einsum("nd,md->nm", W, X)) ** 2).sum(axis=1),
        lambda W, X, y: ((y - sum([W[:, [d]] * X[:, d] for d in range(X.shape[1])])) ** 2).sum(1),
        lambda W, X, y: np.linalg.norm(y - W @ X.T, axis=1) ** 2,
        lambda W, X, y: loss_from_stats(W, X.T @ X, X.T @ y, y @ y),
        _in_chunks,
        _CallableAnswer(),
    ],
    ids=["helper", "einsum", "list-of-columns", "norm", "sufficient-stats", "chunks", "class"],
)
@pytest.mark.parametrize("seed", [0, 3])
def test_a_vectorized_answer_is_never_flagged_as_a_loop(vectorized, seed):
    status, message = l01.e1_1.verdict(vectorized, seed=seed)
    assert status == CORRECT, message


def test_printing_arrays_while_debugging_is_not_a_loop(capsys):
    def prints(W, X, y):
        R = y[None, :] - W @ X.T
        print("W =", W, "R =", R, f"{R.shape}")
        return (R * R).sum(axis=1)

    status, message = l01.e1_1.verdict(prints)
    assert status == CORRECT, message


def test_loops_through_numpy_python_code_or_while_are_caught():
    def with_while(W, X, y):
        out, k = np.empty(len(W)), 0
        while k < len(W):
            r = y - X @ W[k]
            out[k] = r @ r
            k += 1
        return out

    def map_norm(W, X, y):  # the loop body is numpy's Python code (np.linalg.norm)
        return np.array(list(map(np.linalg.norm, y - W @ X.T))) ** 2

    def vectorized_rows(W, X, y):
        f = np.vectorize(lambda w: float(np.sum((y - X @ w) ** 2)), signature="(d)->()")
        return f(W)

    def along_axis_numpy(W, X, y):  # numpy's Python loop calling a numpy function per row
        return np.apply_along_axis(np.sum, 1, (y - W @ X.T) ** 2)

    def map_dot(W, X, y):
        R = y - W @ X.T
        return np.fromiter(map(np.dot, R, R), float)

    for looping in (with_while, map_norm, vectorized_rows, along_axis_numpy, map_dot):
        assert "loops over the rows of W" in _wrong(l01.e1_1, looping)


def test_an_answer_that_only_handles_two_parameters_is_told_about_D():
    def two_columns_only(W, X, y):
        w1, w2 = W.T
        return ((y[None, :] - np.outer(w1, X[:, 0]) - w2[:, None] * X[:, 1]) ** 2).sum(axis=1)

    message = _wrong(l01.e1_1, two_columns_only)
    assert "3 parameters" in message and "any number of parameters D" in message


def test_the_notes_of_1_4_and_1_7_do_not_give_away_other_answers():
    note_1_4 = l01.e1_4.verdict(bowl_shape)[1]
    assert "y moves" not in note_1_4 and "X only" not in note_1_4  # that is 1.5's answer
    assert "multiplied by at most" in l01.e1_7.verdict("c")[1]
