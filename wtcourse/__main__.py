"""``python -m wtcourse COMMAND``: the one command line of the course tools.

Each command lives in its own module, which exposes ``add_arguments(parser)`` and
``run(args) -> int``. A module is imported only when its command runs (``--help``
imports none), and a command whose module is missing from this copy of the course
says so instead of failing with a traceback. Before ``run`` is called, ``args.root``
is the resolved course root (see :mod:`wtcourse.paths`) for every command that needs
one.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .paths import CourseRootError, course_root

__all__ = ["COMMANDS", "Command", "build_parser", "main"]


@dataclass(frozen=True)
class Command:
    """A subcommand: the module that implements it and its one-line help."""

    module: str
    help: str
    needs_root: bool = True


COMMANDS: dict[str, Command] = {
    "lab": Command("wtcourse.lab", "start JupyterLab on lesson 00 and print its link"),
    "lessons": Command(
        "wtcourse.generate", "generate lessons/ from solutions/ (never overwrites a learner's work)"
    ),
    "solutions": Command(
        "wtcourse.execute", "execute solution notebooks in a fresh kernel and store their outputs"
    ),
    "grade": Command("wtcourse.grade", "grade submitted notebooks (RUNS THE SUBMITTED CODE)"),
    "html": Command("wtcourse.html", "build the static site (site/) from the solutions"),
    "progress": Command(
        "wtcourse.progress", "each lesson's exercises: correct / wrong / not attempted / not run"
    ),
    "key": Command(
        "wtcourse.keys", "the hashed key of a multiple-choice answer (for a check module)", False
    ),
    "lesson": Command(
        "wtcourse.scaffold", "scaffold a new lesson: solutions/NN-topic.ipynb and its checks"
    ),
    "map": Command(
        "wtcourse.coursemap", "check (or --write) the course map: README table, lesson 00, nav"
    ),
}


def _add_root(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--root",
        type=Path,
        default=default,
        help="the course folder (with solutions/ and lessons/); default: the current folder "
        "or the nearest parent that is one",
    )


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser and one (still empty) subparser per command."""
    parser = argparse.ArgumentParser(
        prog="python -m wtcourse", description="Weights Traversal course tools."
    )
    _add_root(parser, None)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    subparsers = {}
    for name, command in COMMANDS.items():
        p = sub.add_parser(name, help=command.help, description=command.help)
        _add_root(p, argparse.SUPPRESS)  # `--root` before or after the command name
        subparsers[name] = p
    return parser, subparsers


def _command_in(argv: Sequence[str]) -> str | None:
    """The command named in `argv` (skipping ``--root DIR``), if any."""
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token == "--root":
            skip = True
        elif token in COMMANDS:
            return token
        elif not token.startswith("-"):
            return None
    return None


def _load(name: str):
    """Import the module behind command `name`, or return an error message."""
    command = COMMANDS[name]
    try:
        spec = importlib.util.find_spec(command.module)
    except ModuleNotFoundError:
        spec = None
    if spec is None:
        return None, (
            f"the `{name}` command is not available in this copy of the course "
            f"(its module {command.module} is missing)"
        )
    module = importlib.import_module(command.module)
    if not (callable(getattr(module, "add_arguments", None)) and callable(getattr(module, "run", None))):
        return None, f"{command.module} does not define add_arguments(parser) and run(args)"
    return module, None


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv`, resolve the course root, run the command; return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, subparsers = build_parser()
    name = _command_in(argv)
    module = None
    if name is not None:
        module, error = _load(name)
        if error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        sub = subparsers[name]
        description = getattr(module, "DESCRIPTION", None) or (module.__doc__ or "").strip()
        if description:
            sub.description = description
            sub.formatter_class = argparse.RawDescriptionHelpFormatter
        module.add_arguments(sub)
    args = parser.parse_args(argv)
    assert module is not None  # argparse exits when no command is given
    if COMMANDS[args.command].needs_root:
        try:
            args.root = course_root(args.root)
        except CourseRootError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
