"""gridlib: vectorized evaluation of losses over parameter grids, for the Weights Traversal course.

Points are ``(n_points, n_params)``, losses ``(n_points,)``; a grid's values come
back shaped like the grid (``indexing="ij"``: axis k is parameter k).
"""

from .data import PostExample, batch_indices, design_matrix, post_data, post_example, post_grid
from .descent import (
    TunedParameters,
    gradient_descent,
    heavy_ball,
    steps_to_reach,
    tuned_parameters,
)
from .evaluation import TopK, evaluate, top_k
from .grid import Grid
from .losses import LeastSquares, sum_squared_residuals
from .minima import LocalMinima, argmin, best_point, local_minima
from .numgrad import GradientCheck, gradient_check, numerical_gradient
from .theory import gradient_cov_theory, minima_cov_theory

__version__ = "0.1.0"

__all__ = [
    "Grid",
    "evaluate",
    "top_k",
    "TopK",
    "argmin",
    "best_point",
    "local_minima",
    "LocalMinima",
    "LeastSquares",
    "sum_squared_residuals",
    "gradient_descent",
    "heavy_ball",
    "steps_to_reach",
    "tuned_parameters",
    "TunedParameters",
    "numerical_gradient",
    "gradient_check",
    "GradientCheck",
    "post_data",
    "design_matrix",
    "batch_indices",
    "post_grid",
    "post_example",
    "PostExample",
    "minima_cov_theory",
    "gradient_cov_theory",
]


def __getattr__(name: str):
    """Import the submodules ``plotting``, ``search``, ``nn``, ``landscape``, ``timing`` on use."""
    if name in {"plotting", "search", "nn", "landscape", "timing"}:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
