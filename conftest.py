"""Shared pytest set-up: numpy and gridlib in every doctest's namespace."""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    import gridlib

    doctest_namespace["np"] = np
    doctest_namespace["gridlib"] = gridlib
