"""Print pip constraints that pin every declared dependency to its lowest allowed version.

``python .ci/lowest.py > constraints.txt`` reads pyproject.toml (the dependencies and
every optional extra) and writes ``name==X`` for each ``name>=X,...`` or ``name==X``.
`make test-lowest` and the CI's lowest-versions job install with these constraints, so
the lower bounds the project declares are the versions it is tested with.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10: pip vendors a TOML reader
    from pip._vendor import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]


def lowest(requirement: str) -> str:
    """``"numpy>=1.26,<3"`` -> ``"numpy==1.26"``; a requirement without a lower bound fails."""
    m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*(.*?)\s*", requirement)
    if not m:
        raise SystemExit(f"cannot parse requirement {requirement!r}")
    name, spec = m.group(1), m.group(2).replace(" ", "")
    bound = re.search(r"(?:^|,)(?:>=|==)([^,;]+)", spec)
    if not bound:
        raise SystemExit(f"{name}: no lower bound (>= or ==) in {spec!r}")
    return f"{name}=={bound.group(1)}"


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    for line in sorted({lowest(r) for r in requirements}, key=str.lower):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
