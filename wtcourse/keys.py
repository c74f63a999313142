"""``python -m wtcourse key 1.5 c``: print the salted hash of a multiple-choice answer.

A check module never holds the right letter of a multiple-choice exercise in plain text:
it holds ``choice_key(exercise_id, letter)`` (``"sha256:..."``, see
:func:`wtcourse.checking.choice_key`), which :func:`wtcourse.checking.expect_choice`
compares with the hash of the learner's letter. Compute the key once with this command and
paste it into the check module as a string literal::

    $ python -m wtcourse key 1.5 c
    sha256:...

What it protects against: casual reading. ``check.e1_5??`` or a glance at the installed
check module no longer shows the answer. What it does not: a determined learner, who can
call ``choice_key("1.5", x)`` for the four letters and compare (four guesses; the salt
only makes keys differ between exercises). Grading does not depend on the key being
secret: verdicts come from the teacher's copy of the checks.
"""

from __future__ import annotations

import argparse
import sys

from .checking import choice_key

__all__ = ["add_arguments", "main", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments: ``EXERCISE LETTER``."""
    parser.add_argument("exercise", help="exercise id, e.g. 1.5")
    parser.add_argument("letter", help="the right letter, e.g. c (any case)")


def run(args: argparse.Namespace) -> int:
    """Print the key; exit code 0, or 2 with a message for a bad id or letter."""
    try:
        print(choice_key(args.exercise, args.letter))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run as ``python -m wtcourse.keys EXERCISE LETTER``."""
    parser = argparse.ArgumentParser(
        prog="python -m wtcourse key",
        description="Print the salted hash of a multiple-choice answer for a check module.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
