"""`python -m wtcourse`: one CLI, lazy imports, paths from the course root, checked options."""

import subprocess
import sys
from pathlib import Path

import pytest

from wtcourse import __main__ as cli
from wtcourse.paths import CourseRootError, course_root

ROOT = Path(__file__).resolve().parents[1]


def wtcourse(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "wtcourse", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_lists_every_command_and_imports_no_notebook_machinery():
    code = (
        "import sys\nfrom wtcourse.__main__ import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('nbformat', 'nbclient', 'nbconvert') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    for name in (
        "lessons",
        "solutions",
        "grade",
        "html",
        "progress",
        "key",
        "lesson",
        "map",
        "lab",
    ):
        assert f"    {name} " in out, name
    assert out.strip().endswith("[]")


def test_every_command_module_exposes_the_interface():
    import importlib
    import importlib.util

    for name, command in cli.COMMANDS.items():
        if importlib.util.find_spec(command.module) is None:
            continue  # written on another branch: the next test covers a missing module
        module = importlib.import_module(command.module)
        if name == "html" and not hasattr(module, "run"):
            pytest.skip("wtcourse.html is converted to add_arguments/run on its own branch")
        assert callable(module.add_arguments) and callable(module.run), name


def test_a_missing_command_module_is_reported(monkeypatch, capsys):
    monkeypatch.setitem(cli.COMMANDS, "progress", cli.Command("wtcourse.not_here", "x"))
    assert cli.main(["progress"]) == 2
    assert "the `progress` command is not available" in capsys.readouterr().err


def test_course_root_search(tmp_path, monkeypatch):
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    (course / "lessons").mkdir()
    deep = course / "lessons" / "a" / "b"
    deep.mkdir(parents=True)
    assert course_root(start=deep) == course.resolve()
    assert course_root(course) == course.resolve()
    with pytest.raises(CourseRootError, match="not a course folder"):
        course_root(tmp_path)
    # outside any course: the source checkout this package was imported from
    assert course_root(start=tmp_path) == ROOT


def main(args, capsys):
    """Run the CLI in this process: (exit status, stdout, stderr)."""
    try:
        status = cli.main(args)
    except SystemExit as exc:  # argparse's own errors
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("where", ["before", "after"])
def test_root_option_before_or_after_the_command(tmp_path, where, capsys):
    args = ["--root", str(tmp_path), "lessons", "--check"]
    if where == "after":
        args = ["lessons", "--check", "--root", str(tmp_path)]
    status, _, err = main(args, capsys)
    assert status == 2
    assert f"--root {tmp_path}: not a course folder" in err
    status, out, _ = main(
        args[:-1] + [str(ROOT)] if where == "after" else ["--root", str(ROOT), *args[2:]], capsys
    )
    assert status == 0 and "lessons up to date" in out


def test_commands_run_from_a_subfolder_use_the_course_root():
    result = wtcourse("lessons", "--check", cwd=ROOT / "wtcourse" / "checks")
    assert f"{len(list((ROOT / 'solutions').glob('*.ipynb')))} lessons up to date" in result.stdout


def test_key_needs_no_course_root(tmp_path):
    result = wtcourse("key", "1.5", "c", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("sha256:")


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "nan", "inf", ""])
def test_timeout_is_validated_before_any_work(bad, tmp_path, capsys):
    sentinel = tmp_path / "x.ipynb"  # would be read (and fail differently) if work started
    status, out, err = main(["solutions", "--timeout", bad, str(sentinel)], capsys)
    assert status == 2
    assert (
        "expected a positive number of seconds" in err
        and "x.ipynb" not in out + err.split("error:")[-1]
    )


def test_fractional_timeout_is_accepted():
    from nbformat.v4 import new_notebook

    from wtcourse.execute import make_client, positive_seconds

    assert positive_seconds("2.5") == 2.5
    client, _ = make_client(new_notebook(), ROOT, 2.5)
    assert client.timeout == 3  # nbclient counts whole seconds: rounded up
    with pytest.raises(ValueError, match="positive number of seconds"):
        make_client(new_notebook(), ROOT, 0)
