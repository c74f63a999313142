"""Self-checks for learners and graders: an exercise's check is a *probe* and a *judgement*.

Writing a check
---------------
A lesson's check module ``wtcourse/checks/lNN.py`` declares one :class:`Exercise` per
exercise and gives it up to three functions::

    import numpy as np
    import gridlib
    from wtcourse import checking
    from wtcourse.checking import Exercise, call, expect_close, expect_shape

    e1_1 = Exercise("1.1", "batch_loss(W, X, y) without loops")

    @e1_1.inputs
    def _(rng: np.random.Generator) -> dict:
        W, X, y = rng.normal(size=(4, 3)), rng.normal(size=(12, 3)), rng.normal(size=12)
        return {"problems": [(W, X, y)]}

    @e1_1.probe
    def _(batch_loss, *, problems):
        return [call(batch_loss, W, X, y) for W, X, y in problems]

    @e1_1.judge
    def _(got, *, problems):
        for losses, (W, X, y) in zip(got, problems):
            losses = expect_shape(losses, (len(W),), "batch_loss(W, X, y)")
            expect_close(losses, gridlib.sum_squared_residuals(W, X, y), "batch_loss(W, X, y)")
        return "one broadcast does it."

    def progress():
        return checking.progress(__name__)

    __all__ = ["e1_1", "progress"]

* **inputs(rng) -> dict** (optional; default ``{}``): the plain data the probe needs, drawn
  from ``rng = np.random.default_rng(seed)``. The learner's self-check uses seed 0; the
  grader uses other seeds, so an answer that hard-codes the self-check's output fails
  grading. Inputs are passed through :func:`encode`/:func:`decode` (tuples come back as
  lists, numpy scalars as Python numbers), exactly as they travel to a grading kernel.
* **probe(*answers, **inputs) -> data** (optional; default: the single answer itself, or the
  list of answers): runs in the learner's kernel. Positional arguments are the arguments of
  the check cell (``check.e1_1(batch_loss)``), keyword arguments the inputs (a private deep
  copy, so a learner's function that modifies its arguments cannot change the reference).
  It calls the learner's code (use :func:`call`) and returns PLAIN DATA: numbers, strings,
  booleans, None, numpy arrays of booleans/integers/floats/strings, and lists/dicts (string
  keys) of those, at most :data:`MAX_BYTES` once encoded. Keep it small: return what the
  judgement needs, not whole grids. No reference values here: they belong in the judgement.
* **judge(data, **inputs) -> str | None** (required): a pure function of the probe's data
  (after the encode/decode round trip) and the inputs. It computes references with gridlib,
  raises ``AssertionError(teaching message)`` when wrong (the ``expect_*`` helpers do that),
  :class:`NotAttempted` when not attempted, and returns an optional note shown after
  "correct ✓". It must trust nothing but ``data``: validate shapes with :func:`expect_shape`
  before indexing (any other exception it raises is reported as "wrong" with the message
  "the check could not use your answer (...)"). The data it receives has been through
  :func:`encode`/:func:`decode`, in the learner's kernel as in the grader: tuples arrive
  as lists, numpy scalars as Python numbers, arrays as arrays.

A multiple-choice exercise needs only a judge (the default probe passes the answer on)::

    e1_5 = Exercise("1.5", "what new noise changes")

    @e1_5.judge
    def _(answer):
        return expect_choice(answer, "sha256:…", {"a": "No: …", "b": "No: …", "c": "Right: …"})

Testing a check
---------------
``e1_1.verdict(answer, seed=0)`` runs the three steps without showing or recording
anything and returns ``(status, message)``: assert that the solution's answer is
``("correct", note)`` for several seeds, and that typical mistakes get the teaching message
you wrote. :func:`exercises` lists a check module's exercises by id (to compare with the
lesson's ``### Exercise`` headings).

What the learner sees
---------------------
The notebook's check cell calls ``check.e1_1(batch_loss)`` (:meth:`Exercise.__call__`) and
sees one of three things, never an exception, so "Run All" always reaches the end:

* ``Exercise 1.1 — not attempted yet: replace the `...` placeholder and run this cell
  again.`` -- an answer is ``...``, or the learner's function returns ``...``;
* ``Exercise 1.1 — correct ✓ <note>``;
* ``Exercise 1.1 — not quite: <message>`` -- shown once, in a red box (``text/html``;
  ``text/plain`` for other front ends); "your code raised TypeError: ..." when the
  learner's code raised.

``checking.strict(True)`` (or the environment variable ``WT_STRICT=1``) makes a wrong answer
raise ``AssertionError`` as well, for learners who want Run All to stop there. Every verdict
is also published as a ``contract.CHECK_MIME`` bundle ``{"exercise", "status", "message"}``,
which ``python -m wtcourse progress`` reads from saved notebooks; the last code cell of a
lesson calls ``check.progress()`` (:func:`progress`) for a table of this session's verdicts.

What the grader uses
--------------------
:meth:`Exercise.make_inputs` (in the grader, with its own seed), :meth:`Exercise.run_probe`
(in the student's kernel; the learner's exceptions and placeholders come back as data
markers), :func:`encode` / :func:`decode` (the only way data leaves the kernel: JSON, numpy
arrays as ``np.save`` bytes loaded with ``allow_pickle=False``) and
:meth:`Exercise.judge_data` (in the grader, pure: no display, no recording).

Multiple choice
---------------
``expect_choice(answer, key, choices)`` takes a salted hash of the right letter, not the
letter: compute it once with ``python -m wtcourse key 1.5 c`` (:func:`choice_key`) and paste
the ``"sha256:..."`` string into the check module (see :mod:`wtcourse.keys` for what this
protects against, and what not).

This module imports only the standard library, numpy and (lazily, if running) IPython: it
is imported by every lesson's setup cell.
"""

from __future__ import annotations

import base64
import contextvars
import copy
import functools
import hashlib
import html
import io
import json
import math
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .contract import CHECK_MIME, CORRECT, NOT_ATTEMPTED, NOT_RUN, STATUSES, WRONG

__all__ = [
    "MAX_BYTES",
    "MIME_TYPE",
    "Exercise",
    "NotAttempted",
    "call",
    "choice_key",
    "decode",
    "encode",
    "exercise",
    "exercises",
    "expect_choice",
    "expect_close",
    "expect_equal",
    "expect_shape",
    "is_placeholder",
    "progress",
    "progress_rows",
    "report",
    "strict",
]

#: Former name of :data:`contract.CHECK_MIME` (kept for tools not yet converted).
MIME_TYPE = CHECK_MIME

#: Default cap on the size of encoded probe data (bytes of JSON text).
MAX_BYTES = 8 * 1024 * 1024

#: Deepest nesting of lists/dicts that :func:`encode` / :func:`decode` accept.
MAX_DEPTH = 32

#: Longest message kept from a learner's exception.
MAX_MESSAGE = 1000

_ID_RE = re.compile(r"^\d+(?:\.\d+)*$")
_MARKER = "__wt_probe__"
_ARRAY = "__ndarray__"
_FLOAT = "__float__"
_ARRAY_KINDS = "biufU"

_SESSION: dict[str, tuple[str, str | None]] = {}
_STRICT: bool | None = None
_CURRENT_EXERCISE: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "wt_current_exercise", default=None
)
_LEGACY: contextvars.ContextVar[bool] = contextvars.ContextVar("wt_legacy_check", default=False)


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

    Use it in a probe for every call into the learner's code. A non-callable `fn` raises
    ``AssertionError("expected a function, got ...")`` (judged "wrong").

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
# encode / decode: the only form in which probe data leaves a kernel
# --------------------------------------------------------------------------


def _to_plain(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError(f"data nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {_FLOAT: repr(value)}
    if isinstance(value, (complex, np.complexfloating)):
        raise TypeError("complex numbers are not accepted as data (give real and imaginary parts)")
    if isinstance(value, np.ndarray):
        return {_ARRAY: _array_to_text(value)}
    if isinstance(value, (list, tuple)):
        return [_to_plain(v, depth + 1) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"dict keys must be strings, got {type(k).__name__} key {k!r:.40}")
            if k in (_ARRAY, _FLOAT):
                raise ValueError(f"the dict key {k!r} is reserved")
            out[k] = _to_plain(v, depth + 1)
        return out
    raise TypeError(
        f"{type(value).__name__} is not plain data (expected numbers, strings, booleans, None, "
        "numpy arrays, lists and dicts of them)"
    )


def _array_to_text(arr: np.ndarray) -> str:
    if arr.dtype.kind not in _ARRAY_KINDS or arr.dtype.fields is not None:
        raise TypeError(
            f"arrays of dtype {arr.dtype} are not accepted as data "
            "(booleans, integers, floats or strings only)"
        )
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _text_to_array(text: Any, max_bytes: int) -> np.ndarray:
    if not isinstance(text, str):
        raise ValueError("an encoded array must be a base64 string")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValueError(f"an encoded array is not valid base64 ({exc})") from None
    fmt = np.lib.format
    f = io.BytesIO(raw)
    try:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except Exception as exc:  # numpy raises ValueError, but be safe on hostile headers
        raise ValueError(f"an encoded array has a bad .npy header ({exc})") from None
    if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.hasobject:
        raise ValueError(f"an encoded array has the refused dtype {dtype}")
    if any(n < 0 for n in shape):
        raise ValueError(f"an encoded array claims the negative shape {shape}")
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    if nbytes > max_bytes or nbytes != len(raw) - f.tell():
        raise ValueError(
            f"an encoded array claims shape {shape} of {dtype} ({nbytes} bytes) but carries "
            f"{len(raw) - f.tell()} bytes"
        )
    try:
        return np.load(io.BytesIO(raw), allow_pickle=False)
    except Exception as exc:  # numpy's own checks, whatever they raise
        raise ValueError(f"an encoded array could not be loaded ({exc})") from None


def _from_plain(value: Any, depth: int, max_bytes: int) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError(f"data nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, list):
        return [_from_plain(v, depth + 1, max_bytes) for v in value]
    if isinstance(value, dict):
        if _ARRAY in value:
            if len(value) != 1:
                raise ValueError("an encoded array must be alone in its object")
            return _text_to_array(value[_ARRAY], max_bytes)
        if _FLOAT in value:
            if len(value) != 1 or value[_FLOAT] not in ("nan", "inf", "-inf"):
                raise ValueError("a non-finite float must be 'nan', 'inf' or '-inf'")
            return float(value[_FLOAT])
        return {k: _from_plain(v, depth + 1, max_bytes) for k, v in value.items()}
    return value


def encode(data: Any, max_bytes: int = MAX_BYTES) -> str:
    """Encode plain probe data as JSON text; refuse anything else.

    Accepted: None, bool, int, float (NaN and infinities included), str, numpy
    bool/integer/float scalars (become Python numbers), numpy arrays of booleans,
    integers, floats or strings (stored as ``np.save`` bytes in base64), and lists, tuples
    (become lists) and dicts with string keys of those, nested at most :data:`MAX_DEPTH`
    deep.

    Raises
    ------
    TypeError
        For anything else: complex numbers, object or structured arrays, sets, functions...
    ValueError
        If the text would exceed `max_bytes`, or nesting exceeds :data:`MAX_DEPTH`.

    Examples
    --------
    >>> decode(encode({"w": np.arange(3.0), "n": np.int64(2), "ok": (True, None)}))
    {'w': array([0., 1., 2.]), 'n': 2, 'ok': [True, None]}
    >>> encode(1j)
    Traceback (most recent call last):
    ...
    TypeError: complex numbers are not accepted as data (give real and imaginary parts)
    """
    max_bytes = _positive_int(max_bytes, "max_bytes")
    text = json.dumps(_to_plain(data, 0), allow_nan=False, separators=(",", ":"))
    if len(text) > max_bytes:
        raise ValueError(f"the data is too large: {len(text)} bytes encoded, limit {max_bytes}")
    return text


def decode(text: str | bytes, max_bytes: int = MAX_BYTES) -> Any:
    """Decode text made by :func:`encode`; never unpickles, refuses malformed input.

    Safe on hostile input: the size is checked before parsing, arrays are loaded with
    ``allow_pickle=False`` after their header is checked against their length (no
    allocation bigger than the data), nesting is limited; every failure is a ValueError.

    Examples
    --------
    >>> decode('[1, {"__float__": "nan"}]')
    [1, nan]
    """
    max_bytes = _positive_int(max_bytes, "max_bytes")
    if not isinstance(text, (str, bytes, bytearray)):
        raise TypeError(f"decode expects str or bytes, got {type(text).__name__}")
    if len(text) > max_bytes:
        raise ValueError(f"the data is too large: {len(text)} bytes, limit {max_bytes}")
    try:
        plain = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError(f"data nested deeper than {MAX_DEPTH} levels") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"the data is not valid JSON ({exc})") from None
    return _from_plain(plain, 0, max_bytes)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"bare {name} is not accepted (non-finite floats are encoded as objects)")


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------
# verdicts: display, strict mode, session record
# --------------------------------------------------------------------------


def strict(on: bool | None = None) -> bool:
    """Make a wrong answer raise ``AssertionError`` (``strict(True)``), or not; return the mode.

    ``strict()`` only reports the current mode. Until ``strict(True/False)`` is called,
    the environment variable ``WT_STRICT`` decides (``1``, ``true`` or ``yes`` = strict).
    """
    global _STRICT
    if on is not None:
        if not isinstance(on, bool):
            raise TypeError(f"strict() expects True, False or None, got {on!r}")
        _STRICT = on
    if _STRICT is not None:
        return _STRICT
    return os.environ.get("WT_STRICT", "").strip().lower() in ("1", "true", "yes")


def _line(exercise_id: str, status: str, message: str | None) -> str:
    if status == CORRECT:
        return f"Exercise {exercise_id} — correct ✓" + (f" {message}" if message else "")
    if status == NOT_ATTEMPTED:
        return (
            f"Exercise {exercise_id} — not attempted yet: replace the `...` "
            "placeholder and run this cell again."
        )
    return f"Exercise {exercise_id} — not quite: {message}"


_BOX = (
    "border:2px solid #c62828;background:#fdecea;color:#5f1010;padding:0.6em 0.9em;"
    "margin:0.3em 0;border-radius:4px;white-space:pre-wrap;font-family:inherit"
)


def _html(exercise_id: str, message: str | None) -> str:
    """The red box of a wrong answer; everything from the learner is escaped."""
    head = html.escape(f"Exercise {exercise_id} — not quite:")
    body = html.escape(message or "")
    return f'<div class="wt-check wt-wrong" style="{_BOX}"><strong>{head}</strong> {body}</div>'


def _ipython_shell() -> Any:
    """Return the running IPython shell, or None (also when IPython is missing)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        return ipython.get_ipython()
    except Exception:  # a broken or partial IPython must not break a check
        return None


def _publish(bundle: dict[str, Any], text: str) -> None:
    shell = _ipython_shell()
    if shell is not None and getattr(shell, "display_pub", None) is not None:
        try:
            from IPython.display import publish_display_data

            publish_display_data(bundle)
            return
        except Exception:
            pass
    print(text)


def report(exercise_id: str, status: str, message: str | None = None) -> str:
    """Show a verdict, publish its CHECK_MIME bundle, record it for :func:`progress`.

    In IPython one display_data output carries ``text/plain`` (the line), for a wrong
    answer ``text/html`` (a red box, message escaped), and ``contract.CHECK_MIME``
    ``{"exercise", "status", "message"}``; elsewhere the line is printed. Returns the line.
    Never raises for a valid status (strict mode is applied by the caller).

    Examples
    --------
    >>> _ = report("0.1", "correct")
    Exercise 0.1 — correct ✓
    """
    exercise_id = str(exercise_id)
    if status not in (CORRECT, WRONG, NOT_ATTEMPTED):
        raise ValueError(f"status must be one of {CORRECT!r}, {WRONG!r}, {NOT_ATTEMPTED!r}")
    line = _line(exercise_id, status, message)
    bundle: dict[str, Any] = {"text/plain": line}
    if status == WRONG:
        bundle["text/html"] = _html(exercise_id, message)
    bundle[CHECK_MIME] = {"exercise": exercise_id, "status": status, "message": message}
    _SESSION[exercise_id] = (status, message)
    _publish(bundle, line)
    return line


def _conclude(exercise_id: str, status: str, message: str | None) -> None:
    line = report(exercise_id, status, message)
    if status == WRONG and strict():
        raise AssertionError(line)


# --------------------------------------------------------------------------
# Exercise: inputs, probe, judgement
# --------------------------------------------------------------------------


def _marker(kind: str, message: str) -> dict[str, str]:
    return {_MARKER: kind, "message": message}


def _safe_str(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:
        text = "<the exception's message could not be shown>"
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + "…"
    return text


def _default_probe(*answers: Any, **_: Any) -> Any:
    return answers[0] if len(answers) == 1 else list(answers)


class Exercise:
    """One exercise's check: ``inputs`` (optional), ``probe`` (optional) and ``judge``.

    Parameters
    ----------
    exercise_id : str
        ``"1.2"``: digits separated by dots, the id of the ``### Exercise 1.2`` heading.
    title : str
        A short description, shown by :func:`progress`.

    Register the three functions with the decorators :meth:`inputs`, :meth:`probe` and
    :meth:`judge` (each returns the function unchanged, so ``def _`` is fine). Call the
    instance in the notebook's check cell; the grader uses :meth:`make_inputs`,
    :meth:`run_probe` and :meth:`judge_data`.
    """

    def __init__(self, exercise_id: str, title: str = "") -> None:
        if not isinstance(exercise_id, str) or not _ID_RE.match(exercise_id):
            raise ValueError(
                f"exercise_id must be like '1.2' (digits and dots), got {exercise_id!r}"
            )
        if not isinstance(title, str):
            raise TypeError(f"title must be a string, got {type(title).__name__}")
        self.id = exercise_id
        self.title = title
        self._inputs: Callable[[np.random.Generator], dict] | None = None
        self._probe: Callable[..., Any] = _default_probe
        self._judge: Callable[..., Any] | None = None

    @property
    def exercise_id(self) -> str:
        """Same as :attr:`id`."""
        return self.id

    def __repr__(self) -> str:
        return f"Exercise({self.id!r}, {self.title!r})"

    # --- decorators ---------------------------------------------------------
    def inputs(self, fn: Callable[[np.random.Generator], dict]) -> Callable[..., dict]:
        """Register ``fn(rng) -> dict`` that draws the probe's inputs (plain data)."""
        self._inputs = _callable(fn, "inputs")
        return fn

    def probe(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Register ``fn(*answers, **inputs) -> data`` that runs in the learner's kernel."""
        self._probe = _callable(fn, "probe")
        return fn

    def judge(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Register ``fn(data, **inputs) -> str | None``, the pure judgement."""
        self._judge = _callable(fn, "judge")
        return fn

    # --- the three steps ------------------------------------------------------
    def make_inputs(self, seed: int) -> dict[str, Any]:
        """Draw the inputs with ``np.random.default_rng(seed)``, as plain data (round-tripped).

        Seed 0 is the learner's self-check; the grader uses other seeds.
        """
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        if self._inputs is None:
            return {}
        made = self._inputs(np.random.default_rng(int(seed)))
        if not isinstance(made, dict) or not all(isinstance(k, str) for k in made):
            raise TypeError(
                f"Exercise {self.id}: inputs must return a dict with string keys, "
                f"got {type(made).__name__}"
            )
        try:
            return decode(encode(made))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"Exercise {self.id}: inputs must be plain data ({exc})") from None

    def run_probe(self, answers: Sequence[Any], inputs: Mapping[str, Any]) -> Any:
        """Run the probe on the learner's `answers`; return its data, round-tripped.

        Never raises for anything the learner's code does (an ``Exception`` subclass):
        the outcome comes back as data. A placeholder answer, :class:`NotAttempted`, an
        ``AssertionError`` from :func:`call`, any other exception, or data that is not plain
        or too large become markers that :meth:`judge_data` turns into "not attempted" or
        "wrong" (never "correct"). The probe receives a deep copy of `inputs`.
        """
        answers = tuple(answers)
        if any(is_placeholder(a) for a in answers):
            return _marker(NOT_ATTEMPTED, "the answer is still the `...` placeholder")
        try:
            kwargs = copy.deepcopy(dict(inputs))
            data = self._probe(*answers, **kwargs)
        except NotAttempted as exc:
            return _marker(NOT_ATTEMPTED, _safe_str(exc))
        except AssertionError as exc:
            return _marker(WRONG, _safe_str(exc) or "the answer does not pass the check.")
        except Exception as exc:
            return _marker("raised", f"{type(exc).__name__}: {_safe_str(exc)}")
        try:
            return decode(encode(data))
        except (TypeError, ValueError, RecursionError) as exc:
            return _marker(WRONG, f"the check could not read your answer: {_safe_str(exc)}")

    def judge_data(self, data: Any, inputs: Mapping[str, Any]) -> tuple[str, str | None]:
        """Judge the probe's `data`: return ``(status, message)``. Pure: shows nothing.

        `status` is ``contract.CORRECT`` (message: the judge's note or None), ``WRONG``
        (the teaching message) or ``NOT_ATTEMPTED``. Never raises for any `data`.
        """
        if self._judge is None:
            raise RuntimeError(f"Exercise {self.id} has no judge: decorate one with @e.judge")
        if isinstance(data, dict) and _MARKER in data:
            return _judge_marker(data)
        token = _CURRENT_EXERCISE.set(self.id)
        try:
            note = self._judge(data, **copy.deepcopy(dict(inputs)))
        except NotAttempted:
            return NOT_ATTEMPTED, None
        except AssertionError as exc:
            return WRONG, _safe_str(exc) or "the answer does not pass the check."
        except Exception as exc:
            message = (
                f"the check could not use your answer ({type(exc).__name__}: {_safe_str(exc)})"
            )
            return WRONG, message
        finally:
            _CURRENT_EXERCISE.reset(token)
        return CORRECT, note if isinstance(note, str) and note else None

    def verdict(self, *answers: Any, seed: int = 0) -> tuple[str, str | None]:
        """inputs(seed) -> probe(*answers) -> judge: ``(status, message)``, shown nowhere."""
        inputs = self.make_inputs(seed)
        return self.judge_data(self.run_probe(answers, inputs), inputs)

    def __call__(self, *answers: Any) -> None:
        """The notebook's check cell: judge `answers` with seed 0, show and record the verdict.

        Raises ``AssertionError`` only in strict mode (:func:`strict`) and for a wrong answer.
        """
        status, message = self.verdict(*answers, seed=0)
        _conclude(self.id, status, message)


def _judge_marker(data: dict) -> tuple[str, str | None]:
    kind, message = data.get(_MARKER), data.get("message")
    message = message if isinstance(message, str) else ""
    if kind == NOT_ATTEMPTED:
        return NOT_ATTEMPTED, None
    if kind == "raised":
        return WRONG, f"your code raised {message}"
    return WRONG, message or "the answer does not pass the check."


def _callable(fn: Any, what: str) -> Callable[..., Any]:
    if not callable(fn):
        raise TypeError(f"@exercise.{what} decorates a function, got {type(fn).__name__}")
    return fn


def exercise(exercise_id: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Old-style decorator (deprecated: use :class:`Exercise`); the body is probe and judge.

    The wrapped check reports "not attempted" if a positional argument is the ``...``
    placeholder or the body raises :class:`NotAttempted`; "wrong" if the body raises
    (shown, not raised, except in strict mode); "correct" otherwise (a returned string is
    appended). It cannot be graded outside the learner's kernel.

    Examples
    --------
    >>> @exercise("9.1")
    ... def e9_1(answer):
    ...     assert answer == 42, "the answer is 42"
    >>> e9_1(...)
    Exercise 9.1 — not attempted yet: replace the `...` placeholder and run this cell again.
    >>> e9_1(41)
    Exercise 9.1 — not quite: the answer is 42
    """
    exercise_id = str(exercise_id)

    def decorate(check: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(check)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            if any(is_placeholder(a) for a in (*args, *kwargs.values())):
                return _conclude(exercise_id, NOT_ATTEMPTED, None)
            token = _CURRENT_EXERCISE.set(exercise_id)
            legacy = _LEGACY.set(True)
            try:
                note = check(*args, **kwargs)
            except NotAttempted:
                return _conclude(exercise_id, NOT_ATTEMPTED, None)
            except AssertionError as exc:
                message = _safe_str(exc) or "the answer does not pass the check."
                return _conclude(exercise_id, WRONG, message)
            except Exception as exc:  # the learner's code raised
                message = f"your code raised {type(exc).__name__}: {_safe_str(exc)}"
                return _conclude(exercise_id, WRONG, message)
            finally:
                _LEGACY.reset(legacy)
                _CURRENT_EXERCISE.reset(token)
            return _conclude(exercise_id, CORRECT, note if isinstance(note, str) else None)

        wrapper.exercise_id = exercise_id  # type: ignore[attr-defined]
        return wrapper

    return decorate


# --------------------------------------------------------------------------
# progress: this lesson's verdicts in this kernel session
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressRow:
    """One exercise in :func:`progress_rows`."""

    exercise: str
    title: str
    status: str
    message: str | None


def _id_key(exercise_id: str) -> tuple[int, ...]:
    return tuple(int(p) for p in exercise_id.split("."))


def _module_exercises(module_name: str) -> list[tuple[str, str]]:
    module = sys.modules.get(module_name)
    if module is None:
        raise ValueError(f"no module named {module_name!r} is imported")
    names = getattr(module, "__all__", None) or list(vars(module))
    found: dict[str, str] = {}
    for name in names:
        obj = getattr(module, name, None)
        if isinstance(obj, Exercise):
            found[obj.id] = obj.title
        elif callable(obj) and isinstance(getattr(obj, "exercise_id", None), str):
            doc = (getattr(obj, "__doc__", None) or "").strip().splitlines()
            found[obj.exercise_id] = doc[0] if doc else ""
    return sorted(found.items(), key=lambda item: _id_key(item[0]))


def exercises(module: Any) -> dict[str, Exercise]:
    """The :class:`Exercise` objects of a check module (object or name), by id in id order.

    Found through the module's ``__all__`` (every name if it has none). Old-style checks
    are not included. For the grader and for tests that compare headings with check ids.
    """
    if isinstance(module, str):
        if module not in sys.modules:
            raise ValueError(f"no module named {module!r} is imported")
        module = sys.modules[module]
    names = getattr(module, "__all__", None) or list(vars(module))
    found: dict[str, Exercise] = {}
    for name in names:
        obj = getattr(module, name, None)
        if isinstance(obj, Exercise):
            if obj.id in found and found[obj.id] is not obj:
                raise ValueError(f"{module.__name__} defines exercise {obj.id} twice")
            found[obj.id] = obj
    return dict(sorted(found.items(), key=lambda item: _id_key(item[0])))


def progress_rows(module_name: str) -> list[ProgressRow]:
    """This session's verdict for each exercise of the check module `module_name`.

    Exercises are the module's :class:`Exercise` objects (and old-style checks), found
    through its ``__all__``, in id order; an exercise whose check cell has not run in this
    kernel session is ``contract.NOT_RUN``.
    """
    rows = []
    for exercise_id, title in _module_exercises(module_name):
        status, message = _SESSION.get(exercise_id, (NOT_RUN, None))
        rows.append(ProgressRow(exercise_id, title, status, message))
    return rows


def _counts(statuses: Sequence[str]) -> str:
    parts = [f"{statuses.count(s)} {s}" for s in STATUSES]
    return " · ".join(parts) + f" (of {len(statuses)})"


_COLOURS = {CORRECT: "#1b5e20", WRONG: "#b71c1c", NOT_ATTEMPTED: "#6d4c00", NOT_RUN: "#555555"}


def progress(module_name: str) -> None:
    """Show a table of the lesson's exercises: correct / wrong / not attempted / not run.

    Each check module defines ``def progress(): return checking.progress(__name__)``; the
    lesson's last code cell calls ``check.progress()``. The table (``text/html``, with a
    ``text/plain`` version, printed outside IPython) covers this kernel session only.
    """
    rows = progress_rows(module_name)
    counts = _counts([r.status for r in rows])
    width = max((len(r.exercise) for r in rows), default=0)
    lines = [f"Progress: {counts}"]
    for r in rows:
        line = f"  {r.exercise:<{width}}  {r.status:<13}  {r.title}".rstrip()
        lines.append(line)
    text = "\n".join(lines)
    cells = []
    for r in rows:
        colour = _COLOURS.get(r.status, "inherit")
        cells.append(
            f"<tr><td>{html.escape(r.exercise)}</td><td>{html.escape(r.title)}</td>"
            f'<td style="color:{colour};font-weight:bold">{html.escape(r.status)}</td></tr>'
        )
    table = (
        '<div class="wt-progress"><p><strong>Progress:</strong> '
        f"{html.escape(counts)}</p><table><thead><tr><th>Exercise</th><th>Task</th>"
        f"<th>Status</th></tr></thead><tbody>{''.join(cells)}</tbody></table></div>"
    )
    _publish({"text/plain": text, "text/html": table}, text)


# --------------------------------------------------------------------------
# multiple choice
# --------------------------------------------------------------------------

_SALT = "weights-traversal/choice-key/v1"


def choice_key(exercise_id: str, letter: str) -> str:
    """The salted hash ``"sha256:<hex>"`` of the right `letter` of exercise `exercise_id`.

    Paste it into the check module for :func:`expect_choice`; compute it with
    ``python -m wtcourse key 1.5 c``. The salt includes the exercise id, so equal letters of
    different exercises hash differently. It hides the letter from a casual look at the
    source, not from a learner who hashes the four letters (see :mod:`wtcourse.keys`).

    Examples
    --------
    >>> choice_key("1.5", " C ") == choice_key("1.5", "c") != choice_key("1.6", "c")
    True
    """
    if not isinstance(exercise_id, str) or not _ID_RE.match(exercise_id):
        raise ValueError(f"exercise_id must be like '1.5' (digits and dots), got {exercise_id!r}")
    if not isinstance(letter, str) or not re.fullmatch(r"[a-z]", letter.strip().lower()):
        raise ValueError(f"letter must be one letter a-z, got {letter!r}")
    payload = f"{_SALT}\n{exercise_id}\n{letter.strip().lower()}".encode()
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def expect_choice(
    answer: Any,
    key: str,
    choices: Mapping[str, str],
    what: str = "your answer",
    *,
    exercise_id: str | None = None,
) -> str:
    """Check a multiple-choice `answer` (a letter, any case, spaces ignored) against `key`.

    `key` is :func:`choice_key` of the right letter (``"sha256:..."``, never the letter).
    `choices` maps each letter to the explanation shown when it is chosen; the explanation of
    the right letter is returned (the "correct" note). The exercise id for the hash is the
    one being judged (inside a judge or old-style check), or `exercise_id`.

    Examples
    --------
    >>> choices = {"a": "Rows are points, not parameters.", "b": "Yes: axis k is parameter k."}
    >>> key = choice_key("9.2", "b")
    >>> expect_choice(" B ", key, choices, exercise_id="9.2")
    'Yes: axis k is parameter k.'
    >>> expect_choice("a", key, choices, exercise_id="9.2")
    Traceback (most recent call last):
    ...
    AssertionError: (a) is not right: Rows are points, not parameters.
    >>> expect_choice("z", key, choices, exercise_id="9.2")
    Traceback (most recent call last):
    ...
    AssertionError: your answer should be one of the letters a, b; got 'z'.
    """
    exercise_id = exercise_id or _CURRENT_EXERCISE.get()
    if exercise_id is None:
        raise TypeError("expect_choice needs exercise_id= outside a check's judgement")
    if _LEGACY.get() and isinstance(key, str) and len(key.strip()) == 1:
        key = choice_key(exercise_id, key)  # old-style checks still hold the letter
    if not isinstance(key, str) or not key.startswith("sha256:"):
        raise ValueError(
            "key must be choice_key(exercise_id, letter), a 'sha256:...' string "
            "(python -m wtcourse key ID LETTER), not the letter itself"
        )
    letters = {k.strip().lower(): v for k, v in choices.items()}
    right = [k for k in letters if choice_key(exercise_id, k) == key]
    if len(right) != 1:
        raise ValueError(f"key matches none of the letters {sorted(letters)} of {exercise_id}")
    valid = ", ".join(sorted(letters))
    if is_placeholder(answer):
        raise NotAttempted(f"{what} is still the `...` placeholder")
    if not isinstance(answer, str):
        raise AssertionError(
            f'{what} should be a letter as a string, e.g. "a"; got {_describe(answer)}'
            f" (valid letters: {valid})."
        )
    chosen = answer.strip().lower()
    if chosen not in letters:
        raise AssertionError(f"{what} should be one of the letters {valid}; got {answer!r}.")
    if chosen != right[0]:
        raise AssertionError(f"({chosen}) is not right: {letters[chosen]}")
    return letters[chosen]


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
    """  # noqa: E501
    arr = _as_array(value, what)
    shape = tuple(int(n) for n in shape)
    if arr.shape != shape:
        raise AssertionError(
            f"{what}: expected shape {shape}, got {arr.shape}{_shape_hint(arr.shape, shape)}"
        )
    return arr


def _fmt_index(index: tuple[Any, ...]) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]" if index else ""


def expect_close(
    got: Any,
    expected: Any,
    what: str = "the result",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    hint: str | None = None,
) -> np.ndarray:
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
    """  # noqa: E501
    exp = np.asarray(expected)
    arr = expect_shape(got, exp.shape, what)
    suffix = f" Hint: {hint}" if hint else ""
    try:
        arr = arr.astype(float) if np.iscomplexobj(arr) is False else arr
    except (TypeError, ValueError):
        raise AssertionError(
            f"{what} should hold numbers, got dtype {arr.dtype}.{suffix}"
        ) from None
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
        msg = (
            f"{what}: {int(bad.sum())} of {bad.size} entries differ; the worst is "
            f"{what}{_fmt_index(worst)} = {g:.6g}, expected {e:.6g}."
        )
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
            raise AssertionError(
                f"{what}: {int(np.sum(bad))} of {bad.size} entries differ; the first "
                f"is {what}{_fmt_index(idx)} = {arr[idx]!r}, expected {exp[idx]!r}.{suffix}"
            )
        return got
    if got != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {got!r}.{suffix}")
    return got
