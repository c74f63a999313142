"""gridlib.timing.best_time: the best of a few wall-clock runs and the result (no time asserted)."""

import pytest

from gridlib.timing import best_time


def test_best_time_calls_repeat_times_and_returns_the_last_result():
    calls = []
    seconds, result = best_time(lambda: calls.append(1) or len(calls), repeat=4)
    assert result == 4 and len(calls) == 4 and seconds >= 0.0


@pytest.mark.parametrize(
    ("repeat", "error"), [(0, ValueError), (2.5, TypeError), (True, TypeError)]
)
def test_best_time_refuses_a_bad_repeat(repeat, error):
    with pytest.raises(error, match="repeat"):
        best_time(lambda: None, repeat=repeat)


def test_best_time_refuses_a_non_callable():
    with pytest.raises(TypeError, match="callable"):
        best_time(42)
