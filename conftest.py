"""Shared pytest set-up: numpy and gridlib in every doctest's namespace.

Doctests print numpy scalars as numpy 1.x did (``35.0``, not ``np.float64(35.0)``), so
the same examples pass with every numpy the project supports (``make test-lowest``).
"""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _doctest_namespace(request, doctest_namespace):
    import gridlib

    doctest_namespace["np"] = np
    doctest_namespace["gridlib"] = gridlib
    if (
        isinstance(request.node, pytest.DoctestItem)
        and np.lib.NumpyVersion(np.__version__) >= "2.0.0"
    ):
        with np.printoptions(legacy="1.25"):
            yield
    else:
        yield
