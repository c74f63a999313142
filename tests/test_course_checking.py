"""The learners' self-checks: not attempted / correct / wrong, and their messages."""

import numpy as np
import pytest

from wtcourse import checking
from wtcourse.checking import (
    MIME_TYPE, NotAttempted, call, exercise, expect_choice, expect_close, expect_equal,
    expect_shape, is_placeholder)


@exercise("1.2")
def e1_2(batch_loss):
    losses = call(batch_loss, np.array([[1.0, 2.0], [3.0, 4.0]]))
    expect_close(losses, [5.0, 25.0], "batch_loss(W)", hint="sum the squares along axis 1.")


@exercise("2.1")
def e2_1(value):
    expect_equal(value, 3, "value")
    return "Nicely done."


def test_placeholder_argument_is_not_attempted(capsys):
    assert e1_2(...) is None
    assert capsys.readouterr().out.strip() == (
        "Exercise 1.2 — not attempted yet: replace the `...` placeholder and run this cell again.")


def test_function_returning_placeholder_is_not_attempted(capsys):
    e1_2(lambda W: ...)
    assert "not attempted" in capsys.readouterr().out


def test_correct_with_note(capsys):
    e1_2(lambda W: (W**2).sum(axis=1))
    e2_1(3)
    out = capsys.readouterr().out.splitlines()
    assert out == ["Exercise 1.2 — correct ✓", "Exercise 2.1 — correct ✓ Nicely done."]


def test_wrong_raises_teaching_assertion(capsys):
    with pytest.raises(AssertionError, match=r"^Exercise 1\.2 — not quite: batch_loss\(W\): 2 of 2 "
                       r"entries differ; the worst is batch_loss\(W\)\[1\] = 7, expected 25\. "
                       r"Hint: sum the squares along axis 1\.$"):
        e1_2(lambda W: W.sum(axis=1))
    assert "not quite" in capsys.readouterr().out


def test_learner_exception_is_wrong_and_chained(capsys):
    def broken(W):
        raise ValueError("shapes do not align")
    with pytest.raises(AssertionError, match="your code raised ValueError: shapes do not align") as info:
        e1_2(broken)
    assert isinstance(info.value.__cause__, ValueError)


def test_missing_return_message(capsys):
    with pytest.raises(AssertionError, match=r"is None — did you forget `return`\?"):
        e1_2(lambda W: None)


def test_list_is_accepted_like_an_array(capsys):
    e1_2(lambda W: [5.0, 25.0])
    assert "correct" in capsys.readouterr().out


def test_report_publishes_display_data(monkeypatch):
    published = []

    class Shell:
        display_pub = object()

    monkeypatch.setattr(checking, "_ipython_shell", lambda: Shell())
    import IPython.display
    monkeypatch.setattr(IPython.display, "publish_display_data", lambda data: published.append(data))
    with pytest.raises(AssertionError):
        e2_1(4)
    (bundle,) = published
    assert bundle["text/plain"] == "Exercise 2.1 — not quite: value: expected 3, got 4."
    assert bundle[MIME_TYPE] == {"exercise": "2.1", "status": "wrong",
                                 "message": "value: expected 3, got 4."}


def test_is_placeholder_and_call():
    assert is_placeholder(...) and not is_placeholder(None) and not is_placeholder(0)
    with pytest.raises(NotAttempted):
        call(..., 1)
    with pytest.raises(AssertionError, match="expected a function, got a int"):
        call(3)


@pytest.mark.parametrize("got, expected, hint", [
    (np.zeros((5, 1)), (5,), "did you keep a trailing axis"),
    (np.zeros((3, 2)), (2, 3), "the axes are swapped"),
    (np.zeros(5), (5, 1), "a trailing axis of length 1 is missing"),
    (np.float64(1.0), (5,), "did you sum over every axis"),
])
def test_expect_shape_hints(got, expected, hint):
    with pytest.raises(AssertionError, match=rf"losses: expected shape {re_shape(expected)}, "
                       rf"got {re_shape(got.shape)} — .*{hint}"):
        expect_shape(got, expected, "losses")


def re_shape(shape):
    import re
    return re.escape(str(tuple(shape)))


def test_expect_close_scalar_and_nan():
    expect_close(np.nan, np.nan)
    with pytest.raises(AssertionError, match=r"^lr = nan, expected 0\.1\.$"):
        expect_close(np.nan, 0.1, "lr")
    with pytest.raises(AssertionError, match=r"should hold numbers"):
        expect_close(["a", None], [1.0, 2.0])


def test_expect_equal_arrays():
    expect_equal(np.arange(3), np.arange(3))
    with pytest.raises(AssertionError, match=r"idx: 1 of 3 entries differ; the first is idx\[2\] = "):
        expect_equal(np.array([0, 1, 5]), np.arange(3), "idx")


@pytest.mark.parametrize("answer", ["b", "B", " b ", "B\n"])
def test_expect_choice_accepts_case_and_spaces(answer):
    assert expect_choice(answer, "b", {"a": "no", "b": "yes"}) == "yes"


def test_expect_choice_wrong_and_invalid():
    choices = {"a": "Rows are points.", "b": "Right.", "c": "Columns are parameters."}
    with pytest.raises(AssertionError, match=r"^\(c\) is not right: Columns are parameters\.$"):
        expect_choice("C", "b", choices)
    with pytest.raises(AssertionError, match="one of the letters a, b, c; got 'd'"):
        expect_choice("d", "b", choices)
    with pytest.raises(AssertionError, match=r"a letter as a string.*None — did you forget"):
        expect_choice(None, "b", choices)
    with pytest.raises(NotAttempted):
        expect_choice(..., "b", choices)


def test_choice_exercise_not_attempted_wrong_correct(capsys):
    @exercise("3.1")
    def e3_1(answer):
        return expect_choice(answer, "a", {"a": "Yes.", "b": "No: that is the gradient."})
    e3_1(...)
    with pytest.raises(AssertionError, match=r"Exercise 3\.1 — not quite: \(b\) is not right: No: "):
        e3_1("b")
    e3_1("A")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Exercise 3.1 — not attempted yet")
    assert out[-1] == "Exercise 3.1 — correct ✓ Yes."


def test_checking_imports_no_notebook_machinery():
    import subprocess
    import sys
    code = ("import sys, wtcourse.checking, wtcourse; "
            "bad = [m for m in ('nbformat', 'nbclient') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
