"""pyproject.toml and environment.yml list the same packages with the same ranges."""
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")


def _split(req: str) -> tuple[str, str]:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", req)
    assert m, f"cannot parse requirement {req!r}"
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in meta["optional-dependencies"].values():
        reqs += extra
    return dict(_split(r) for r in reqs)


def conda_requirements() -> dict[str, str]:
    out = {}
    in_deps = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        m = re.match(r"^  - ([^#]+?)\s*$", line) if in_deps else None
        if m and not m.group(1).startswith("pip"):
            name, spec = _split(m.group(1))
            if name != "python":
                out[name] = spec
    return out


def test_environment_yml_matches_pyproject():
    assert conda_requirements() == pyproject_requirements()


def test_environment_yml_installs_the_project_with_pip():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s+- pip:\s*\n\s+- -e \.\s*$", text, re.M)
    assert "conda-forge" in text


def test_plotly_is_pinned_exactly():
    assert pyproject_requirements()["plotly"].startswith("==")


def test_every_range_has_lower_and_upper_bound():
    for name, spec in pyproject_requirements().items():
        assert spec.startswith("==") or (">=" in spec and "<" in spec.replace("<=", "<")), (name, spec)


def test_importing_gridlib_does_not_import_notebook_machinery():
    import subprocess

    code = "import sys, gridlib; print(sorted(m for m in ('nbformat', 'nbclient', 'nbconvert') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
