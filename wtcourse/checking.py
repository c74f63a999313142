"""Self-checks for learners: the ``exercise`` decorator and ``expect_*`` helpers.

A lesson's check module ``wtcourse/checks/lNN.py`` defines one function
per exercise and decorates it with :func:`exercise`::

    from wtcourse.checking import exercise, call, expect_close

    @exercise("1.2")
    def e1_2(batch_loss):
        losses = call(batch_loss, W, X, y)      # NotAttempted if it returns `...`
        expect_close(losses, reference, "batch_loss(W, X, y)")

The notebook's check cell calls ``check.e1_2(batch_loss)`` and the learner
sees one of three things:

* **not attempted** -- an argument is the ``...`` placeholder (or a function
  that returns ``...``), or the body raises :class:`NotAttempted`; no
  exception, so "Run All" goes on;
* **correct** -- the body returned normally (a returned string is shown too);
* **wrong** -- the body raised ``AssertionError`` (its message teaches) or the
  learner's code raised something else; an ``AssertionError`` whose message
  starts with ``Exercise 1.2 — not quite:`` is raised so the cell shows it.

Every outcome is also published as a display_data bundle with the MIME type
``application/vnd.weights-traversal.check+json`` (``{"exercise", "status",
"message"}``), which is what the teachers' grader reads from executed
notebooks. Outside IPython the human line is printed.

This module imports only numpy (and IPython lazily, if present): it runs in
every lesson's setup cell.
"""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable, Mapping

import numpy as np

__all__ = [
    "MIME_TYPE",
    "NotAttempted",
    "call",
    "exercise",
    "expect_choice",
    "expect_close",
    "expect_equal",
    "expect_shape",
    "is_placeholder",
    "report",
]

#: MIME type of the machine-readable report each check publishes.
MIME_TYPE = "application/vnd.weights-traversal.check+json"

CORRECT, WRONG, NOT_ATTEMPTED = "correct", "wrong", "not attempted"


class NotAttempted(Exception):
    """Raised inside a check when the learner's answer is still the placeholder."""


def is_placeholder(value: Any) -> bool:
    """Return True if `value` is the ``...`` placeholder of an unanswered exercise.

    Examples
    --------
    >>> is_placeholder(...), is_placeholder(0), is_placeholder(None)
    (True, False, False)
    """
    return value is Ellipsis


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the learner's `fn`; raise :class:`NotAttempted` if it is or returns ``...``.

    Examples
    --------
    >>> call(lambda x: x + 1, 1)
    2
    >>> try:
    ...     call(lambda x: ..., 1)
    ... except NotAttempted as exc:
    ...     print("not attempted:", exc)
    not attempted: the function still returns the `...` placeholder
    """
    if is_placeholder(fn):
        raise NotAttempted("the answer is still the `...` placeholder")
    if not callable(fn):
        raise AssertionError(f"expected a function, got {_describe(fn)}")
    result = fn(*args, **kwargs)
    if is_placeholder(result):
        raise NotAttempted("the function still returns the `...` placeholder")
    return result


# --------------------------------------------------------------------------
# reporting
# --------------------------------------------------------------------------

def _line(exercise_id: str, status: str, message: str | None) -> str:
    if status == CORRECT:
        return f"Exercise {exercise_id} — correct ✓" + (f" {message}" if message else "")
    if status == NOT_ATTEMPTED:
        return (f"Exercise {exercise_id} — not attempted yet: replace the `...` "
                "placeholder and run this cell again.")
    return f"Exercise {exercise_id} — not quite: {message}"


def _ipython_shell() -> Any:
    """Return the running IPython shell, or None (also when IPython is missing)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        return ipython.get_ipython()
    except Exception:  # a broken or partial IPython must not break a check
        return None


def report(exercise_id: str, status: str, message: str | None = None) -> str:
    """Publish the outcome of a check and return the human-readable line.

    In IPython a display_data bundle carries ``text/plain`` and
    :data:`MIME_TYPE`; elsewhere the line is printed.

    Examples
    --------
    >>> _ = report("0.1", "correct")
    Exercise 0.1 — correct ✓
    """
    line = _line(exercise_id, status, message)
    data = {"exercise": exercise_id, "status": status, "message": message}
    shell = _ipython_shell()
    if shell is not None and getattr(shell, "display_pub", None) is not None:
        try:
            from IPython.display import publish_display_data
            publish_display_data({"text/plain": line, MIME_TYPE: data})
            return line
        except Exception:
            pass
    print(line)
    return line


def exercise(exercise_id: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a check function for exercise `exercise_id` (e.g. ``"1.2"``).

    The wrapped check reports "not attempted" if a positional argument is the
    ``...`` placeholder or the body raises :class:`NotAttempted`; "wrong" and
    re-raises as ``AssertionError("Exercise 1.2 — not quite: ...")`` if the
    body raises; "correct" otherwise (a string the body returns is appended).

    Examples
    --------
    >>> @exercise("9.1")
    ... def e9_1(answer):
    ...     assert answer == 42, "the answer is 42"
    >>> e9_1(...)
    Exercise 9.1 — not attempted yet: replace the `...` placeholder and run this cell again.
    >>> e9_1(42)
    Exercise 9.1 — correct ✓
    >>> e9_1(41)
    Traceback (most recent call last):
    ...
    AssertionError: Exercise 9.1 — not quite: the answer is 42
    """
    exercise_id = str(exercise_id)

    def decorate(check: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(check)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            if any(is_placeholder(a) for a in (*args, *kwargs.values())):
                report(exercise_id, NOT_ATTEMPTED)
                return None
            try:
                note = check(*args, **kwargs)
            except NotAttempted:
                report(exercise_id, NOT_ATTEMPTED)
                return None
            except AssertionError as exc:
                message = str(exc) or "the answer does not pass the check."
                line = report(exercise_id, WRONG, message)
                raise AssertionError(line) from None
            except Exception as exc:  # the learner's code raised
                message = f"your code raised {type(exc).__name__}: {exc}"
                line = report(exercise_id, WRONG, message)
                raise AssertionError(line) from exc
            report(exercise_id, CORRECT, note if isinstance(note, str) else None)
            return None

        wrapper.exercise_id = exercise_id  # type: ignore[attr-defined]
        return wrapper

    return decorate


# --------------------------------------------------------------------------
# expectations: each raises AssertionError with a message that teaches
# --------------------------------------------------------------------------

def _describe(value: Any) -> str:
    if value is None:
        return "None — did you forget `return`?"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def _as_array(value: Any, what: str) -> np.ndarray:
    if is_placeholder(value):
        raise NotAttempted(f"{what} is still the `...` placeholder")
    if value is None:
        raise AssertionError(f"{what} is None — did you forget `return`?")
    try:
        arr = np.asarray(value)
    except Exception as exc:
        raise AssertionError(f"{what} could not be read as an array ({exc})") from None
    if arr.dtype == object:
        raise AssertionError(f"{what} should hold numbers, got {_describe(value)}")
    return arr


def _shape_hint(got: tuple[int, ...], expected: tuple[int, ...]) -> str:
    if got == expected + (1,):
        return " — did you keep a trailing axis? (try `.ravel()` or index with `[:, 0]`)"
    if expected == got + (1,):
        return " — a trailing axis of length 1 is missing"
    if len(got) == len(expected) == 2 and got == expected[::-1]:
        return " — the axes are swapped; did you need a transpose?"
    if sorted(got) == sorted(expected):
        return " — same sizes, different order: check which axis is which"
    if len(got) == 0 and expected:
        return " — a single number; did you sum over every axis instead of one?"
    return ""


def expect_shape(value: Any, shape: tuple[int, ...], what: str = "the result") -> np.ndarray:
    """Check that `value` has `shape`; return it as an array.

    Examples
    --------
    >>> expect_shape([1, 2, 3], (3,)).shape
    (3,)
    >>> expect_shape([[1], [2]], (2,), "losses")
    Traceback (most recent call last):
    ...
    AssertionError: losses: expected shape (2,), got (2, 1) — did you keep a trailing axis? (try `.ravel()` or index with `[:, 0]`)
    """
    arr = _as_array(value, what)
    shape = tuple(int(n) for n in shape)
    if arr.shape != shape:
        raise AssertionError(
            f"{what}: expected shape {shape}, got {arr.shape}{_shape_hint(arr.shape, shape)}")
    return arr


def _fmt_index(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]" if index else ""


def expect_close(got: Any, expected: Any, what: str = "the result", rtol: float = 1e-6,
                 atol: float = 1e-9, hint: str | None = None) -> np.ndarray:
    """Check that `got` matches `expected` within tolerance, shape included.

    The message names the worst entry (largest error beyond tolerance) and
    how many entries differ; `hint` is appended.

    Examples
    --------
    >>> expect_close([1.0, 2.0], [1.0, 2.0 + 1e-12]).tolist()
    [1.0, 2.0]
    >>> expect_close([1.0, 2.5, 3.0], [1.0, 2.0, 3.0], "losses", hint="square the residuals.")
    Traceback (most recent call last):
    ...
    AssertionError: losses: 1 of 3 entries differ; the worst is losses[1] = 2.5, expected 2. Hint: square the residuals.
    """
    exp = np.asarray(expected)
    arr = expect_shape(got, exp.shape, what)
    suffix = f" Hint: {hint}" if hint else ""
    try:
        arr = arr.astype(float) if np.iscomplexobj(arr) is False else arr
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should hold numbers, got dtype {arr.dtype}.{suffix}") from None
    bad_nan = np.isnan(arr) & ~np.isnan(exp)
    err = np.where(bad_nan, np.inf, np.abs(arr - exp))
    err = np.where(np.isnan(arr) & np.isnan(exp), 0.0, err)
    tol = atol + rtol * np.abs(exp)
    bad = err > tol
    if not bad.any():
        return arr
    excess = np.where(bad, err - tol, -np.inf)
    worst = np.unravel_index(int(np.argmax(excess)), arr.shape) if arr.ndim else ()
    g, e = arr[worst], exp[worst]
    if arr.ndim == 0:
        msg = f"{what} = {g:.6g}, expected {e:.6g}."
    else:
        msg = (f"{what}: {int(bad.sum())} of {bad.size} entries differ; the worst is "
               f"{what}{_fmt_index(worst)} = {g:.6g}, expected {e:.6g}.")
    raise AssertionError(msg + suffix)


def expect_equal(got: Any, expected: Any, what: str = "the result", hint: str | None = None) -> Any:
    """Check exact equality (arrays elementwise, shape included; other values with ``==``).

    Examples
    --------
    >>> expect_equal("ij", "ij")
    'ij'
    >>> expect_equal(3, 4, "n_points")
    Traceback (most recent call last):
    ...
    AssertionError: n_points: expected 4, got 3.
    """
    suffix = f" Hint: {hint}" if hint else ""
    if is_placeholder(got):
        raise NotAttempted(f"{what} is still the `...` placeholder")
    if got is None and expected is not None:
        raise AssertionError(f"{what} is None — did you forget `return`?{suffix}")
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        exp = np.asarray(expected)
        arr = expect_shape(got, exp.shape, what)
        bad = arr != exp
        if np.any(bad):
            idx = tuple(np.argwhere(bad)[0]) if arr.ndim else ()
            raise AssertionError(f"{what}: {int(np.sum(bad))} of {bad.size} entries differ; the first "
                                 f"is {what}{_fmt_index(idx)} = {arr[idx]!r}, expected {exp[idx]!r}.{suffix}")
        return got
    if got != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {got!r}.{suffix}")
    return got


def expect_choice(answer: Any, correct: str, choices: Mapping[str, str],
                  what: str = "your answer") -> str:
    """Check a multiple-choice `answer` (a letter, any case, spaces ignored).

    `choices` maps each letter to the explanation shown when it is chosen
    wrongly; the explanation of the correct letter is returned as the
    "correct" note.

    Examples
    --------
    >>> choices = {"a": "Rows are points, not parameters.", "b": "Yes: axis k is parameter k."}
    >>> expect_choice(" B ", "b", choices)
    'Yes: axis k is parameter k.'
    >>> expect_choice("a", "b", choices)
    Traceback (most recent call last):
    ...
    AssertionError: (a) is not right: Rows are points, not parameters.
    >>> expect_choice("z", "b", choices)
    Traceback (most recent call last):
    ...
    AssertionError: your answer should be one of the letters a, b; got 'z'.
    """
    letters = {k.strip().lower(): v for k, v in choices.items()}
    valid = ", ".join(sorted(letters))
    if is_placeholder(answer):
        raise NotAttempted(f"{what} is still the `...` placeholder")
    if not isinstance(answer, str):
        raise AssertionError(f"{what} should be a letter as a string, e.g. \"a\"; got {_describe(answer)}"
                             f" (valid letters: {valid}).")
    key = answer.strip().lower()
    if key not in letters:
        raise AssertionError(f"{what} should be one of the letters {valid}; got {answer!r}.")
    if key != correct.strip().lower():
        raise AssertionError(f"({key}) is not right: {letters[key]}")
    return letters[key]
