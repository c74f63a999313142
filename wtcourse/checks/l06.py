"""Checks for lesson 06 · Momentum on the batch bowl.

Each check is a probe (runs in the learner's kernel, returns plain data) and a judgement
(pure, references computed with :func:`gridlib.heavy_ball` and
:func:`gridlib.tuned_parameters`). Inputs are drawn from the seed the caller gives (0 in a
learner's notebook, others when grading), so an answer that hard-codes the notebook's
numbers does not pass.
"""

from __future__ import annotations

import numpy as np

import gridlib
from wtcourse import checking
from wtcourse.checking import Exercise, call, expect_choice, expect_close, expect_shape

__all__ = ["e6_1", "e6_2", "e6_3", "progress"]


def progress():
    """This lesson's verdicts in this kernel session (the lesson's last cell)."""
    return checking.progress(__name__)


# -------------------------------------------------------------------------------- 6.1
e6_1 = Exercise("6.1", "heavy_ball(grad, starts, lr, beta, steps) for many starts at once")
STEPS_6_1 = 25


@e6_1.inputs
def _(rng):
    D = int(rng.integers(2, 5))
    A = rng.normal(size=(D, D))
    H = A @ A.T + np.eye(D)  # a rotated bowl, gradient W @ H
    lam_max = float(np.linalg.eigvalsh(H).max())
    beta = float(rng.uniform(0.5, 0.9))
    return {
        "H": H,
        "starts": rng.normal(size=(int(rng.integers(3, 7)), D)),
        "lr": float(rng.uniform(0.2, 0.8)) * (1 + beta) / lam_max,  # stable: < 2 (1 + beta) / lam
        "beta": beta,
    }


@e6_1.probe
def _(heavy_ball, *, H, starts, lr, beta):
    H = np.asarray(H)
    return call(heavy_ball, lambda W: W @ H, np.array(starts), lr, beta, STEPS_6_1)


@e6_1.judge
def _(path, *, H, starts, lr, beta):
    H, starts = np.asarray(H), np.asarray(starts)
    expected = gridlib.heavy_ball(lambda W: W @ H, starts, lr, beta, STEPS_6_1)
    what = f"heavy_ball(grad, starts, lr, beta, {STEPS_6_1})"
    if np.shape(path) == expected[1:].shape:
        raise AssertionError(
            f"{what}: expected shape {expected.shape}, got {np.shape(path)} — return the whole "
            "trajectory with the starts as its first row: shape (steps + 1, n_starts, D)."
        )
    got = expect_shape(path, expected.shape, what)
    hint = "the velocity starts at 0; update it first, v = beta * v - lr * grad(w), then w = w + v"
    if np.allclose(got, gridlib.gradient_descent(lambda W: W @ H, starts, lr, STEPS_6_1)):
        hint = "this is plain gradient descent: the velocity v must carry beta * v into each step"
    expect_close(got, expected, what, rtol=1e-9, atol=1e-12, hint=hint)
    return "gradient descent's update plus a velocity that remembers the previous steps."


# -------------------------------------------------------------------------------- 6.2
e6_2 = Exercise("6.2", "tune(eigenvalues): the best fixed parameters from the spectrum")


@e6_2.inputs
def _(rng):
    spectra = []
    for D, log_kappa in [(2, 1.0), (3, 2.5), (5, 4.0), (4, float(rng.uniform(0.5, 3.5)))]:
        lo = float(np.exp(rng.uniform(-2, 2)))
        inner = lo * np.exp(rng.uniform(0, log_kappa * np.log(10), size=D - 2))
        spectra.append(rng.permutation(np.concatenate([[lo, lo * 10**log_kappa], inner])))
    return {"spectra": spectra}


@e6_2.probe
def _(tune, *, spectra):
    return [call(tune, np.array(lam)) for lam in spectra]


def _mistaken(lo: float, hi: float) -> list[float]:
    """What the formulas give when ``lo`` and ``hi`` are taken as the extremes (maybe wrongly)."""
    rate = (np.sqrt(hi / lo) - 1) / (np.sqrt(hi / lo) + 1)
    return [2 / (lo + hi), 4 / (np.sqrt(hi) + np.sqrt(lo)) ** 2, rate**2]


@e6_2.judge
def _(got, *, spectra):
    what = "tune(eigenvalues)"
    for lam, value in zip(spectra, got, strict=True):
        if isinstance(value, np.ndarray) and value.shape == (3,):
            value = value.tolist()
        if not (isinstance(value, list) and len(value) == 3):
            size = f" of {len(value)}" if isinstance(value, list) else ""
            raise AssertionError(
                f"{what} should return three numbers (lr_gd, lr_hb, beta), "
                f"got a {type(value).__name__}{size}"
            )
        lam = np.asarray(lam)
        t = gridlib.tuned_parameters(lam)
        arr = expect_shape(np.asarray(value, dtype=float), (3,), what)
        case = f"{what} for eigenvalues {np.round(lam, 4).tolist()}"
        if np.allclose(arr, [t.lr_gd, t.lr_hb, t.beta_hb], rtol=1e-9, atol=0):
            continue
        if np.allclose(arr, _mistaken(float(lam[0]), float(lam[-1])), rtol=1e-9, atol=0):
            raise AssertionError(
                f"{case}: you used the first and last eigenvalues; they come in any order, "
                "use their min() and max()."
            )
        expect_close(
            arr[0],
            t.lr_gd,
            f"{case}: lr_gd",
            rtol=1e-9,
            hint="gradient descent's best step is 2 / (lambda_min + lambda_max).",
        )
        beta_hint = "beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))**2, kappa = max / min."
        if np.isclose(arr[2], t.rate_hb, rtol=1e-9):
            beta_hint = "that is the rate sqrt(beta); beta is its square."
        expect_close(arr[2], t.beta_hb, f"{case}: beta", rtol=1e-9, hint=beta_hint)
        expect_close(
            arr[1],
            t.lr_hb,
            f"{case}: lr_hb",
            rtol=1e-9,
            hint="heavy ball's step is 4 / (sqrt(lambda_max) + sqrt(lambda_min))**2.",
        )
    return "both come from the two extreme eigenvalues only; the ones in between do not matter."


# -------------------------------------------------------------------------------- 6.3
#: choice_key("6.3", letter) of the right letter, from `python -m wtcourse key 6.3 LETTER`.
KEY_6_3 = "sha256:4664131618ba71833059e888f4065c0e26ea41a8df96e7e6af2187167ffc184a"
CHOICES_6_3 = {
    "a": "No: momentum changes the factor per step from (kappa - 1) / (kappa + 1), about "
    "1 - 2 / kappa, to about (sqrt(kappa) - 1) / (sqrt(kappa) + 1), about 1 - 2 / sqrt(kappa): "
    "its step count grows like sqrt(kappa). The sweep below measures both.",
    "b": "Yes: the steps are about ln(1e6) / (2 / kappa) for gradient descent and about "
    "ln(1e6) / (2 / sqrt(kappa)) for heavy ball; the sweep below fits both slopes.",
    "c": "No: heavy ball's factor (sqrt(kappa) - 1) / (sqrt(kappa) + 1) still approaches 1 as "
    "kappa grows; it depends on kappa, only more weakly than gradient descent's.",
    "d": "No: that is the wrong way round; heavy ball is the faster one on a narrow bowl, "
    "because sqrt(kappa) < kappa.",
}
e6_3 = Exercise("6.3", "predict before you run: steps against the condition number")


@e6_3.judge
def _(answer):
    return expect_choice(answer, KEY_6_3, CHOICES_6_3, "answer_6_3")
