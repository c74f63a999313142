"""A small tanh network ``n_inputs -> H -> 1`` whose forward pass evaluates many parameter vectors at once.

Every parameter vector is one row of ``P``, shape ``(n_points, n_params)``, exactly like
a grid point elsewhere in gridlib; :meth:`MLP.forward`, :meth:`MLP.loss` and
:meth:`MLP.gradient` use one batched matrix product per layer (no Python loop over
points), so slices, grids of initialization scales and many training runs stay vectorized.

Layout of a flat parameter vector (``H = n_hidden``, ``d = n_inputs``)::

    [ W1 (H*d, row-major: unit j's d incoming weights together) | b1 (H) | W2 (H) | b2 (1) ]

so ``n_params = H*d + H + H + 1`` (33 for ``d = 2, H = 8``).  The network is

.. math:: f(x) = W_2^\\top \\tanh(W_1 x + b_1) + b_2 .
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import MAX_BYTES, as_real, as_rng, check_size, positive_int

__all__ = ["MLP", "Layers", "filter_normalize", "permute_hidden"]

Array = NDArray[np.float64]


class Layers(NamedTuple):
    """The layers of a stack of parameter vectors (see :meth:`MLP.unpack`)."""

    W1: Array  #: (n_points, H, n_inputs)
    b1: Array  #: (n_points, H)
    W2: Array  #: (n_points, H)
    b2: Array  #: (n_points,)


class MLP:
    """A ``n_inputs -> n_hidden (tanh) -> 1`` network acting on stacks of flat parameter vectors.

    Parameters
    ----------
    n_inputs : int
        Number of input features ``d`` (2 in the course).
    n_hidden : int
        Number of tanh units ``H``.

    Attributes
    ----------
    n_params : int
        ``H * d + 2 * H + 1``.

    Examples
    --------
    >>> mlp = MLP(n_inputs=2, n_hidden=8)
    >>> mlp.n_params
    33
    >>> P = mlp.init(np.random.default_rng(0), 5)      # 5 parameter vectors
    >>> X = np.random.default_rng(1).normal(size=(7, 2))
    >>> mlp.forward(P, X).shape                          # one output per vector and sample
    (5, 7)
    """

    def __init__(self, n_inputs: int = 2, n_hidden: int = 8) -> None:
        self.n_inputs = positive_int(n_inputs, "n_inputs")
        self.n_hidden = positive_int(n_hidden, "n_hidden")
        H, d = self.n_hidden, self.n_inputs
        self.n_params = H * d + 2 * H + 1
        self._slices = (
            slice(0, H * d),
            slice(H * d, H * d + H),
            slice(H * d + H, H * d + 2 * H),
            slice(H * d + 2 * H, H * d + 2 * H + 1),
        )

    def __repr__(self) -> str:
        return f"MLP(n_inputs={self.n_inputs}, n_hidden={self.n_hidden})"

    # ------------------------------------------------------------------ layout
    def _points(self, P: ArrayLike, name: str = "P") -> Array:
        return _as_stack(P, self.n_params, name)

    def _data(self, X: ArrayLike, y: ArrayLike | None = None) -> tuple[Array, Array | None]:
        if isinstance(X, (str, bytes)) or X is None:
            raise TypeError(
                f"X must be an array of shape (n_samples, {self.n_inputs}), got {type(X).__name__}"
            )
        X = as_real(X, "X")
        if X.ndim != 2 or X.shape[1] != self.n_inputs or X.shape[0] == 0:
            raise ValueError(
                f"X must have shape (n_samples, {self.n_inputs}) with n_samples >= 1, "
                f"got shape {X.shape}"
            )
        if not np.all(np.isfinite(X)):
            raise ValueError("X contains NaN or inf; expected finite numbers")
        if y is None:
            return X, None
        if isinstance(y, (str, bytes)):
            raise TypeError(f"y must be an array of shape ({X.shape[0]},), got {type(y).__name__}")
        y = as_real(y, "y")
        if y.shape != (X.shape[0],):
            raise ValueError(
                f"y must have shape ({X.shape[0]},) (one target per row of X), got shape {y.shape}"
            )
        if not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or inf; expected finite numbers")
        return X, y

    def _targets(self, X: ArrayLike, y: ArrayLike) -> tuple[Array, Array]:
        """Validated ``(X, y)`` when targets are required."""
        Xa, ya = self._data(X, y)
        assert ya is not None  # y was given
        return Xa, ya

    def unpack(self, P: ArrayLike) -> Layers:
        """Split a stack of flat parameter vectors into the layers (views, no copies).

        Parameters
        ----------
        P : array, shape (n_points, n_params)

        Returns
        -------
        Layers(W1, b1, W2, b2)
            Shapes ``(n_points, H, n_inputs)``, ``(n_points, H)``, ``(n_points, H)``,
            ``(n_points,)``.

        Examples
        --------
        >>> mlp = MLP(2, 3)
        >>> W1, b1, W2, b2 = mlp.unpack(np.arange(13.0)[None, :])
        >>> W1[0]
        array([[0., 1.],
               [2., 3.],
               [4., 5.]])
        >>> b1[0], W2[0], b2
        (array([6., 7., 8.]), array([ 9., 10., 11.]), array([12.]))
        """
        P = self._points(P)
        s1, s2, s3, s4 = self._slices
        n = P.shape[0]
        return Layers(
            P[:, s1].reshape(n, self.n_hidden, self.n_inputs), P[:, s2], P[:, s3], P[:, s4][:, 0]
        )

    def pack(self, W1: ArrayLike, b1: ArrayLike, W2: ArrayLike, b2: ArrayLike) -> Array:
        """Join layers back into flat parameter vectors; the inverse of :meth:`unpack`.

        Parameters
        ----------
        W1 : array, shape (n_points, H, n_inputs)
        b1, W2 : array, shape (n_points, H)
        b2 : array, shape (n_points,)

        Returns
        -------
        P : ndarray, shape (n_points, n_params)

        Examples
        --------
        >>> mlp = MLP(2, 3)
        >>> P = np.random.default_rng(0).normal(size=(4, mlp.n_params))
        >>> bool(np.array_equal(mlp.pack(*mlp.unpack(P)), P))
        True
        """
        W1 = as_real(W1, "W1")
        H, d = self.n_hidden, self.n_inputs
        if W1.ndim != 3 or W1.shape[1:] != (H, d):
            raise ValueError(f"W1 must have shape (n_points, {H}, {d}), got shape {W1.shape}")
        n = W1.shape[0]
        parts = [W1.reshape(n, H * d)]
        for name, arr, shape in (("b1", b1, (n, H)), ("W2", W2, (n, H)), ("b2", b2, (n,))):
            arr = as_real(arr, name)
            if arr.shape != shape:
                raise ValueError(f"{name} must have shape {shape}, got shape {arr.shape}")
            parts.append(arr.reshape(n, -1))
        return np.concatenate(parts, axis=1)

    # ------------------------------------------------------------------ the network
    def _hidden(self, layers: Layers, X: Array) -> Array:
        """tanh(X W1ᵀ + b1) for every point: (n_points, n_samples, H), one batched matmul."""
        Z = X @ layers.W1.transpose(0, 2, 1)
        Z += layers.b1[:, None, :]
        return np.tanh(Z, out=Z)

    def forward(self, P: ArrayLike, X: ArrayLike) -> Array:
        """Outputs of every parameter vector on every sample.

        Parameters
        ----------
        P : array, shape (n_points, n_params)
            One parameter vector per row (a single vector of shape (n_params,) is
            treated as one row).
        X : array, shape (n_samples, n_inputs)

        Returns
        -------
        outputs : ndarray, shape (n_points, n_samples)

        Notes
        -----
        One batched matrix product per layer; memory ``n_points * n_samples * H``
        floats for the hidden activations (evaluate big grids in chunks).

        Examples
        --------
        >>> mlp = MLP(2, 2)
        >>> W1 = np.array([[[1.0, 0.0], [0.0, 1.0]]]); b1 = np.zeros((1, 2))
        >>> W2 = np.array([[2.0, -1.0]]); b2 = np.array([0.5])
        >>> P = mlp.pack(W1, b1, W2, b2)
        >>> X = np.array([[0.0, 0.0], [1.0, 2.0]])
        >>> np.round(mlp.forward(P, X), 6)
        array([[0.5     , 1.059161]])
        >>> round(float(2 * np.tanh(1.0) - np.tanh(2.0) + 0.5), 6)   # the second sample by hand
        1.059161
        """
        layers = self.unpack(P)
        X, _ = self._data(X)
        A = self._hidden(layers, X)
        return (A @ layers.W2[:, :, None])[:, :, 0] + layers.b2[:, None]

    def loss(self, P: ArrayLike, X: ArrayLike, y: ArrayLike) -> Array:
        """Mean squared error of every parameter vector: ``mean((f(x_i) - y_i)**2)``.

        Parameters
        ----------
        P : array, shape (n_points, n_params)
        X : array, shape (n_samples, n_inputs)
        y : array, shape (n_samples,)

        Returns
        -------
        losses : ndarray, shape (n_points,)

        Examples
        --------
        >>> mlp = MLP(2, 4)
        >>> X = np.ones((3, 2)); y = np.array([1.0, 2.0, 3.0])
        >>> mlp.loss(np.zeros((2, mlp.n_params)), X, y)     # f = 0: mean of y**2
        array([4.66666667, 4.66666667])
        """
        Xa, ya = self._targets(X, y)
        R = self.forward(P, Xa) - ya[None, :]
        return np.einsum("nm,nm->n", R, R) / Xa.shape[0]

    def gradient(self, P: ArrayLike, X: ArrayLike, y: ArrayLike) -> Array:
        """Gradient of :meth:`loss` for every parameter vector (backpropagation as matrix products).

        With ``Z = X W1ᵀ + b1``, ``A = tanh(Z)``, ``f = A W2 + b2`` and ``r = f - y``
        (one row per sample), the matrix-gradient identity "for ``Z = X Wᵀ``,
        ``∂L/∂W = Gᵀ X`` where ``G = ∂L/∂Z``" gives, per parameter vector,

        * ``g = 2 r / m`` (``∂L/∂f``), ``∂L/∂b2 = Σ g``, ``∂L/∂W2 = Aᵀ g``;
        * ``G = (g W2ᵀ) ⊙ (1 - A²)``, ``∂L/∂W1 = Gᵀ X``, ``∂L/∂b1 = Σ_rows G``.

        Every product is batched over the points.

        Parameters
        ----------
        P : array, shape (n_points, n_params)
        X : array, shape (n_samples, n_inputs)
        y : array, shape (n_samples,)

        Returns
        -------
        grads : ndarray, shape (n_points, n_params)
            Laid out like ``P``.

        Examples
        --------
        >>> mlp = MLP(2, 3)
        >>> rng = np.random.default_rng(0)
        >>> P = mlp.init(rng, 1); X = rng.normal(size=(10, 2)); y = rng.normal(size=10)
        >>> check = gridlib.gradient_check(lambda p: mlp.loss(p, X, y)[0],
        ...                                lambda p: mlp.gradient(p, X, y)[0], P[0])
        >>> check.ok
        True
        """
        layers = self.unpack(P)
        X, ya = self._targets(X, y)
        A = self._hidden(layers, X)  # (n, m, H)
        f = (A @ layers.W2[:, :, None])[:, :, 0] + layers.b2[:, None]  # (n, m)
        g = 2.0 * (f - ya[None, :]) / X.shape[0]  # (n, m)
        dW2 = (A.transpose(0, 2, 1) @ g[:, :, None])[:, :, 0]  # Aᵀ g: (n, H)
        db2 = g.sum(axis=1)
        A *= A  # A² in place (A is done)
        np.subtract(1.0, A, out=A)  # tanh' = 1 - A²
        G = g[:, :, None] * layers.W2[:, None, :]
        G *= A  # (n, m, H)
        dW1 = G.transpose(0, 2, 1) @ X  # Gᵀ X: (n, H, d)
        db1 = G.sum(axis=1)
        return self.pack(dW1, db1, dW2, db2)

    # ------------------------------------------------------------------ initialization
    def init(
        self,
        rng: np.random.Generator | int | None,
        n: int,
        scale1: float | ArrayLike = 1.0,
        scale2: float | ArrayLike = 1.0,
    ) -> Array:
        """Draw ``n`` parameter vectors with the standard scaled (LeCun) initialization.

        Exactly: ``W1[j, k] ~ Normal(0, std = scale1 / sqrt(n_inputs))``,
        ``W2[j] ~ Normal(0, std = scale2 / sqrt(n_hidden))`` (variance ``scale**2 / fan_in``),
        ``b1 = 0``, ``b2 = 0``. With ``scale1 = scale2 = 1`` this is the usual
        ``Var = 1 / fan_in`` initialization for tanh units. The draw is one call
        ``rng.standard_normal((n, H*d + H))`` (W1 entries first, then W2), multiplied by
        the stds, so the same seed gives the same base draw for every choice of scales.

        Parameters
        ----------
        rng : numpy.random.Generator, int or None
            The generator (its state advances), a seed for ``np.random.default_rng``,
            or None (fresh entropy, not reproducible).
        n : int
            Number of parameter vectors.
        scale1, scale2 : float or array of shape (n,)
            Multipliers of the standard deviations of the two layers (one per vector
            if arrays).

        Returns
        -------
        P : ndarray, shape (n, n_params)

        Examples
        --------
        >>> mlp = MLP(2, 8)
        >>> P = mlp.init(np.random.default_rng(0), 3, scale1=2.0)
        >>> P.shape
        (3, 33)
        >>> W1, b1, W2, b2 = mlp.unpack(P)
        >>> bool(np.all(b1 == 0) and np.all(b2 == 0))
        True
        >>> Q = mlp.init(np.random.default_rng(0), 3)      # same base draw, scale1 = 1
        >>> bool(np.allclose(mlp.unpack(Q).W1 * 2.0, W1))
        True
        """
        rng = as_rng(rng, "rng")
        n = positive_int(n, "n")
        check_size(
            8.0 * n * self.n_params,
            f"MLP.init of {n:,} vectors of {self.n_params} parameters",
            MAX_BYTES,
            "MAX_BYTES",
            " bytes",
        )
        s1 = self._scale(scale1, n, "scale1")
        s2 = self._scale(scale2, n, "scale2")
        H, d = self.n_hidden, self.n_inputs
        Z = rng.standard_normal((n, H * d + H))
        W1 = Z[:, : H * d].reshape(n, H, d) * (s1 / np.sqrt(d))[:, None, None]
        W2 = Z[:, H * d :] * (s2 / np.sqrt(H))[:, None]
        return self.pack(W1, np.zeros((n, H)), W2, np.zeros(n))

    @staticmethod
    def _scale(scale: float | ArrayLike, n: int, name: str) -> Array:
        s = as_real(scale, name)
        if s.ndim == 0:
            s = np.full(n, float(s))
        if s.shape != (n,):
            raise ValueError(
                f"{name} must be a number or an array of shape ({n},), got shape {s.shape}"
            )
        if not np.all(np.isfinite(s)) or np.any(s < 0):
            raise ValueError(f"{name} must be finite and >= 0, got {scale!r}")
        return s

    # ------------------------------------------------------------------ directions, symmetries
    def filter_normalize(
        self, direction: ArrayLike, P: ArrayLike, *, zero_biases: bool = True
    ) -> Array:
        """Rescale each filter of a direction to the norm of the same filter of ``P`` (Li et al., 2018).

        A filter is the set of weights that produce one neuron: row ``j`` of ``W1``
        (hidden unit ``j``'s incoming weights) for each hidden unit, and the whole of
        ``W2`` for the single output. Each filter ``d_f`` of the direction becomes
        ``d_f / ||d_f|| * ||θ_f||`` (a zero filter stays zero). The bias entries are
        set to zero (``zero_biases=True``, as in the authors' code), or with
        ``zero_biases=False`` each bias is counted in its neuron's filter.

        Parameters
        ----------
        direction : array, shape (n_points, n_params) or (n_params,)
        P : array, shape (n_points, n_params) or (n_params,)
            The parameters the direction is attached to (one per direction, or one
            for all).

        Returns
        -------
        direction : ndarray, shape (n_points, n_params)

        Examples
        --------
        >>> mlp = MLP(2, 3)
        >>> rng = np.random.default_rng(0)
        >>> P = mlp.init(rng, 1); D = rng.normal(size=(1, mlp.n_params))
        >>> Dn = mlp.filter_normalize(D, P)
        >>> bool(np.allclose(np.linalg.norm(mlp.unpack(Dn).W1, axis=2), np.linalg.norm(mlp.unpack(P).W1, axis=2)))
        True
        >>> bool(np.allclose(np.linalg.norm(mlp.unpack(Dn).W2), np.linalg.norm(mlp.unpack(P).W2)))
        True
        """
        D = self.unpack(self._points(direction, "direction"))
        T = self.unpack(self._points(P, "P"))
        if T.W1.shape[0] not in (1, D.W1.shape[0]):
            raise ValueError(
                f"P must have shape (1, {self.n_params}) or ({D.W1.shape[0]}, {self.n_params}) "
                f"(one per direction), got {T.W1.shape[0]} rows"
            )
        if zero_biases:
            d1 = [D.W1]
            t1 = [T.W1]
            d2, t2 = D.W2, T.W2
        else:
            d1 = [D.W1, D.b1[:, :, None]]
            t1 = [T.W1, T.b1[:, :, None]]
            d2 = np.concatenate([D.W2, D.b2[:, None]], axis=1)
            t2 = np.concatenate([T.W2, T.b2[:, None]], axis=1)
        f1 = np.concatenate(d1, axis=2)  # (n, H, d or d+1): one filter per unit
        r1 = _ratio(np.linalg.norm(np.concatenate(t1, axis=2), axis=2), np.linalg.norm(f1, axis=2))
        r2 = _ratio(np.linalg.norm(t2, axis=1), np.linalg.norm(d2, axis=1))
        W1 = D.W1 * r1[:, :, None]
        W2 = D.W2 * r2[:, None]
        if zero_biases:
            b1, b2 = np.zeros_like(D.b1), np.zeros_like(D.b2)
        else:
            b1, b2 = D.b1 * r1, D.b2 * r2
        return self.pack(W1, b1, W2, b2)

    def permute_hidden(
        self, P: ArrayLike, perm: ArrayLike, signs: ArrayLike | None = None
    ) -> Array:
        """Reorder (and optionally sign-flip) the hidden units: the network's function is unchanged.

        Unit ``j`` of the result is unit ``perm[j]`` of ``P``; with ``signs[j] = -1``
        its incoming weights, bias and outgoing weight are negated, which leaves the
        output unchanged because ``tanh(-z) = -tanh(z)``. Together these give
        ``H! * 2**H`` parameter vectors with the same function and the same loss.

        Parameters
        ----------
        P : array, shape (n_points, n_params)
        perm : array of int, shape (H,)
            A permutation of ``0 .. H-1``.
        signs : array of ±1, shape (H,), optional

        Returns
        -------
        P_new : ndarray, shape (n_points, n_params)

        Examples
        --------
        >>> mlp = MLP(2, 4)
        >>> rng = np.random.default_rng(0)
        >>> P = mlp.init(rng, 2); X = rng.normal(size=(5, 2))
        >>> Q = mlp.permute_hidden(P, [2, 0, 3, 1], signs=[1, -1, -1, 1])
        >>> bool(np.allclose(mlp.forward(Q, X), mlp.forward(P, X)))
        True
        >>> bool(np.allclose(Q, P))
        False
        """
        W1, b1, W2, b2 = self.unpack(P)
        H = self.n_hidden
        perm_arr = np.asarray(perm)
        if perm_arr.dtype.kind not in "iu":
            raise TypeError(
                f"perm must be an integer array of shape ({H},), got dtype {perm_arr.dtype}"
            )
        if perm_arr.shape != (H,):
            raise ValueError(
                f"perm must be an integer array of shape ({H},), got {perm_arr.dtype} shape {perm_arr.shape}"
            )
        if not np.array_equal(np.sort(perm_arr), np.arange(H)):
            raise ValueError(f"perm must be a permutation of 0..{H - 1}, got {perm_arr.tolist()}")
        s = np.ones(H) if signs is None else as_real(signs, "signs")
        if s.shape != (H,) or not np.all(np.abs(s) == 1):
            raise ValueError(
                f"signs must be an array of +1/-1 of shape ({H},), got {np.asarray(signs).tolist()}"
            )
        return self.pack(
            W1[:, perm_arr] * s[None, :, None], b1[:, perm_arr] * s, W2[:, perm_arr] * s, b2
        )


def _as_stack(P: ArrayLike, n_params: int, name: str) -> Array:
    """``P`` as a float array of shape (n_points, n_params); a 1-D (n_params,) becomes one row.

    NaN/inf entries are allowed: a diverged training run propagates NaN through
    forward/loss/gradient without stopping the other runs of the batch.
    """
    if isinstance(P, (str, bytes)) or P is None:
        raise TypeError(
            f"{name} must be an array of shape (n_points, {n_params}), got {type(P).__name__}"
        )
    try:
        arr = as_real(P, name)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be an array of real numbers of shape (n_points, {n_params}): {exc}"
        ) from None
    if arr.ndim == 1 and arr.shape[0] == n_params:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != n_params:
        raise ValueError(f"{name} must have shape (n_points, {n_params}), got shape {arr.shape}")
    return arr


def _ratio(target: Array, current: Array) -> Array:
    """``target / current`` where current > 0, else 0 (a zero filter stays zero)."""
    out = np.zeros_like(current)
    np.divide(target, current, out=out, where=current > 0)
    return out


def _mlp_for(n_params: int, n_inputs: int) -> MLP:
    n_inputs = positive_int(n_inputs, "n_inputs")
    H, rem = divmod(n_params - 1, n_inputs + 2)
    if rem or H < 1:
        raise ValueError(
            f"n_params = {n_params} is not H*{n_inputs} + 2*H + 1 for any H >= 1; "
            f"expected shape (n_points, {n_inputs + 2}*H + 1)"
        )
    return MLP(n_inputs, H)


def filter_normalize(
    direction: ArrayLike, P: ArrayLike, *, n_inputs: int = 2, zero_biases: bool = True
) -> Array:
    """Filter-normalize ``direction`` at ``P``; :meth:`MLP.filter_normalize` with H read off the shape.

    Parameters
    ----------
    direction, P : array, shape (n_points, n_params) or (n_params,)
        ``n_params = (n_inputs + 2) * H + 1``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> P = MLP(2, 8).init(rng, 1)
    >>> filter_normalize(rng.normal(size=33), P).shape
    (1, 33)
    """
    d = as_real(direction, "direction")
    if d.ndim not in (1, 2):
        raise ValueError(
            f"direction must have shape (n_points, n_params) or (n_params,), got shape {d.shape}"
        )
    return _mlp_for(d.shape[-1], n_inputs).filter_normalize(d, P, zero_biases=zero_biases)


def permute_hidden(
    P: ArrayLike, perm: ArrayLike, signs: ArrayLike | None = None, *, n_inputs: int = 2
) -> Array:
    """Permute/sign-flip hidden units; :meth:`MLP.permute_hidden` with H read off the shape.

    Examples
    --------
    >>> P = MLP(2, 2).init(np.random.default_rng(0), 1)
    >>> Q = permute_hidden(P, [1, 0], signs=[-1, 1])
    >>> bool(np.allclose(MLP(2, 2).forward(Q, np.ones((1, 2))), MLP(2, 2).forward(P, np.ones((1, 2)))))
    True
    """
    arr = as_real(P, "P")
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"P must have shape (n_points, n_params) or (n_params,), got shape {arr.shape}"
        )
    return _mlp_for(arr.shape[-1], n_inputs).permute_hidden(arr, perm, signs)
