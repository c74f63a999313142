"""``python -m wtcourse {lessons,solutions,grade}`` (see each module's docstring)."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m wtcourse",
                                     description="Weights Traversal course tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    from . import generate, execute, grade  # imported here: they need nbformat/nbclient
    p = sub.add_parser("lessons", help="generate lessons/ from solutions/ (never overwrites "
                       "a learner's work without --force)",
                       description="Generate lessons/ from solutions/: answers become "
                       "placeholders, outputs are cleared.")
    generate.add_arguments(p)
    p.set_defaults(run=generate.run)
    p = sub.add_parser("solutions", help="execute solution notebooks and store their outputs",
                       description="Execute solution notebooks in a fresh kernel and store them "
                       "(outputs kept, no widget state, no timing metadata).")
    execute.add_arguments(p)
    p.set_defaults(run=execute.run)
    p = sub.add_parser("grade", help="grade submitted notebooks (RUNS THE SUBMITTED CODE)",
                       description=grade.DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    grade.add_arguments(p)
    p.set_defaults(run=grade.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
