"""``import gridlib`` stays numeric: no notebook or course machinery is loaded (issue 13)."""

import json
import subprocess
import sys

import pytest

HEAVY = ["nbformat", "nbclient", "nbconvert", "IPython", "ipykernel", "jupyter_client", "wtcourse"]

_PROBE = """
import json, sys
import gridlib
{touch}
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}})))
"""


def _loaded_after(touch: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(touch=touch)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "touch",
    [
        "",
        "gridlib.plotting.contour",
        "gridlib.search.coarse_to_fine; gridlib.nn.MLP",
        "import gridlib.plotting, gridlib.search, gridlib.nn, gridlib.minima, gridlib.theory",
    ],
)
def test_import_gridlib_loads_no_notebook_machinery(touch):
    loaded = _loaded_after(touch)
    assert "gridlib" in loaded and "numpy" in loaded  # the probe itself worked
    assert not loaded & set(HEAVY), f"import gridlib; {touch} loaded {sorted(loaded & set(HEAVY))}"


def test_the_probe_would_see_a_heavy_import():
    """The check can fail: importing one of the forbidden modules is detected."""
    assert "nbformat" in _loaded_after("import nbformat")
