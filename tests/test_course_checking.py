"""The self-checks: probe and judgement, the three outcomes, encode/decode, keys, strict mode."""

import base64
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from wtcourse import checking
from wtcourse.checking import (
    Exercise,
    NotAttempted,
    call,
    choice_key,
    decode,
    encode,
    exercise,
    expect_choice,
    expect_close,
    expect_equal,
    expect_shape,
    is_placeholder,
)
from wtcourse.contract import CHECK_MIME, CORRECT, NOT_ATTEMPTED, NOT_RUN, WRONG

FIXTURES = Path(__file__).parent / "fixtures" / "checking"
sys.path.insert(0, str(FIXTURES))
import fixture_checks as fx  # noqa: E402

NOT_ATTEMPTED_LINE = (
    "Exercise {} — not attempted yet: replace the `...` placeholder and run this cell again."
)


@pytest.fixture(autouse=True)
def clean_state(monkeypatch):
    """Each test starts with an empty session and strict mode from the environment (off)."""
    monkeypatch.delenv("WT_STRICT", raising=False)
    monkeypatch.setattr(checking, "_SESSION", {})
    monkeypatch.setattr(checking, "_STRICT", None)


@pytest.fixture
def published(monkeypatch):
    """Capture what a check publishes as IPython display data."""
    bundles = []

    class Shell:
        display_pub = object()

    monkeypatch.setattr(checking, "_ipython_shell", lambda: Shell())
    import IPython.display

    monkeypatch.setattr(IPython.display, "publish_display_data", bundles.append)
    return bundles


def sum_squares(W):
    return (W**2).sum(axis=1)


# --------------------------------------------------------------------------
# the three outcomes, through Exercise.__call__
# --------------------------------------------------------------------------


def test_placeholder_argument_is_not_attempted_and_nothing_is_called(capsys):
    assert fx.e7_1(...) is None
    assert capsys.readouterr().out.strip() == NOT_ATTEMPTED_LINE.format("7.1")


def test_function_returning_placeholder_is_not_attempted(capsys):
    fx.e7_1(lambda W: ...)
    assert capsys.readouterr().out.strip() == NOT_ATTEMPTED_LINE.format("7.1")


def test_correct_with_and_without_note(capsys):
    fx.e7_1(sum_squares)
    fx.e7_2(3.0)
    assert capsys.readouterr().out.splitlines() == [
        "Exercise 7.1 — correct ✓ one reduction along axis 1.",
        "Exercise 7.2 — correct ✓",
    ]


def test_wrong_answer_is_shown_not_raised(capsys):
    assert fx.e7_1(lambda W: W.sum(axis=1)) is None
    out = capsys.readouterr().out
    assert out.startswith("Exercise 7.1 — not quite: sum_squares(W): ")
    assert out.rstrip().endswith("Hint: sum along axis 1.")
    assert out.count("not quite") == 1


def test_learner_exception_is_captured_as_data_and_judged_wrong(capsys):
    def broken(W):
        raise ValueError("shapes do not align")

    data = fx.e7_1.run_probe((broken,), fx.e7_1.make_inputs(0))
    assert data == {"__wt_probe__": "raised", "message": "ValueError: shapes do not align"}
    assert fx.e7_1.judge_data(data, {}) == (
        WRONG,
        "your code raised ValueError: shapes do not align",
    )
    fx.e7_1(broken)  # no exception escapes
    assert capsys.readouterr().out.strip() == (
        "Exercise 7.1 — not quite: your code raised ValueError: shapes do not align"
    )


def test_learner_exception_with_a_broken_message_is_still_captured():
    class Nasty(Exception):
        def __str__(self):
            raise RuntimeError("no")

    def broken(W):
        raise Nasty()

    status, message = fx.e7_1.verdict(broken)
    assert status == WRONG and message.startswith("your code raised Nasty: <the exception's")


def test_non_callable_answer_is_wrong_with_teaching_message():
    assert fx.e7_1.verdict(3) == (WRONG, "expected a function, got a int")


def test_missing_return_message():
    status, message = fx.e7_1.verdict(lambda W: None)
    assert status == WRONG and "is None — did you forget `return`?" in message


def test_list_is_accepted_like_an_array():
    assert fx.e7_1.verdict(lambda W: [float(v) for v in (W**2).sum(axis=1)])[0] == CORRECT


def test_unencodable_answer_is_wrong_not_a_crash():
    status, message = fx.e7_2.verdict({1, 2})
    assert status == WRONG
    assert message.startswith("the check could not read your answer: set is not plain data")


def test_judge_crashing_on_odd_data_is_wrong_with_a_message():
    ex = Exercise("8.1", "indexes its data")

    @ex.judge
    def _(got):
        return "first is " + got[0]

    assert ex.verdict(["a"]) == (CORRECT, "first is a")
    status, message = ex.verdict(5)
    assert status == WRONG
    assert message.startswith("the check could not use your answer (TypeError:")


def test_learner_cannot_change_the_reference_by_mutating_inputs():
    def sneaky(v, factor):
        v[:] = 0.0  # the judge must still see the original v
        return v * factor

    assert fx.e7_4.verdict(sneaky)[0] == WRONG
    assert fx.e7_4.verdict(lambda v, f: v * f)[0] == CORRECT


def test_hard_coded_self_check_output_fails_with_another_seed():
    inputs0 = fx.e7_4.make_inputs(0)
    frozen = inputs0["v"] * inputs0["factor"]
    assert fx.e7_4.verdict(lambda v, f: frozen, seed=0)[0] == CORRECT
    assert fx.e7_4.verdict(lambda v, f: frozen, seed=1)[0] == WRONG


def test_make_inputs_is_deterministic_and_plain():
    a, b = fx.e7_1.make_inputs(5), fx.e7_1.make_inputs(5)
    for x, y in zip(a["problems"], b["problems"], strict=True):
        np.testing.assert_array_equal(x, y)
    assert fx.e7_2.make_inputs(0) == {}
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        fx.e7_1.make_inputs(-1)
    bad = Exercise("8.2")
    bad.inputs(lambda rng: {"f": print})
    with pytest.raises(TypeError, match=r"Exercise 8\.2: inputs must be plain data"):
        bad.make_inputs(0)


def test_markers_never_judge_correct_whatever_the_kernel_sends():
    for data in [
        {"__wt_probe__": "not attempted", "message": "x"},
        {"__wt_probe__": "raised", "message": "E: x"},
        {"__wt_probe__": "wrong", "message": 3},
        {"__wt_probe__": "correct", "message": "please"},
        {"__wt_probe__": None},
    ]:
        assert fx.e7_2.judge_data(data, {})[0] in (WRONG, NOT_ATTEMPTED)


def test_judge_data_is_pure(capsys):
    assert fx.e7_2.judge_data(2.0, {}) == (WRONG, "value = 2, expected 3.")
    assert capsys.readouterr().out == "" and checking._SESSION == {}


def test_exercise_validates_id_and_needs_a_judge():
    with pytest.raises(ValueError, match="exercise_id must be like '1.2'"):
        Exercise("bonus")
    with pytest.raises(RuntimeError, match="has no judge"):
        Exercise("8.3").verdict(1)
    with pytest.raises(TypeError, match="decorates a function"):
        Exercise("8.4").judge(3)


def test_probe_assertion_error_and_not_attempted_become_markers():
    ex = Exercise("8.5")

    @ex.probe
    def _(f):
        return call(f, 1)

    ex.judge(lambda got: None)
    assert ex.run_probe((...,), {})["__wt_probe__"] == NOT_ATTEMPTED
    assert ex.verdict(lambda x: ...) == (NOT_ATTEMPTED, None)
    assert ex.verdict("f") == (WRONG, "expected a function, got a str")
    assert ex.verdict(lambda x: x) == (CORRECT, None)


# --------------------------------------------------------------------------
# display: red box, MIME bundle, escaping, strict mode
# --------------------------------------------------------------------------


def test_every_verdict_publishes_a_check_bundle(published):
    fx.e7_2(...)
    fx.e7_2(3)
    fx.e7_2(4)
    assert [b[CHECK_MIME] for b in published] == [
        {"exercise": "7.2", "status": NOT_ATTEMPTED, "message": None},
        {"exercise": "7.2", "status": CORRECT, "message": None},
        {"exercise": "7.2", "status": WRONG, "message": "value = 4, expected 3."},
    ]
    assert [b["text/plain"] for b in published] == [
        NOT_ATTEMPTED_LINE.format("7.2"),
        "Exercise 7.2 — correct ✓",
        "Exercise 7.2 — not quite: value = 4, expected 3.",
    ]
    assert "text/html" not in published[0] and "text/html" not in published[1]
    box = published[2]["text/html"]
    assert "wt-wrong" in box and "#c62828" in box and "value = 4, expected 3." in box


def test_red_box_escapes_the_learners_text(published):
    ex = Exercise("8.6")
    ex.judge(lambda got: expect_equal(got, "safe", "answer"))
    ex("<script>alert('x')</script>")
    (bundle,) = published
    box = bundle["text/html"]
    assert "<script>" not in box and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in box
    assert "<script>" in bundle["text/plain"]  # plain text is not HTML


def test_strict_mode_raises_assertion_error(capsys):
    assert checking.strict() is False
    assert checking.strict(True) is True
    with pytest.raises(
        AssertionError, match=r"^Exercise 7\.2 — not quite: value = 4, expected 3\.$"
    ):
        fx.e7_2(4)
    fx.e7_2(3)  # correct and not attempted never raise
    fx.e7_2(...)
    checking.strict(False)
    fx.e7_2(4)
    assert checking._SESSION["7.2"][0] == WRONG
    with pytest.raises(TypeError, match="strict"):
        checking.strict("yes")


@pytest.mark.parametrize("value, expected", [("1", True), ("yes", True), ("0", False), ("", False)])
def test_strict_mode_from_environment(monkeypatch, value, expected):
    monkeypatch.setenv("WT_STRICT", value)
    assert checking.strict() is expected
    checking.strict(False)
    assert checking.strict() is False  # an explicit choice wins over the environment


def test_strict_from_environment_raises(monkeypatch):
    monkeypatch.setenv("WT_STRICT", "1")
    with pytest.raises(AssertionError, match="not quite"):
        fx.e7_2(4)


# --------------------------------------------------------------------------
# progress (this session)
# --------------------------------------------------------------------------


def test_progress_rows_and_table(capsys, published):
    fx.e7_1(sum_squares)
    fx.e7_2(4)
    fx.e7_2(3)  # the latest verdict wins
    fx.e7_3("a")
    fx.e7_5(...)
    published.clear()
    rows = checking.progress_rows(fx.__name__)
    assert [(r.exercise, r.status) for r in rows] == [
        ("7.1", CORRECT),
        ("7.2", CORRECT),
        ("7.3", WRONG),
        ("7.4", NOT_RUN),
        ("7.5", NOT_ATTEMPTED),
        ("7.6", NOT_RUN),
    ]
    fx.progress()
    (bundle,) = published
    text = bundle["text/plain"]
    assert text.splitlines()[0] == (
        "Progress: 2 correct · 1 wrong · 1 not attempted · 2 not run (of 6)"
    )
    assert re.search(r"^  7\.3  wrong +which axis$", text, re.MULTILINE)
    assert bundle["text/html"].count("<tr>") == 7 and "not attempted" in bundle["text/html"]


def test_progress_includes_old_style_checks():
    mod = type(sys)("old_style_checks")

    @exercise("9.3")
    def e9_3(x):
        """Exercise 9.3: an old one."""
        assert x == 1, "one"

    mod.e9_3, mod.__all__ = e9_3, ["e9_3"]
    sys.modules[mod.__name__] = mod
    try:
        e9_3(2)
        assert [(r.exercise, r.title, r.status) for r in checking.progress_rows(mod.__name__)] == [
            ("9.3", "Exercise 9.3: an old one.", WRONG)
        ]
    finally:
        del sys.modules[mod.__name__]
    with pytest.raises(ValueError, match="no module named"):
        checking.progress_rows("not_imported_anywhere")


# --------------------------------------------------------------------------
# old-style decorator (kept until every check module is converted)
# --------------------------------------------------------------------------


@exercise("1.2")
def old_e1_2(batch_loss):
    losses = call(batch_loss, np.array([[1.0, 2.0], [3.0, 4.0]]))
    expect_close(losses, [5.0, 25.0], "batch_loss(W)", hint="sum the squares along axis 1.")


def test_old_style_outcomes_do_not_raise(capsys):
    old_e1_2(...)
    old_e1_2(lambda W: (W**2).sum(axis=1))
    assert old_e1_2(lambda W: W.sum(axis=1)) is None
    old_e1_2(lambda W: 1 / 0)
    assert capsys.readouterr().out.splitlines() == [
        NOT_ATTEMPTED_LINE.format("1.2"),
        "Exercise 1.2 — correct ✓",
        "Exercise 1.2 — not quite: batch_loss(W): 2 of 2 entries differ; the worst is "
        "batch_loss(W)[1] = 7, expected 25. Hint: sum the squares along axis 1.",
        "Exercise 1.2 — not quite: your code raised ZeroDivisionError: division by zero",
    ]
    checking.strict(True)
    with pytest.raises(AssertionError, match=r"^Exercise 1\.2 — not quite: batch_loss"):
        old_e1_2(lambda W: W.sum(axis=1))


def test_old_style_choice_with_plain_letter_still_works(capsys):
    @exercise("3.1")
    def e3_1(answer):
        return expect_choice(answer, "a", {"a": "Yes.", "b": "No: that is the gradient."})

    e3_1("b")
    e3_1("A")
    assert capsys.readouterr().out.splitlines() == [
        "Exercise 3.1 — not quite: (b) is not right: No: that is the gradient.",
        "Exercise 3.1 — correct ✓ Yes.",
    ]


# --------------------------------------------------------------------------
# multiple choice with hashed keys
# --------------------------------------------------------------------------


def test_choice_key_is_salted_by_exercise_and_normalized():
    key = choice_key("7.3", "b")
    assert key == fx.KEY_7_3
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", key)
    assert choice_key("7.3", " B ") == key
    assert len({choice_key("7.3", x) for x in "abcd"} | {choice_key("7.4", "b")}) == 5
    for bad in [("bonus", "a"), ("7.3", "ab"), ("7.3", ""), ("7.3", 1)]:
        with pytest.raises(ValueError):
            choice_key(*bad)


def test_check_module_holds_no_plain_letter():
    source = (FIXTURES / "fixture_checks.py").read_text()
    assert not re.search(r"expect_choice\([^)]*['\"][a-d]['\"]", source)


def test_multiple_choice_outcomes():
    assert fx.e7_3.verdict(...) == (NOT_ATTEMPTED, None)
    assert fx.e7_3.verdict(" B\n") == (CORRECT, "Yes: axis k is parameter k.")
    assert fx.e7_3.verdict("c") == (WRONG, "(c) is not right: No.")
    assert fx.e7_3.verdict("d") == (
        WRONG,
        "your answer should be one of the letters a, b, c; got 'd'.",
    )
    status, message = fx.e7_3.verdict(None)
    assert (
        status == WRONG and "a letter as a string" in message and "None — did you forget" in message
    )


def test_expect_choice_refuses_plain_or_foreign_keys():
    choices = {"a": "x", "b": "y"}
    with pytest.raises(ValueError, match="not the letter itself"):
        expect_choice("a", "a", choices, exercise_id="7.3")
    with pytest.raises(ValueError, match="matches none of the letters"):
        expect_choice("a", choice_key("7.4", "a"), choices, exercise_id="7.3")
    with pytest.raises(TypeError, match="needs exercise_id"):
        expect_choice("a", choice_key("7.3", "a"), choices)
    with pytest.raises(NotAttempted):
        expect_choice(..., choice_key("7.3", "a"), choices, exercise_id="7.3")


def test_key_command_prints_the_hash(capsys):
    import argparse

    from wtcourse import keys

    parser = argparse.ArgumentParser()
    keys.add_arguments(parser)
    assert keys.run(parser.parse_args(["7.3", "B"])) == 0
    assert capsys.readouterr().out.strip() == fx.KEY_7_3
    assert keys.run(parser.parse_args(["bonus", "b"])) == 2
    assert "exercise_id must be like" in capsys.readouterr().err
    out = subprocess.run(
        [sys.executable, "-m", "wtcourse.keys", "7.3", "b"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == fx.KEY_7_3


# --------------------------------------------------------------------------
# encode / decode
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        None,
        True,
        0,
        -(2**70),
        1.5,
        "é ✓ <b>",
        [1, [2, [3, {"a": [None]}]]],
        {"w": np.arange(6, dtype=np.int16).reshape(2, 3), "flag": np.array([True, False])},
        np.array(["ab", "c"]),
        np.zeros((0, 3)),
        np.array(2.5),
        np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        np.array([np.nan, np.inf, -np.inf, 1e-300]),
    ],
)
def test_encode_decode_round_trip(data):
    back = decode(encode(data))
    if isinstance(data, np.ndarray):
        assert isinstance(back, np.ndarray) and back.dtype == data.dtype
        np.testing.assert_array_equal(back, data)
    elif isinstance(data, dict):
        assert back.keys() == data.keys()
        for k in data:
            np.testing.assert_array_equal(back[k], data[k])
            assert back[k].dtype == data[k].dtype
    else:
        assert back == data and type(back) is type(data)


def test_encode_canonical_forms():
    assert decode(encode((1, 2))) == [1, 2]
    back = decode(encode([np.int64(3), np.float32(0.5), np.bool_(True)]))
    assert back == [3, 0.5, True] and [type(v) for v in back] == [int, float, bool]
    nan, inf, minf = decode(encode([float("nan"), float("inf"), -float("inf")]))
    assert np.isnan(nan) and inf == np.inf and minf == -np.inf
    text = encode({"x": float("nan")})
    assert "NaN" not in text and json.loads(text) == {"x": {"__float__": "nan"}}


@pytest.mark.parametrize(
    "data, error, match",
    [
        (1 + 2j, TypeError, "complex numbers"),
        (np.complex128(1), TypeError, "complex numbers"),
        (np.array([1j]), TypeError, "dtype complex128"),
        (np.array([object(), 1], dtype=object), TypeError, "dtype object"),
        (np.array([(1, 2.0)], dtype="i4,f8"), TypeError, "not accepted"),
        (np.array(["2020-01-01"], dtype="datetime64[D]"), TypeError, "not accepted"),
        ({1: "a"}, TypeError, "dict keys must be strings"),
        ({"__ndarray__": "x"}, ValueError, "reserved"),
        ({"a", "b"}, TypeError, "set is not plain data"),
        (b"bytes", TypeError, "bytes is not plain data"),
        (print, TypeError, "is not plain data"),
    ],
)
def test_encode_refuses(data, error, match):
    with pytest.raises(error, match=match):
        encode(data)


def test_size_cap_and_depth():
    with pytest.raises(ValueError, match="too large"):
        encode(np.zeros(1000), max_bytes=1000)
    text = encode(np.zeros(1000))
    with pytest.raises(ValueError, match="too large"):
        decode(text, max_bytes=len(text) - 1)
    with pytest.raises(ValueError, match="too large"):
        encode(np.zeros(2 * checking.MAX_BYTES // 8 + 1))
    nested = []
    for _ in range(checking.MAX_DEPTH + 2):
        nested = [nested]
    with pytest.raises(ValueError, match="nested deeper"):
        encode(nested)
    with pytest.raises(ValueError, match="nested deeper"):
        decode("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="positive integer"):
        encode(1, max_bytes=0)


def _npy(arr, **kw):
    buf = io.BytesIO()
    np.save(buf, arr, **kw)
    return buf.getvalue()


def _wrap(raw: bytes) -> str:
    return json.dumps({"__ndarray__": base64.b64encode(raw).decode()})


def test_decode_refuses_pickle_bait_and_lying_headers():
    pickled = _npy(np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="refused dtype object"):
        decode(_wrap(pickled))
    honest = _npy(np.zeros(4))
    # a header that claims a huge shape but carries 32 bytes must not allocate
    buf = io.BytesIO()
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**11,)}
    np.lib.format.write_array_header_1_0(buf, header)
    with pytest.raises(ValueError, match=r"claims shape \(100000000000,\)"):
        decode(_wrap(buf.getvalue() + bytes(32)))
    with pytest.raises(ValueError, match="claims shape"):
        decode(_wrap(honest + b"extra"))
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": (0, -5)}
    )
    with pytest.raises(ValueError, match="negative shape"):
        decode(_wrap(buf.getvalue()))
    with pytest.raises(ValueError, match="bad .npy header"):
        decode(_wrap(b"not an npy file at all"))
    with pytest.raises(ValueError, match="not valid base64"):
        decode('{"__ndarray__": "@@@"}')
    with pytest.raises(ValueError, match="must be a base64 string"):
        decode('{"__ndarray__": 3}')
    with pytest.raises(ValueError, match="alone in its object"):
        decode(json.dumps({"__ndarray__": base64.b64encode(honest).decode(), "x": 1}))


def test_decode_refuses_malformed_text():
    with pytest.raises(ValueError, match="not valid JSON"):
        decode("{")
    with pytest.raises(ValueError, match="bare NaN"):
        decode("[NaN]")
    with pytest.raises(ValueError, match="non-finite float"):
        decode('{"__float__": "1e5"}')
    with pytest.raises(TypeError, match="str or bytes"):
        decode(3)


# --------------------------------------------------------------------------
# expect_* helpers (messages unchanged)
# --------------------------------------------------------------------------


def test_is_placeholder_and_call():
    assert is_placeholder(...) and not is_placeholder(None) and not is_placeholder(0)
    with pytest.raises(NotAttempted):
        call(..., 1)
    with pytest.raises(AssertionError, match="expected a function, got a int"):
        call(3)


def re_shape(shape):
    return re.escape(str(tuple(shape)))


@pytest.mark.parametrize(
    "got, expected, hint",
    [
        (np.zeros((5, 1)), (5,), "did you keep a trailing axis"),
        (np.zeros((3, 2)), (2, 3), "the axes are swapped"),
        (np.zeros(5), (5, 1), "a trailing axis of length 1 is missing"),
        (np.float64(1.0), (5,), "did you sum over every axis"),
    ],
)
def test_expect_shape_hints(got, expected, hint):
    with pytest.raises(
        AssertionError,
        match=rf"losses: expected shape {re_shape(expected)}, got {re_shape(got.shape)} — .*{hint}",
    ):
        expect_shape(got, expected, "losses")


def test_expect_close_scalar_and_nan():
    expect_close(np.nan, np.nan)
    with pytest.raises(AssertionError, match=r"^lr = nan, expected 0\.1\.$"):
        expect_close(np.nan, 0.1, "lr")
    with pytest.raises(AssertionError, match=r"should hold numbers"):
        expect_close(["a", None], [1.0, 2.0])


def test_expect_equal_arrays():
    expect_equal(np.arange(3), np.arange(3))
    with pytest.raises(
        AssertionError, match=r"idx: 1 of 3 entries differ; the first is idx\[2\] = "
    ):
        expect_equal(np.array([0, 1, 5]), np.arange(3), "idx")


def test_checking_imports_no_notebook_machinery():
    code = (
        "import sys, wtcourse.checking, wtcourse; "
        "bad = [m for m in ('nbformat', 'nbclient', 'IPython') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_exercises_lists_a_modules_exercises_in_id_order():
    found = checking.exercises(fx.__name__)
    assert list(found) == ["7.1", "7.2", "7.3", "7.4", "7.5", "7.6"]
    assert found["7.3"] is fx.e7_3 and checking.exercises(fx) == found
    mod = type(sys)("twice")
    mod.a, mod.b, mod.__all__ = Exercise("1.1"), Exercise("1.1"), ["a", "b"]
    with pytest.raises(ValueError, match="defines exercise 1.1 twice"):
        checking.exercises(mod)


def test_answers_that_are_not_plain_data_are_wrong_not_a_crash():
    status, message = fx.e7_4.verdict(lambda v, f: np.array([object(), 1], dtype=object))
    assert status == WRONG
    assert message == (
        "the check could not read your answer: arrays of dtype object are not accepted as data "
        "(booleans, integers, floats or strings only)"
    )
    status, message = fx.e7_4.verdict(lambda v, f: np.zeros(checking.MAX_BYTES // 8 + 1))
    assert status == WRONG and message.startswith("the check could not read your answer: ")
    assert "too large" in message
    assert fx.e7_4.verdict(lambda v, f: (v * f).astype(complex))[0] == WRONG
