"""The benchmark (bench/run.py) at tiny sizes, so it never rots.

It asserts that every implementation gives the same values (and the same top-k) and
that the results JSON has the expected keys. It never asserts a timing.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "bench" / "run.py"


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run([sys.executable, "-W", "error", str(RUN), "--quick", "--out-dir", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, json.loads((out / "results.json").read_text()), (out / "RESULTS.md").read_text()


def test_results_json_has_the_expected_keys(quick):
    _, res, _ = quick
    for key in ("date", "mode", "machine", "memory_method", "bandwidth", "cases", "agreement",
                "honesty", "targets"):
        assert key in res
    assert res["mode"] == "quick"
    assert {"cpu", "cores", "numpy", "scipy", "blas"} <= set(res["machine"])
    assert res["bandwidth"]["fill_GBps"] > 0
    for row in res["cases"]:
        assert {"group", "case", "method", "points", "seconds", "points_per_s", "peak_MiB",
                "extrapolated_from"} <= set(row)
        assert row["points_per_s"] > 0


def test_every_method_and_case_is_measured(quick):
    _, res, _ = quick
    groups = {r["group"] for r in res["cases"]}
    assert groups == {"post grid", "2-D grids", "batch size", "top-k on cubes", "lesson 05 network"}
    post = {r["method"] for r in res["cases"] if r["group"] == "post grid"}
    assert post == {"np.vectorize (post)", "scipy brute", "broadcast (meshgrid + chunks)",
                    "gridlib generic chunked", "gridlib least squares"}
    # slow baselines measured on a subset say so
    assert any(r["extrapolated_from"] for r in res["cases"])


def test_all_implementations_give_the_same_values(quick):
    _, res, _ = quick
    agree = res["agreement"]
    assert agree["agreement_2d"]
    for case, diffs in agree["agreement_2d"].items():
        assert set(diffs) == {"vectorize", "brute", "broadcast", "generic"}
        for method, d in diffs.items():
            assert d < 1e-12, (case, method, d)
    assert max(agree["agreement_mlp"].values()) < 1e-12      # looped and batched network forward


def test_top_k_agrees_across_implementations(quick):
    _, res, _ = quick
    assert res["agreement"]["agreement_top_k"]
    for case, a in res["agreement"]["agreement_top_k"].items():
        assert a["same_indices_generic_vs_lsq"], case
        assert a.get("same_indices_broadcast_vs_lsq", True), case
        assert a["max_rel_values_generic_vs_lsq"] < 1e-12
        assert a["vectorize_subset_vs_lsq"] < 1e-12 and a["brute_subset_vs_lsq"] < 1e-12


def test_least_squares_path_is_numerically_honest(quick):
    _, res, _ = quick
    for r in res["cases"]:
        if r["method"] == "gridlib least squares":
            assert r["max_rel_diff_vs_direct"] < 1e-12, r["case"]
    assert res["honesty"]
    for h in res["honesty"]:
        assert h["lsq_vs_exact"] < 1e-12, h          # the least-squares path is right
        if h["grid"] == "post grid":
            assert h["lsq_vs_direct"] < 1e-12, h


def test_output_table_and_progress(quick):
    proc, res, md = quick
    assert "| case | method |" in proc.stdout and md.startswith("# gridlib benchmarks")
    assert "extrapolated from" in md and res["machine"]["cpu"] in md
    assert "gridlib least squares" in proc.stderr       # progress lines name what is measured


@pytest.mark.parametrize("target", [3, 7, 64, 10_000])
def test_subgrid_takes_the_leading_corner(target):
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    import gridlib
    g = gridlib.Grid.linspace(a=(0, 1, 5), b=(0, 1, 4), c=(0, 1, 3))
    s = mod.subgrid(g, target)
    assert s.size >= min(target, g.size)
    for full, part in zip(g.axes, s.axes):
        np.testing.assert_array_equal(full[:len(part)], part)
