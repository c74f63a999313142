"""The benchmark (bench/run.py) at tiny sizes, so it never rots.

It checks that every method gives the same values (and the same top-k), that every
target in bench/targets.json is judged, and that the three output files are written.
It never asserts a timing.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gridlib

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"


def _load(name: str):
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(BENCH / "run.py"), "--quick", "--out-dir", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((out / "results.json").read_text())
    return proc, res, (out / "RESULTS.md").read_text(), (out / "README-table.md").read_text()


def test_every_method_gives_the_same_values(quick):
    _, res, _, _ = quick
    assert len(res["agreement"]) >= 5
    for case, diffs in res["agreement"].items():
        for method, d in diffs.items():
            if isinstance(d, bool):
                assert d, (case, method)  # top-k indices equal the full-sort reference
            else:
                assert d < 1e-12, (case, method, d)
    post = next(v for k, v in res["agreement"].items() if k.startswith("post grid"))
    assert {"post's code", "scipy brute", "broadcast", "generic"} <= set(post)


def test_every_section_and_baseline_is_measured(quick):
    _, res, _, _ = quick
    sections = {r["section"] for r in res["cases"]}
    assert sections == {"post grid", "memory limit", "batch size", "BLAS threads", "top-k"}
    post = {r["method"] for r in res["cases"] if r["section"] == "post grid"}
    assert {
        "post's code (np.vectorize)",
        "scipy.optimize.brute(finish=None)",
        "gridlib least squares, construction included",
    } <= post
    for r in res["cases"]:
        assert r["memory"] in {"fresh", "re-used"} and r["points_per_s"] > 0
        if r["section"] != "BLAS threads":
            assert r.get("x_post") is not None, r["method"]
    assert any(r["extrapolated_from"] for r in res["cases"])


def test_every_target_in_the_data_file_is_judged(quick):
    _, res, md, table = quick
    spec = json.loads((BENCH / "targets.json").read_text())["targets"]
    judged = {t["id"]: t for t in res["targets"]}
    assert set(judged) == {t["id"] for t in spec}
    for t in judged.values():
        assert isinstance(t["met"], bool)
        assert t["what"] in md and t["what"] in table
        if not t["met"]:
            assert t["why"], t["id"]  # a missed target says why
    assert "How each baseline is written" in md and "## Targets" in md


def test_least_squares_is_never_negative_and_matches_exact(quick):
    _, res, _, _ = quick
    assert res["honesty"]
    for h in res["honesty"]:
        assert h["never_negative"] and h["ls_vs_exact"] < 1e-12, h


def test_post_baseline_is_the_posts_loss():
    post = _load("post_baseline")
    X, y, X_B, y_B = post.post_data(np.random.default_rng(1))
    assert X.shape == (45, 2) and X_B.shape == (5, 2) and np.all((X[:, 0] >= 0) & (X[:, 0] < 10))
    grid = gridlib.Grid.linspace(w1=(-3, 3, 7), w2=(-5, 5, 9))
    Z = post.post_grid_values(X_B, y_B, *grid.axes)
    assert Z.shape == (9, 7)  # meshgrid's "xy" order, as in the post
    loop = np.array(
        [[np.sum((y_B - X_B @ np.array([a, b])) ** 2) for b in grid.axes[1]] for a in grid.axes[0]]
    )
    np.testing.assert_allclose(Z.T, loop, rtol=1e-13)
    np.testing.assert_allclose(post.post_loss_nd(X_B, y_B, grid.axes), loop, rtol=1e-13)


@pytest.mark.parametrize("target", [3, 7, 64, 10_000])
def test_subgrid_takes_the_leading_corner(target):
    run = _load("run")
    g = gridlib.Grid.linspace(a=(0, 1, 5), b=(0, 1, 4), c=(0, 1, 3))
    s = run.subgrid(g, target)
    assert s.size >= min(target, g.size)
    for full, part in zip(g.axes, s.axes, strict=True):
        np.testing.assert_array_equal(full[: len(part)], part)
