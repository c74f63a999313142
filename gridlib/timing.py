"""Wall-clock timing for the lessons' cost comparisons (one helper, used by every lesson)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from ._validate import positive_int

__all__ = ["best_time"]

T = TypeVar("T")


def best_time(fn: Callable[[], T], repeat: int = 3) -> tuple[float, T]:
    """Call ``fn()`` ``repeat`` times; return the best wall-clock time in seconds and its result.

    The best (minimum) of a few runs is the least disturbed by other work on the machine,
    as in :mod:`timeit`; the result of the last call is returned so a timed computation
    need not run again.

    Examples
    --------
    >>> seconds, total = best_time(lambda: sum(range(1000)), repeat=2)
    >>> total, seconds >= 0.0
    (499500, True)
    """
    repeat = positive_int(repeat, "repeat")
    if not callable(fn):
        raise TypeError(f"fn must be a callable taking no arguments, got {type(fn).__name__}")
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result
