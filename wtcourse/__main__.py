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
        help="the course folder (the one with solutions/); default: the current folder "
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
        subparsers[name] = sub.add_parser(name, help=command.help, description=command.help)
    return parser, subparsers


def _command_in(argv: Sequence[str]) -> tuple[str | None, str | None]:
    """The command named in `argv` and the ``--root DIR`` given before it, if any."""
    root = None
    tokens = iter(argv)
    for token in tokens:
        if token == "--root":
            root = next(tokens, None)
        elif token.startswith("--root="):
            root = token.split("=", 1)[1]
        elif token in COMMANDS:
            return token, root
        elif not token.startswith("-"):
            break
    return None, root


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
    if not (
        callable(getattr(module, "add_arguments", None)) and callable(getattr(module, "run", None))
    ):
        return None, f"{command.module} does not define add_arguments(parser) and run(args)"
    return module, None


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv`, resolve the course root, run the command; return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, subparsers = build_parser()
    name, root_before = _command_in(argv)
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
        if "--root" not in sub._option_string_actions:  # `--root` also after the command
            _add_root(sub, None)
    args = parser.parse_args(argv)
    if getattr(args, "root", None) is None and root_before is not None:
        args.root = Path(root_before)  # a subcommand's default must not hide it
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
