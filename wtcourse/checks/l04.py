"""Self-checks for lesson 04 · The matrix-gradient identity.

Every reference is computed here, at check time, from seeded data; nothing is
hard-coded except the multiple-choice letter.
"""
from __future__ import annotations

import numpy as np

from gridlib import numerical_gradient, post_example
from wtcourse.checking import call, exercise, expect_choice, expect_close, expect_shape

__all__ = ["e4_1", "e4_2", "e4_3", "e4_4", "e4_5", "e4_6"]


def _close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-8) -> bool:
    """True if the learner's array `a` equals `b` (used to recognize a common mistake)."""
    a = np.asarray(a, dtype=float)
    return a.shape == np.shape(b) and bool(np.allclose(a, b, rtol=rtol, atol=1e-12))


@exercise("4.1")
def e4_1(answer):
    """Multiple choice: the denominator-layout (column) gradient of u^T A v."""
    return expect_choice(answer, "b", {
        "a": "those are the right numbers, but uᵀA J_v + vᵀAᵀ J_u is a 1×5 row: it is the "
             "numerator-layout derivative. The column is its transpose.",
        "b": "transposing the row reverses each product and transposes each factor: "
             "(uᵀA J_v)ᵀ = J_vᵀ Aᵀ u and (vᵀAᵀ J_u)ᵀ = J_uᵀ A v.",
        "c": "write the shapes: A is 3×4, so A u needs u in R⁴, but u is in R³. Transposing "
             "(uᵀA J_v) gives J_vᵀ Aᵀ u — A gets transposed too.",
        "d": "J_v is 4×5 and Aᵀu is 4×1, so J_v (Aᵀu) does not conform. The Jacobians must be "
             "transposed to carry the result back to x-space (R⁵).",
    })


@exercise("4.2")
def e4_2(quad_grad):
    """quad_grad(A, x) -> (n,): the gradient of x^T A x for a non-symmetric A."""
    rng = np.random.default_rng(402)
    for n in (3, 5):
        A = rng.standard_normal((n, n))
        x = rng.standard_normal(n)
        expected = (A + A.T) @ x
        got = call(quad_grad, A.copy(), x.copy())
        if np.shape(got) in ((1, n), (n, 1)):
            raise AssertionError(f"quad_grad returned a 2-D array of shape {np.shape(got)}; in code the "
                                 "1 × n row is stored as a 1-D array of shape (n,) (try `.ravel()`).")
        got = expect_shape(got, (n,), f"quad_grad(A, x) with n={n}")
        if _close(got, 2 * A @ x) or _close(got, 2 * A.T @ x):
            raise AssertionError("2Ax (or 2Aᵀx) is the gradient only when A is symmetric; this A is "
                                 "not. Hint: ∂(xᵀAx)/∂x = xᵀA + xᵀAᵀ.")
        if _close(got, A @ x) or _close(got, A.T @ x):
            raise AssertionError("x appears twice in xᵀAx: the product rule gives two terms, "
                                 "xᵀA (from the right x) and xᵀAᵀ (from the left x).")
        expect_close(got, expected, f"quad_grad(A, x) with n={n}", rtol=1e-8,
                     hint="use u = v = x in the identity: ∂(xᵀAx)/∂x = xᵀ(A + Aᵀ).")


@exercise("4.3")
def e4_3(passes_gradient_check):
    """passes_gradient_check(f, grad, x) -> bool: accepts right gradients, catches wrong ones."""
    rng = np.random.default_rng(403)
    B = rng.standard_normal((4, 4))
    x = rng.standard_normal(4)

    def quadratic(z):
        return z @ B @ z

    def smooth(z):
        return np.sum(np.sin(z)) + 0.5 * np.sum(z**2)

    cases = [
        ("xᵀBx with the right gradient (B + Bᵀ)x", quadratic, lambda z: (B + B.T) @ z, True),
        ("sum(sin x) + ½xᵀx with the right gradient cos x + x", smooth,
         lambda z: np.cos(z) + z, True),
        ("xᵀBx with the symmetric-matrix formula 2Bx (wrong: B is not symmetric)", quadratic,
         lambda z: 2 * B @ z, False),
        ("xᵀBx with a gradient 0.1% too large", quadratic, lambda z: 1.001 * (B + B.T) @ z, False),
        ("sum(sin x) + ½xᵀx with the sign of the cos term flipped", smooth,
         lambda z: -np.cos(z) + z, False),
    ]
    for what, f, grad, expected in cases:
        got = call(passes_gradient_check, f, grad, x.copy())
        if not isinstance(got, (bool, np.bool_)):
            raise AssertionError(f"passes_gradient_check should return True or False, got "
                                 f"{type(got).__name__} {got!r}.")
        if bool(got) != expected:
            verdict = "rejected a correct" if expected else "accepted a wrong"
            raise AssertionError(
                f"it {verdict} gradient: {what}. Hint: compare grad(x) with central differences "
                "(f(x + h e_k) − f(x − h e_k)) / 2h, h = 1e-6, through the relative error "
                "‖a − n‖ / max(‖a‖, ‖n‖), and return whether it is below rtol.")


def _ls_case(rng: np.random.Generator, n_samples: int = 12, n_params: int = 3):
    X = rng.standard_normal((n_samples, n_params))
    y = rng.standard_normal(n_samples)
    w = rng.standard_normal(n_params)
    return X, y, w


@exercise("4.4")
def e4_4(ridge_gradient):
    """ridge_gradient(w, X, y, lam) -> (D,): gradient of ||y - Xw||^2 + lam w^T w."""
    ex = post_example()
    rng = np.random.default_rng(404)
    X2, y2, w2 = _ls_case(rng)
    for what, (w, X, y, lam) in [("the post's data, lam=10", (np.array([1.0, -2.0]), ex.X, ex.y, 10.0)),
                                 ("random data, lam=0.5", (w2, X2, y2, 0.5))]:
        r = y - X @ w
        expected = -2 * X.T @ r + 2 * lam * w
        got = expect_shape(call(ridge_gradient, w.copy(), X.copy(), y.copy(), lam),
                           w.shape, f"ridge_gradient ({what})")
        if _close(got, -2 * X.T @ r + lam * w):
            raise AssertionError(f"({what}) the penalty term is off by a factor 2: λwᵀw is xᵀAx with "
                                 "A = λI, so its derivative is 2λwᵀ.")
        if _close(got, 2 * X.T @ r + 2 * lam * w):
            raise AssertionError(f"({what}) the data term has the wrong sign: ∂(y − Xw)/∂w = −X, "
                                 "so the gradient is −2Xᵀ(y − Xw) + 2λw.")
        expect_close(got, expected, f"ridge_gradient ({what})", rtol=1e-8,
                     hint="∇L = −2Xᵀ(y − Xw) + 2λw.")
    check = numerical_gradient(lambda v: np.sum((y2 - X2 @ v) ** 2) + 0.5 * v @ v, w2)
    expect_close(call(ridge_gradient, w2.copy(), X2.copy(), y2.copy(), 0.5), check,
                 "ridge_gradient vs central differences", rtol=1e-6, atol=1e-6)


@exercise("4.5")
def e4_5(weighted_gradient):
    """weighted_gradient(w, X, y, Omega) -> (D,): gradient of (y - Xw)^T Omega (y - Xw)."""
    rng = np.random.default_rng(405)
    X, y, w = _ls_case(rng, n_samples=10, n_params=3)
    G = rng.standard_normal((10, 10))
    cases = [("a diagonal Ω", np.diag(rng.uniform(0.2, 2.0, 10))),
             ("a full symmetric positive-definite Ω", G @ G.T / 10 + np.eye(10))]
    for what, Omega in cases:
        r = y - X @ w
        expected = -2 * X.T @ Omega @ r
        got = expect_shape(call(weighted_gradient, w.copy(), X.copy(), y.copy(), Omega.copy()),
                           w.shape, f"weighted_gradient with {what}")
        if _close(got, -X.T @ Omega @ r):
            raise AssertionError(f"(with {what}) off by a factor 2: the residual appears twice, "
                                 "so the identity gives two equal terms (Ω is symmetric).")
        if _close(got, -2 * X.T @ r):
            raise AssertionError(f"(with {what}) that is the unweighted gradient: Ω must sit between "
                                 "Xᵀ and the residual, −2XᵀΩ(y − Xw).")
        expect_close(got, expected, f"weighted_gradient with {what}", rtol=1e-8,
                     hint="u = v = y − Xw and A = Ω in the identity: ∇L = −Xᵀ(Ω + Ωᵀ)(y − Xw) "
                          "= −2XᵀΩ(y − Xw) for a symmetric Ω.")


@exercise("4.6")
def e4_6(critical_lr):
    """critical_lr(X, lam) -> float: 2 / lambda_max of the ridge Hessian 2(X^T X + lam I)."""
    ex = post_example()
    rng = np.random.default_rng(406)
    X2 = rng.standard_normal((20, 3)) * np.array([1.0, 5.0, 0.2])
    for what, X, lam in [("the post's X, lam=0", ex.X, 0.0), ("the post's X, lam=50", ex.X, 50.0),
                         ("a random X, lam=2", X2, 2.0)]:
        H = 2 * (X.T @ X + lam * np.eye(X.shape[1]))
        lam_max = np.linalg.eigvalsh(H)[-1]
        expected = 2.0 / lam_max
        got = call(critical_lr, X.copy(), lam)
        if np.ndim(got) != 0:
            raise AssertionError(f"critical_lr ({what}) should return one number, got an array of shape "
                                 f"{np.shape(got)}: pick the largest eigenvalue, e.g. eigvalsh(H)[-1].")
        got = expect_shape(got, (), f"critical_lr ({what})")
        if _close(got, 4.0 / lam_max):
            raise AssertionError(f"({what}) twice too large: the Hessian of the sum of squares is "
                                 "2(XᵀX + λI), not XᵀX + λI.")
        if _close(got, 1.0 / lam_max):
            raise AssertionError(f"({what}) half the answer: the error along an eigenvector is "
                                 "multiplied by (1 − lr·λ) each step, which stays in (−1, 1) up to "
                                 "lr = 2/λ.")
        if _close(got, 2.0 / np.linalg.eigvalsh(H)[0]):
            raise AssertionError(f"({what}) that uses the smallest eigenvalue; the stiffest direction "
                                 "(largest eigenvalue) is the one that blows up first.")
        expect_close(got, expected, f"critical_lr ({what})", rtol=1e-8,
                     hint="lr_crit = 2 / λ_max(H), with H = 2(XᵀX + λI) and np.linalg.eigvalsh.")
