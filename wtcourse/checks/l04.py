"""Self-checks for lesson 04 · The matrix-gradient identity.

Each check is a probe (runs in the learner's kernel, returns plain data) and a judgement
(pure; references computed here from the seeded inputs). Nothing is hard-coded but the
hashed multiple-choice keys; a common mistake gets a message that names it.
"""

from __future__ import annotations

import numpy as np

from gridlib import numerical_gradient, post_example
from wtcourse import checking
from wtcourse.checking import Exercise, call, expect_choice, expect_close, expect_shape

__all__ = ["e4_1", "e4_2", "e4_3", "e4_4", "e4_5", "e4_6", "e4_7", "progress"]


def progress():
    """This lesson's verdicts in this kernel session (the lesson's last cell)."""
    return checking.progress(__name__)


def _close(a, b, rtol: float = 1e-8) -> bool:
    """True if the learner's array `a` equals `b` (used to recognize a common mistake)."""
    a = np.asarray(a, dtype=float)
    return a.shape == np.shape(b) and bool(np.allclose(a, b, rtol=rtol, atol=1e-12))


# -------------------------------------------------------------------------------- 4.1
e4_1 = Exercise("4.1", "multiple choice: the denominator-layout gradient of uᵀAv")


@e4_1.judge
def _(answer):
    return expect_choice(
        answer,
        "sha256:1b3d43c8b17e092bf9145f53a155427ae9b5629353e5e2976f20057925b9be82",
        {
            "a": "those are the right numbers, but uᵀA J_v + vᵀAᵀ J_u is a 1×5 row: it is the "
            "numerator-layout derivative. The column is its transpose.",
            "b": "transposing the row reverses each product and transposes each factor: "
            "(uᵀA J_v)ᵀ = J_vᵀ Aᵀ u and (vᵀAᵀ J_u)ᵀ = J_uᵀ A v.",
            "c": "write the shapes: A is 3×4, so A u needs u in R⁴, but u is in R³. Transposing "
            "(uᵀA J_v) gives J_vᵀ Aᵀ u — A gets transposed too.",
            "d": "J_v is 4×5 and Aᵀu is 4×1, so J_v (Aᵀu) does not conform. The Jacobians must be "
            "transposed to carry the result back to x-space (R⁵).",
        },
        "answer_4_1",
    )


# -------------------------------------------------------------------------------- 4.2
e4_2 = Exercise("4.2", "quad_grad(A, x): the gradient of xᵀAx, A not symmetric")


@e4_2.inputs
def _(rng):
    return {"cases": [[rng.standard_normal((n, n)), rng.standard_normal(n)] for n in (3, 5)]}


@e4_2.probe
def _(quad_grad, *, cases):
    return [np.asarray(call(quad_grad, np.array(A), np.array(x))) for A, x in cases]


@e4_2.judge
def _(got, *, cases):
    for answer, (A, x) in zip(got, cases, strict=True):
        A, x = np.asarray(A), np.asarray(x)
        n = len(x)
        if np.shape(answer) in ((1, n), (n, 1)):
            raise AssertionError(
                f"quad_grad returned a 2-D array of shape {np.shape(answer)}; in code the "
                "1 × n row is stored as a 1-D array of shape (n,) (try `.ravel()`)."
            )
        answer = expect_shape(answer, (n,), f"quad_grad(A, x) with n={n}")
        if _close(answer, 2 * A @ x) or _close(answer, 2 * A.T @ x):
            raise AssertionError(
                "2Ax (or 2Aᵀx) is the gradient only when A is symmetric; this A is "
                "not. Hint: ∂(xᵀAx)/∂x = xᵀA + xᵀAᵀ."
            )
        if _close(answer, A @ x) or _close(answer, A.T @ x):
            raise AssertionError(
                "x appears twice in xᵀAx: the product rule gives two terms, "
                "xᵀA (from the right x) and xᵀAᵀ (from the left x)."
            )
        expect_close(
            answer,
            (A + A.T) @ x,
            f"quad_grad(A, x) with n={n}",
            rtol=1e-8,
            hint="use u = v = x in the identity: ∂(xᵀAx)/∂x = xᵀ(A + Aᵀ).",
        )


# -------------------------------------------------------------------------------- 4.3
e4_3 = Exercise(
    "4.3", "passes_gradient_check(f, grad, x): relative error, right and wrong gradients"
)

# (description, scale of f, how grad is made from the right gradient g, expected verdict)
_CASES_4_3 = [
    ("xᵀBx with the right gradient (B + Bᵀ)x", 1.0, "right", True),
    ("sum(sin x) + ½xᵀx with the right gradient cos x + x", 1.0, "sin", True),
    ("xᵀBx with the symmetric-matrix formula 2Bx (wrong: B is not symmetric)", 1.0, "sym", False),
    ("xᵀBx with a gradient 0.1% too large", 1.0, "big", False),
    ("sum(sin x) + ½xᵀx with the sign of the cos term flipped", 1.0, "sin-flip", False),
    (
        "10⁶·xᵀBx with its right gradient (large values: an absolute error of 1e-6 is round-off here)",
        1e6,
        "right",
        True,
    ),
    (
        "10⁻⁸·xᵀBx with a gradient 10% too large (tiny values: the absolute error is below 1e-6)",
        1e-8,
        "ten",
        False,
    ),
]


def _case_4_3(B: np.ndarray, scale: float, kind: str):
    if kind.startswith("sin"):
        sign = -1.0 if kind == "sin-flip" else 1.0
        return (lambda z: np.sum(np.sin(z)) + 0.5 * np.sum(z**2)), (lambda z: sign * np.cos(z) + z)
    factor = {"right": 1.0, "big": 1.001, "ten": 1.1}.get(kind, 1.0)

    def f(z):
        return scale * (z @ B @ z)

    if kind == "sym":
        return f, (lambda z: scale * 2 * B @ z)
    return f, (lambda z: factor * scale * (B + B.T) @ z)


@e4_3.inputs
def _(rng):
    return {"B": rng.standard_normal((4, 4)), "x": rng.standard_normal(4)}


@e4_3.probe
def _(passes_gradient_check, *, B, x):
    out = []
    for _, scale, kind, _ in _CASES_4_3:
        f, grad = _case_4_3(np.asarray(B), scale, kind)
        verdict = call(passes_gradient_check, f, grad, np.array(x))
        if not isinstance(verdict, (bool, np.bool_)):
            raise AssertionError(
                f"passes_gradient_check should return True or False, got "
                f"{type(verdict).__name__} {verdict!r}."
            )
        out.append(bool(verdict))
    return out


@e4_3.judge
def _(got, *, B, x):
    if not (isinstance(got, list) and len(got) == len(_CASES_4_3)):
        raise AssertionError("passes_gradient_check should return True or False for every case")
    for verdict, (what, scale, _, expected) in zip(got, _CASES_4_3, strict=True):
        if verdict != expected:
            how = "rejected a correct" if expected else "accepted a wrong"
            extra = ""
            if scale != 1.0:
                extra = (
                    " The error must be RELATIVE, ‖a − n‖ / max(‖a‖, ‖n‖): an absolute threshold "
                    "fails for gradients that are very large or very small."
                )
            raise AssertionError(
                f"it {how} gradient: {what}.{extra} Hint: compare grad(x) with central differences "
                "(f(x + h e_k) − f(x − h e_k)) / 2h, h = 1e-6, through the relative error "
                "‖a − n‖ / max(‖a‖, ‖n‖), and return whether it is below rtol."
            )


# -------------------------------------------------------------------------------- 4.4
e4_4 = Exercise("4.4", "ridge_gradient with an unpenalized intercept")


@e4_4.inputs
def _(rng):
    ex = post_example()
    X2 = np.column_stack([rng.standard_normal((12, 2)), np.ones(12)])
    return {
        "cases": [
            ["the post's data, lam=10", rng.normal(size=2) * 3, ex.X, ex.y, 10.0],
            ["random data, lam=0.5", rng.standard_normal(3), X2, rng.standard_normal(12), 0.5],
        ]
    }


@e4_4.probe
def _(ridge_gradient, *, cases):
    return [
        np.asarray(call(ridge_gradient, np.array(w), np.array(X), np.array(y), lam))
        for _, w, X, y, lam in cases
    ]


@e4_4.judge
def _(got, *, cases):
    for answer, (what, w, X, y, lam) in zip(got, cases, strict=True):
        w, X, y = np.asarray(w), np.asarray(X), np.asarray(y)
        r = y - X @ w
        pen = np.r_[np.ones(len(w) - 1), 0.0]
        expected = -2 * X.T @ r + 2 * lam * pen * w
        answer = expect_shape(answer, w.shape, f"ridge_gradient ({what})")
        if _close(answer, -2 * X.T @ r + 2 * lam * w):
            raise AssertionError(
                f"({what}) that penalizes the intercept too: the last entry of w multiplies "
                "the column of ones and must not be penalized (the penalty is w ᵀ(λP)w with "
                "P = diag(1, …, 1, 0))."
            )
        if _close(answer, -2 * X.T @ r + lam * pen * w):
            raise AssertionError(
                f"({what}) the penalty term is off by a factor 2: wᵀ(λP)w is a quadratic "
                "form, so its derivative is 2λPw."
            )
        if _close(answer, 2 * X.T @ r + 2 * lam * pen * w):
            raise AssertionError(
                f"({what}) the data term has the wrong sign: ∂(y − Xw)/∂w = −X, "
                "so the gradient is −2Xᵀ(y − Xw) + 2λPw."
            )
        expect_close(
            answer,
            expected,
            f"ridge_gradient ({what})",
            rtol=1e-8,
            hint="∇L = −2Xᵀ(y − Xw) + 2λPw with P = diag(1, …, 1, 0).",
        )
    _, w, X, y, lam = cases[1]
    w, X, y = np.asarray(w), np.asarray(X), np.asarray(y)
    numeric = numerical_gradient(lambda v: np.sum((y - X @ v) ** 2) + lam * np.sum(v[:-1] ** 2), w)
    expect_close(got[1], numeric, "ridge_gradient vs central differences", rtol=1e-6, atol=1e-6)


# -------------------------------------------------------------------------------- 4.5
e4_5 = Exercise("4.5", "weighted_gradient for a non-symmetric Ω")


@e4_5.inputs
def _(rng):
    X, y, w = rng.standard_normal((10, 3)), rng.standard_normal(10), rng.standard_normal(3)
    G = rng.standard_normal((10, 10))
    return {
        "X": X,
        "y": y,
        "w": w,
        "cases": [
            ["a non-symmetric Ω", G / 3 + np.eye(10)],
            ["a symmetric positive-definite Ω", G @ G.T / 10 + np.eye(10)],
        ],
    }


@e4_5.probe
def _(weighted_gradient, *, X, y, w, cases):
    return [
        np.asarray(call(weighted_gradient, np.array(w), np.array(X), np.array(y), np.array(Omega)))
        for _, Omega in cases
    ]


@e4_5.judge
def _(got, *, X, y, w, cases):
    X, y, w = np.asarray(X), np.asarray(y), np.asarray(w)
    r = y - X @ w
    for answer, (what, Omega) in zip(got, cases, strict=True):
        Omega = np.asarray(Omega)
        expected = -X.T @ (Omega + Omega.T) @ r
        answer = expect_shape(answer, w.shape, f"weighted_gradient with {what}")
        if not np.allclose(Omega, Omega.T) and (
            _close(answer, -2 * X.T @ Omega @ r) or _close(answer, -2 * X.T @ Omega.T @ r)
        ):
            raise AssertionError(
                f"(with {what}) −2XᵀΩ(y − Xw) holds only for a symmetric Ω: the identity "
                "gives two terms, −Xᵀ(Ω + Ωᵀ)(y − Xw)."
            )
        if _close(answer, 0.5 * expected):
            raise AssertionError(
                f"(with {what}) off by a factor 2: the residual appears twice, so the "
                "identity gives two terms."
            )
        if _close(answer, -2 * X.T @ r):
            raise AssertionError(
                f"(with {what}) that is the unweighted gradient: Ω must sit between "
                "Xᵀ and the residual."
            )
        expect_close(
            answer,
            expected,
            f"weighted_gradient with {what}",
            rtol=1e-8,
            hint="u = v = y − Xw and A = Ω in the identity: ∇L = −Xᵀ(Ω + Ωᵀ)(y − Xw).",
        )


# -------------------------------------------------------------------------------- 4.6
e4_6 = Exercise("4.6", "predict before you run: the step limit of the mean")


@e4_6.judge
def _(answer):
    return expect_choice(
        answer,
        "sha256:e9626a83e3c8f5908ebd88440ae0e7254995991194744da4545d41b36ed4d2e4",
        {
            "a": "the minimizer does not move, but the curvature does: H = (2/N)XᵀX is N times smaller, and the "
            "step limit 2/λ_max is set by the curvature, not by where the minimum is.",
            "b": "Yes: dividing the loss by N divides the Hessian, and its largest eigenvalue, by N, so the limit "
            "2/λ_max is N = 45 times larger — and the iterates with η = 1/λ_max are identical.",
            "c": "the other way round: a flatter loss (divided by N) tolerates LARGER steps, since the error along "
            "each eigenvector is multiplied by 1 − ηλ.",
            "d": "the Hessian scales with the constant in front of the loss itself, 1/N, not with its square root.",
        },
        "answer_4_6",
    )


# -------------------------------------------------------------------------------- 4.7
e4_7 = Exercise("4.7", "critical_lr(X, lam): 2 / λ_max of the ridge Hessian")


@e4_7.inputs
def _(rng):
    ex = post_example()
    X2 = rng.standard_normal((20, 3)) * np.array([1.0, 5.0, 0.2])
    return {
        "cases": [
            ["the post's X, lam=0", ex.X, 0.0],
            ["the post's X, lam=50", ex.X, 50.0],
            ["a random X, lam=2", X2, float(rng.uniform(1.0, 3.0))],
        ]
    }


@e4_7.probe
def _(critical_lr, *, cases):
    out = []
    for _, X, lam in cases:
        value = np.asarray(call(critical_lr, np.array(X), lam), dtype=float)
        out.append(float(value) if value.ndim == 0 else value)
    return out


@e4_7.judge
def _(got, *, cases):
    for answer, (what, X, lam) in zip(got, cases, strict=True):
        X = np.asarray(X)
        H = 2 * (X.T @ X + lam * np.eye(X.shape[1]))
        eig = np.linalg.eigvalsh(H)
        if np.ndim(answer) != 0:
            raise AssertionError(
                f"critical_lr ({what}) should return one number, got an array of shape "
                f"{np.shape(answer)}: pick the largest eigenvalue, e.g. eigvalsh(H)[-1]."
            )
        if _close(answer, 4.0 / eig[-1]):
            raise AssertionError(
                f"({what}) twice too large: the Hessian of the sum of squares is "
                "2(XᵀX + λI), not XᵀX + λI."
            )
        if _close(answer, 1.0 / eig[-1]):
            raise AssertionError(
                f"({what}) half the answer: the error along an eigenvector is "
                "multiplied by (1 − lr·λ) each step, which stays in (−1, 1) up to lr = 2/λ."
            )
        if _close(answer, 2.0 / eig[0]):
            raise AssertionError(
                f"({what}) that uses the smallest eigenvalue; the stiffest direction "
                "(largest eigenvalue) is the one that blows up first."
            )
        expect_close(
            answer,
            2.0 / eig[-1],
            f"critical_lr ({what})",
            rtol=1e-8,
            hint="lr_crit = 2 / λ_max(H), with H = 2(XᵀX + λI) and np.linalg.eigvalsh.",
        )
