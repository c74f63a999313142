"""Benchmarks: how fast gridlib evaluates grids, against what users would otherwise run.

Run ``make bench`` (or ``python bench/run.py``). One process, one run, the same grids
and data for every method:

1. the blog post's ``np.vectorize`` loss (one Python call per grid point),
2. ``scipy.optimize.brute(..., finish=None)`` (scipy's grid search, one call per point),
3. a straightforward broadcast implementation (``np.meshgrid`` of the whole grid, then
   the residual matrix of a chunk of points at once),
4. gridlib's generic chunked evaluation of a batched loss
   (``gridlib.evaluate(lambda P: gridlib.sum_squared_residuals(P, X, y), grid)``),
5. gridlib's least-squares path (``gridlib.evaluate(gridlib.LeastSquares(X, y), grid)``,
   sufficient statistics and the grid's product structure).

Timings are the best of a few runs (``time.perf_counter``). Peak memory is measured
with ``tracemalloc`` (numpy registers its buffers with it) in one separate traced run of
each method, as MiB above the traced memory before the call (the returned result
included). Methods that loop over points in Python are timed on a sub-grid and
extrapolated per point; the output says so ("extrapolated from N points").

Progress goes to stderr, the table to stdout; the results are written to
``bench/results.json`` and ``bench/RESULTS.md``. ``--quick`` runs tiny sizes (the test
suite uses it to check that every method gives the same values; it never asserts timings).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import math
import os
import platform
import sys
import time
import tracemalloc
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _pin_blas_threads(argv: list[str]) -> None:
    """Set the BLAS thread count before numpy loads (``--blas-threads N``, default 1, 0: library default).

    On a 2-core machine shared with other work, OpenBLAS's threads make the skinny
    products of a chunked evaluation (65 536 x 2 times 2 x 5) hundreds of times slower
    than one thread; none of the methods compared here gains from a second BLAS thread.
    """
    n = "1"
    for i, a in enumerate(argv):
        if a == "--blas-threads" and i + 1 < len(argv):
            n = argv[i + 1]
        elif a.startswith("--blas-threads="):
            n = a.split("=", 1)[1]
    if n != "0":
        for var in BLAS_THREAD_VARS:
            os.environ.setdefault(var, n)


if __name__ == "__main__":
    _pin_blas_threads(sys.argv[1:])

import numpy as np  # noqa: E402  (after the BLAS thread count is set)
import scipy  # noqa: E402
import scipy.optimize  # noqa: E402

import gridlib  # noqa: E402

HERE = Path(__file__).resolve().parent
MiB = 1024.0 ** 2

# --------------------------------------------------------------------------- sizes
FULL = {
    "post_subset": {"vectorize": 10 ** 9, "brute": 10 ** 9},     # the whole post grid
    "grids2d": {1_000_000: (400, 2500), 10_000_000: (1000, 10_000), 100_000_000: (4000, 25_000)},
    "grid_batch": (1000, 10_000),                                  # the batch-size sweep grid
    "batch_sizes": (5, 45, 1000, 100_000),
    "cubes": {4: 31, 6: 15, 8: 8},                                 # D: points per axis
    "cube_half_width": 2.0,
    "top_k": 10,
    "mlp": {"n_hidden": 8, "n_samples": 45, "n_points": 20_000, "loop_points": 5_000},
    "python_loop_budget": 0.3,       # seconds: sub-grid size for the per-point Python baselines
    "vectorized_full_limit": 1e8,    # points * B above which broadcast/generic run on a sub-grid
    "broadcast_meshgrid_limit": 2.5e9,   # bytes of np.meshgrid the broadcast baseline may allocate
    "honesty_noise": (6.0, 1e-3, 1e-6),
    "exact_points": 60,
    "bandwidth_bytes": 2 ** 30,
    "repeat": 3,
}
QUICK = {
    "post_subset": {"vectorize": 2000, "brute": 1000},
    "grids2d": {20_000: (40, 500), 60_000: (100, 600)},
    "grid_batch": (40, 500),
    "batch_sizes": (5, 45, 1000),
    "cubes": {3: 9, 4: 7},
    "cube_half_width": 2.0,
    "top_k": 5,
    "mlp": {"n_hidden": 4, "n_samples": 10, "n_points": 200, "loop_points": 50},
    "python_loop_budget": 0.02,
    "vectorized_full_limit": 2e6,
    "broadcast_meshgrid_limit": 1e8,
    "honesty_noise": (6.0, 1e-6),
    "exact_points": 8,
    "bandwidth_bytes": 2 ** 24,
    "repeat": 1,
}


# --------------------------------------------------------------------------- helpers
def progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class T(NamedTuple):
    """A duration on two clocks: wall (``perf_counter``) and this process's CPU (``process_time``)."""

    wall: float
    cpu: float

    def __mul__(self, f):
        return T(self.wall * f, self.cpu * f)

    def __truediv__(self, f):
        return T(self.wall / f, self.cpu / f)

    def __add__(self, other):
        return T(self.wall + other.wall, self.cpu + other.cpu)


def _timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    return T(time.perf_counter() - w0, time.process_time() - c0), result


#: Calls shorter than this are timed as the mean of a loop of calls (as ``timeit`` does).
SHORT_CALL = 0.02


def _timed_loop(fn, seconds: float = 0.1):
    """Mean time per call of ``fn`` over a loop lasting about ``seconds`` (for sub-ms calls)."""
    t, result = _timed(fn)
    n = max(1, int(seconds / max(t.wall, 1e-7)))
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        result = fn()
    return T((time.perf_counter() - w0) / n, (time.process_time() - c0) / n), result


def measure(fn, repeat: int, trace: bool = True):
    """Run ``fn``: one traced run (peak MiB above baseline) then ``repeat`` timed runs.

    Returns (best time on each clock, peak MiB or None, last result). With ``repeat == 0``
    the traced run's time is used (tracemalloc costs little when a call makes few,
    large allocations, as all vectorized methods here do). A call shorter than
    ``SHORT_CALL`` seconds is timed as the mean over a loop of calls, like ``timeit``:
    one cold call of a sub-millisecond function mostly measures cache misses.
    """
    peak = None
    times = []
    result = None
    if trace:
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        t, result = _timed(fn)
        peak = (tracemalloc.get_traced_memory()[1] - base) / MiB
        tracemalloc.stop()
        if repeat == 0:
            times.append(t)
    for _ in range(repeat):
        del result
        gc.collect()
        t, result = _timed(fn)
        if t.wall < SHORT_CALL:
            t, result = _timed_loop(fn)
        times.append(t)
    return T(min(t.wall for t in times), min(t.cpu for t in times)), peak, result


def speedup(row: dict, ref: dict, name: str) -> None:
    row[f"speedup_vs_{name}"] = row["points_per_s"] / ref["points_per_s"]
    row[f"cpu_speedup_vs_{name}"] = row["cpu_points_per_s"] / ref["cpu_points_per_s"]


def max_rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), np.finfo(float).tiny)))


def subgrid(grid: gridlib.Grid, target: int) -> gridlib.Grid:
    """The leading corner of ``grid`` with about ``target`` points (trailing axes kept whole)."""
    keep = [1] * grid.ndim
    inner = 1
    for k in range(grid.ndim - 1, -1, -1):
        n = len(grid.axes[k])
        if inner * n <= target:
            keep[k] = n
            inner *= n
        else:
            keep[k] = max(1, math.ceil(target / inner))
            break
    return gridlib.Grid([a[:m] for a, m in zip(grid.axes, keep)], grid.names)


def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{blas.get('name')} {blas.get('version')}"
    except Exception:   # older numpy: no dict mode
        blas = "unknown"
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024 ** 3
    except (ValueError, OSError, AttributeError):
        mem = float("nan")
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_GiB": round(mem, 1),
            "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "blas": blas, "blas_threads": {v: os.environ.get(v, "default") for v in BLAS_THREAD_VARS},
            "platform": platform.platform()}


def write_bandwidth(nbytes: int, repeat: int = 3) -> dict:
    """Memory-write bandwidth: ``ndarray.fill`` on an array already in memory, best of a few.

    Also the same on a freshly allocated array (first-touch page faults included: what
    any function returning a new result array pays).
    """
    a = np.empty(nbytes // 8)
    a.fill(0.0)
    warm = [_timed(lambda: a.fill(float(i + 1)))[0] for i in range(repeat)]
    del a
    fresh = [_timed(lambda: np.empty(nbytes // 8).fill(float(i)))[0] for i in range(repeat)]
    return {"bytes": nbytes, "fill_GBps": nbytes / min(t.wall for t in warm) / 1e9,
            "fresh_fill_GBps": nbytes / min(t.wall for t in fresh) / 1e9,
            "cpu_fill_GBps": nbytes / min(t.cpu for t in warm) / 1e9,
            "cpu_fresh_fill_GBps": nbytes / min(t.cpu for t in fresh) / 1e9}


# --------------------------------------------------------------------------- the five methods
def post_vectorize(grid: gridlib.Grid, X, y):
    """The post's code (2-D: ``w1 * x + w2``), or its D-parameter form; returns ij-ordered values."""
    if grid.ndim == 2:
        x_batch, y_batch = X[:, 0], y

        def post_loss(w1, w2):
            return np.sum((y_batch - (w1 * x_batch + w2)) ** 2)

        W1, W2 = np.meshgrid(*grid.axes)            # the post's default "xy" indexing
        return np.vectorize(post_loss)(W1, W2).T

    def loss(*w):
        return np.sum((y - X @ np.array(w)) ** 2)

    return np.vectorize(loss)(*np.meshgrid(*grid.axes, indexing="ij"))


def scipy_brute(grid: gridlib.Grid, X, y):
    """``scipy.optimize.brute`` with ``finish=None``: returns (values, points it used)."""
    def loss(w):
        return np.sum((y - X @ w) ** 2)

    ranges = tuple(slice(a[0], a[-1], complex(len(a))) if len(a) > 1 else slice(a[0], a[0] + 1.0, 1.0)
                   for a in grid.axes)
    _, _, pts, jout = scipy.optimize.brute(loss, ranges, finish=None, full_output=True)
    pts = np.asarray(pts).reshape(grid.ndim, -1).T
    return np.asarray(jout).reshape(grid.shape), pts


def broadcast(grid: gridlib.Grid, X, y, chunk_bytes: int = 2 ** 25):
    """What a user writes with broadcasting: meshgrid the grid, residuals chunk by chunk."""
    M = [m.ravel() for m in np.meshgrid(*grid.axes, indexing="ij")]
    out = np.empty(M[0].size)
    step = max(1, chunk_bytes // (8 * len(y)))
    for s in range(0, out.size, step):
        fit = M[0][s:s + step, None] * X[None, :, 0]
        for k in range(1, grid.ndim):
            fit += M[k][s:s + step, None] * X[None, :, k]
        R = y[None, :] - fit
        out[s:s + step] = np.sum(R ** 2, axis=1)
    return out.reshape(grid.shape)


def generic_chunk(n_samples: int) -> int:
    """gridlib's default chunk, smaller for big batches (the residual matrix stays <= 32 MB)."""
    return int(min(gridlib.evaluate.__kwdefaults__["chunk_size"], max(1, 2 ** 22 // n_samples)))


def gridlib_generic(grid: gridlib.Grid, X, y):
    return gridlib.evaluate(lambda P: gridlib.sum_squared_residuals(P, X, y), grid,
                            chunk_size=generic_chunk(len(y)), max_bytes=2 ** 62)


def gridlib_lsq(grid: gridlib.Grid, X, y):
    return gridlib.evaluate(gridlib.LeastSquares(X, y), grid, max_bytes=2 ** 62)


# --------------------------------------------------------------------------- references
def direct_at(values: np.ndarray, grid: gridlib.Grid, X, y, max_work: float, rng) -> float:
    """Max relative difference of ``values`` from the direct residual computation.

    On the whole grid when ``size * B <= max_work``, else on a random sample of points
    plus the grid minimum and its neighbours.
    """
    n = len(y)
    if grid.size * n <= max_work and grid.size * grid.ndim <= 5e7:
        return max_rel(values.ravel(), gridlib.sum_squared_residuals(grid.points(), X, y))
    m = int(max(200, min(grid.size, max_work // n)))
    flat = rng.choice(grid.size, size=m, replace=False)
    best = np.ravel_multi_index(gridlib.argmin(values), grid.shape)
    flat = np.unique(np.concatenate([flat, np.clip(best + np.arange(-3, 4), 0, grid.size - 1)]))
    idx = np.stack(np.unravel_index(flat, grid.shape), axis=1)
    return max_rel(values.ravel()[flat], gridlib.sum_squared_residuals(grid.points_at(idx), X, y))


def exact_loss(P, X, y) -> np.ndarray:
    """The loss in exact rational arithmetic (the float64 inputs taken as exact), rounded once."""
    Xf = [[Fraction(v) for v in row] for row in X.tolist()]
    yf = [Fraction(v) for v in y.tolist()]
    out = []
    for w in P.tolist():
        wf = [Fraction(v) for v in w]
        s = Fraction(0)
        for xi, yi in zip(Xf, yf):
            r = yi - sum(a * b for a, b in zip(xi, wf))
            s += r * r
        out.append(float(s))
    return np.array(out)


# --------------------------------------------------------------------------- the run
class Bench:
    def __init__(self, cfg: dict, quick: bool):
        self.cfg = cfg
        self.quick = quick
        self.rows: list[dict] = []
        self.checks: dict = {}
        self.rng = np.random.default_rng(2026)
        self.n_steps = 0
        self.t0 = time.perf_counter()
        self._done = {}

    def say(self, group: str, case: str, method: str, extra: str = "") -> None:
        self.n_steps += 1
        progress(f"[{self.n_steps:2d} · {time.perf_counter() - self.t0:4.0f} s] {group} | {case} | {method} {extra}".rstrip())

    def add(self, **row) -> dict:
        row.setdefault("extrapolated_from", None)
        for key in ("seconds", "eval_seconds", "stats_seconds"):
            if key in row:
                t = row.pop(key)
                row[key], row["cpu_" + key] = t.wall, t.cpu
        row["points_per_s"] = row["points"] / row["seconds"]
        row["cpu_points_per_s"] = row["points"] / row["cpu_seconds"]
        self.rows.append(row)
        progress(f"     {row['seconds']:.4g} s, {row['points_per_s']:.3g} points/s"
                 + (f", peak {row['peak_MiB']:.1f} MiB" if row.get("peak_MiB") is not None else ""))
        return row

    # ---- python-loop baselines, on a sub-grid sized by a time budget
    def python_loop(self, group, case, method, fn, grid, X, y, fixed=None):
        budget = self.cfg["python_loop_budget"]
        if fixed is not None:
            sub = subgrid(grid, fixed) if fixed < grid.size else grid
        else:
            probe = subgrid(grid, 200)
            t0 = time.perf_counter()
            fn(probe, X, y)
            per_point = (time.perf_counter() - t0) / probe.size
            sub = subgrid(grid, max(200, int(budget / per_point)))
            if sub.size >= grid.size * 0.5:
                sub = grid
        self.say(group, case, method, f"({sub.size:,} of {grid.size:,} points)")
        t, peak, res = measure(lambda: fn(sub, X, y), repeat=self.cfg["repeat"])
        extrap = None if sub.size == grid.size else sub.size
        row = self.add(group=group, case=case, method=method, points=grid.size,
                       seconds=t * grid.size / sub.size, peak_MiB=peak,
                       peak_on="full grid" if extrap is None else f"{sub.size:,}-point sub-grid",
                       extrapolated_from=extrap, n_samples=len(y))
        return row, sub, res

    def vectorized(self, group, case, method, fn, grid, X, y, repeat=None):
        limit = self.cfg["vectorized_full_limit"]
        sub = grid if grid.size * len(y) <= limit else subgrid(grid, max(200, int(limit // len(y))))
        if method.startswith("broadcast") and sub.size * grid.ndim * 8 > self.cfg["broadcast_meshgrid_limit"]:
            sub = subgrid(grid, int(self.cfg["broadcast_meshgrid_limit"] // (grid.ndim * 8)))
        extra = "" if sub is grid else f"({sub.size:,} of {grid.size:,} points)"
        self.say(group, case, method, extra)
        if repeat is None:
            repeat = self.cfg["repeat"] if sub.size * len(y) < 2e8 else (1 if sub.size * len(y) < 1e9 else 0)
        t, peak, res = measure(lambda: fn(sub, X, y), repeat=repeat)
        extrap = None if sub is grid else sub.size
        row = self.add(group=group, case=case, method=method, points=grid.size,
                       seconds=t * grid.size / sub.size, peak_MiB=peak,
                       peak_on="full grid" if extrap is None else f"{sub.size:,}-point sub-grid",
                       extrapolated_from=extrap, n_samples=len(y))
        return row, sub, res

    def lsq(self, group, case, grid, X, y, bandwidth=None):
        self.say(group, case, "gridlib least squares")
        repeat = self.cfg["repeat"]
        t_stats, _, loss = measure(lambda: gridlib.LeastSquares(X, y), repeat=max(repeat, 3), trace=False)
        t_eval, peak, values = measure(lambda: gridlib.evaluate(loss, grid, max_bytes=2 ** 62), repeat=repeat)
        row = self.add(group=group, case=case, method="gridlib least squares", points=grid.size,
                       seconds=t_stats + t_eval, eval_seconds=t_eval, stats_seconds=t_stats,
                       peak_MiB=peak, peak_on="full grid", result_MiB=grid.size * 8 / MiB,
                       n_samples=len(y))
        row["max_rel_diff_vs_direct"] = direct_at(values, grid, X, y, 5e7 if not self.quick else 1e6, self.rng)
        if bandwidth is not None and grid.size * 8 >= 64 * MiB:   # smaller results stay in the CPU caches
            bandwidth = write_bandwidth(self.cfg["bandwidth_bytes"])   # measured right after the case it judges
            row["bandwidth"] = bandwidth
            rate = 8 * grid.size / row["eval_seconds"] / 1e9
            row["write_GBps"] = rate
            row["fraction_of_fill_bandwidth"] = rate / bandwidth["fill_GBps"]
            row["fraction_of_fresh_fill_bandwidth"] = rate / bandwidth["fresh_fill_GBps"]
            row["cpu_fraction_of_fill_bandwidth"] = (8 * grid.size / row["cpu_eval_seconds"] / 1e9
                                                     / bandwidth["cpu_fill_GBps"])
        progress(f"     max rel. diff vs direct residuals: {row['max_rel_diff_vs_direct']:.1e}")
        return row, values

    # ---- a full 2-D comparison of the five methods
    def compare_2d(self, group, case, grid, X, y, *, bandwidth=None, subsets=None):
        key = (tuple(a.tobytes() for a in grid.axes), X.tobytes(), y.tobytes())
        if key in self._done:      # the same grid and data measured in another section: reuse
            rows = [dict(r, group=group, case=case) for r in self._done[key]]
            self.rows += rows
            progress(f"[..] {group} | {case}: same grid and data as {self._done[key][0]['case']}, reused")
            return rows
        subsets = subsets or {}
        r1, s1, v1 = self.python_loop(group, case, "np.vectorize (post)", post_vectorize, grid, X, y,
                                      subsets.get("vectorize"))
        r2, s2, (v2, p2) = self.python_loop(group, case, "scipy brute", scipy_brute, grid, X, y,
                                            subsets.get("brute"))
        r3, s3, v3 = self.vectorized(group, case, "broadcast (meshgrid + chunks)", broadcast, grid, X, y)
        r4, s4, v4 = self.vectorized(group, case, "gridlib generic chunked", gridlib_generic, grid, X, y)
        # where the generic path's time goes: making the chunks' points alone (Grid.chunks)
        chunk = generic_chunk(len(y))
        t_pts, _, _ = measure(lambda: sum(1 for _ in s4.chunks(chunk)), repeat=self.cfg["repeat"], trace=False)
        r4["points_generation_seconds"] = t_pts.wall * grid.size / s4.size
        r5, v5 = self.lsq(group, case, grid, X, y, bandwidth)
        ls = gridlib.LeastSquares(X, y)
        agree = {
            "vectorize": max_rel(v1, ls.grid_values(s1)),
            "brute": max_rel(v2.ravel(), ls(p2)),
            "broadcast": max_rel(v3, ls.grid_values(s3)),
            "generic": max_rel(v4, ls.grid_values(s4)),
        }
        for r in (r1, r2, r3, r4, r5):
            speedup(r, r1, "post")
        self.checks.setdefault("agreement_2d", {})[f"{group} | {case}"] = agree
        progress(f"     values agree with least squares to (max rel.): "
                 + ", ".join(f"{k} {v:.1e}" for k, v in agree.items()))
        self._done[key] = [r1, r2, r3, r4, r5]
        return r1, r2, r3, r4, r5

    # ---- sections
    def post(self):
        ex = gridlib.post_example()
        rows = self.compare_2d("post grid", "101 x 501, B=5", ex.grid, ex.X_batch, ex.y_batch,
                               subsets=self.cfg["post_subset"])
        # the post's code returns Z in "xy" order: Z.T equals gridlib's values
        return rows

    def grids2d(self, bandwidth):
        ex = gridlib.post_example()
        out = {}
        for n, shape in self.cfg["grids2d"].items():
            grid = gridlib.Grid.linspace(w1=(-10, 10, shape[0]), w2=(-50, 50, shape[1]))
            out[n] = self.compare_2d("2-D grids", f"{shape[0]} x {shape[1]} = {n:.0e} points, B=5",
                                     grid, ex.X_batch, ex.y_batch, bandwidth=bandwidth)
        return out

    def batch_sizes(self):
        ex = gridlib.post_example()
        shape = self.cfg["grid_batch"]
        grid = gridlib.Grid.linspace(w1=(-10, 10, shape[0]), w2=(-50, 50, shape[1]))
        out = {}
        for B in self.cfg["batch_sizes"]:
            if B == 5:
                X, y = ex.X_batch, ex.y_batch
            elif B == 45:
                X, y = ex.X, ex.y
            else:
                x, y = gridlib.post_data(n=B)
                X = gridlib.design_matrix(x)
            out[B] = self.compare_2d("batch size", f"{grid.size:.0e} points, B={B:,}", grid, X, y)
        return out

    def cubes(self):
        cfg = self.cfg
        k = cfg["top_k"]
        out = {}
        for D, num in cfg["cubes"].items():
            rng = np.random.default_rng(D)
            X = np.column_stack([rng.standard_normal((45, D - 1)), np.ones(45)])
            w_true = np.linspace(-1.0, 1.0, D)
            y = X @ w_true + 0.5 * rng.standard_normal(45)
            grid = gridlib.Grid.cube(w_true, cfg["cube_half_width"], num)
            group, case = "top-k on cubes", f"D={D}, {num}^{D} = {grid.size:,} points, B=45, k={k}"
            r1, s1, v1 = self.python_loop(group, case, "np.vectorize (post)", post_vectorize, grid, X, y)
            r2, s2, (v2, p2) = self.python_loop(group, case, "scipy brute", scipy_brute, grid, X, y)
            rows = [r1, r2]
            tops = {}
            if grid.size * D * 8 <= cfg["broadcast_meshgrid_limit"]:
                def bc_topk(g, X, y):
                    v = broadcast(g, X, y).ravel()
                    sel = np.argpartition(v, k - 1)[:k]
                    return sel[np.lexsort((sel, v[sel]))]
                r3, s3, sel = self.vectorized(group, case, "broadcast (meshgrid + argpartition)", bc_topk,
                                              grid, X, y, repeat=1 if grid.size > 1e6 else None)
                rows.append(r3)
                tops["broadcast"] = (sel, s3)   # the top k of the (sub-)grid it ran on
            else:
                progress(f"     broadcast skipped: np.meshgrid would need {grid.size * D * 8 / 1e9:.1f} GB")
            for method, loss in (("gridlib top_k generic", lambda P: gridlib.sum_squared_residuals(P, X, y)),
                                 ("gridlib top_k least squares", gridlib.LeastSquares(X, y))):
                self.say(group, case, method)
                work = grid.size * (45 if "generic" in method else grid.ndim)
                reps = cfg["repeat"] if work < 5e7 else (1 if work < 2e8 else 0)
                t, peak, res = measure(lambda: gridlib.top_k(loss, grid, k), repeat=reps)
                rows.append(self.add(group=group, case=case, method=method, points=grid.size, seconds=t,
                                     peak_MiB=peak, peak_on="full grid", n_samples=45))
                tops[method] = (np.ravel_multi_index(res.indices.T, grid.shape), res.values)
            for r in rows:
                speedup(r, r1, "post")
            ls = gridlib.LeastSquares(X, y)
            i_ls, v_ls = tops["gridlib top_k least squares"]
            i_g, v_g = tops["gridlib top_k generic"]
            agree = {"same_indices_generic_vs_lsq": bool(np.array_equal(i_ls, i_g)),
                     "max_rel_values_generic_vs_lsq": max_rel(v_g, v_ls),
                     "vectorize_subset_vs_lsq": max_rel(v1, ls.grid_values(s1)),
                     "brute_subset_vs_lsq": max_rel(v2.ravel(), ls(p2))}
            if "broadcast" in tops:
                sel, s3 = tops["broadcast"]
                ref = gridlib.top_k(ls, s3, k)
                agree["same_indices_broadcast_vs_lsq"] = bool(np.array_equal(
                    sel, np.ravel_multi_index(ref.indices.T, s3.shape)))
            self.checks.setdefault("agreement_top_k", {})[case] = agree
            progress("     " + ", ".join(f"{a} {b}" if isinstance(b, bool) else f"{a} {b:.1e}"
                                          for a, b in agree.items()))
            out[D] = rows
        return out

    def mlp(self):
        from gridlib.nn import MLP
        c = self.cfg["mlp"]
        net = MLP(n_inputs=2, n_hidden=c["n_hidden"])
        rng = np.random.default_rng(5)
        X = rng.standard_normal((c["n_samples"], 2))
        P = net.init(rng, c["n_points"])
        group, case = "lesson 05 network", (f"MLP 2-{c['n_hidden']}-1 ({net.n_params} params), "
                                             f"{c['n_points']:,} parameter vectors, B={c['n_samples']}")
        Ploop = P[:c["loop_points"]]

        def loop_forward():
            return np.stack([net.forward(p, X)[0] for p in Ploop])

        def loop_numpy():
            H = c["n_hidden"]
            out = np.empty((len(Ploop), len(X)))
            for i, p in enumerate(Ploop):
                W1, b1, W2, b2 = p[:2 * H].reshape(H, 2), p[2 * H:3 * H], p[3 * H:4 * H], p[4 * H]
                out[i] = np.tanh(X @ W1.T + b1) @ W2 + b2
            return out

        rows = []
        for method, fn in (("loop over vectors: MLP.forward(p)", loop_forward),
                           ("loop over vectors: plain numpy", loop_numpy)):
            self.say(group, case, method, f"({len(Ploop):,} of {len(P):,} vectors)")
            t, peak, res = measure(fn, repeat=self.cfg["repeat"])
            rows.append(self.add(group=group, case=case, method=method, points=len(P),
                                 seconds=t * len(P) / len(Ploop), peak_MiB=peak,
                                 peak_on=f"{len(Ploop):,} vectors", extrapolated_from=len(Ploop),
                                 n_samples=len(X)))
            rows[-1]["_values"] = res
        self.say(group, case, "batched MLP.forward(P)")
        t, peak, res = measure(lambda: net.forward(P, X), repeat=self.cfg["repeat"])
        rows.append(self.add(group=group, case=case, method="batched MLP.forward(P)", points=len(P),
                             seconds=t, peak_MiB=peak, peak_on="full stack", n_samples=len(X)))
        # what no implementation can beat: np.tanh of the n_points * B * H hidden pre-activations
        self.say(group, case, "np.tanh of all hidden units alone (lower bound)")
        Z = net._hidden(net.unpack(P), X)
        t, peak, _ = measure(lambda: np.tanh(Z), repeat=self.cfg["repeat"], trace=False)
        rows.append(self.add(group=group, case=case, method="np.tanh of all hidden units alone (lower bound)",
                             points=len(P), seconds=t, peak_MiB=None, n_samples=len(X)))
        del Z
        best_loop = max(rows[:2], key=lambda r: r["points_per_s"])
        for r in rows:
            speedup(r, best_loop, "loop")
            r["speedup_vs_post"] = r["cpu_speedup_vs_post"] = None
        agree = {"loop_forward_vs_batched": max_rel(rows[0].pop("_values"), res[:len(Ploop)]),
                 "loop_numpy_vs_batched": max_rel(rows[1].pop("_values"), res[:len(Ploop)])}
        self.checks["agreement_mlp"] = agree
        progress("     " + ", ".join(f"{a} {b:.1e}" for a, b in agree.items()))
        return rows

    def honesty(self):
        """LS path vs direct residuals vs exact rational arithmetic, down to almost noise-free data."""
        out = []
        ex = gridlib.post_example()
        for noise in self.cfg["honesty_noise"]:
            x, y = gridlib.post_data(noise=noise)
            X = gridlib.design_matrix(x)
            for B, (Xb, yb) in ((5, (X[ex.batch], y[ex.batch])), (45, (X, y))):
                ls = gridlib.LeastSquares(Xb, yb)
                grids = {"post grid": ex.grid,
                         "cube +-1e-3 around w*": gridlib.Grid.cube(ls.minimizer, 1e-3, 101)}
                for gname, grid in grids.items():
                    progress(f"[..] honesty | noise={noise:g}, B={B}, {gname}")
                    v = gridlib.evaluate(ls, grid).ravel()
                    P = grid.points()
                    d = gridlib.sum_squared_residuals(P, Xb, yb)
                    G, b, c = Xb.T @ Xb, Xb.T @ yb, float(yb @ yb)
                    expanded = c - 2.0 * (P @ b) + np.einsum("ij,jk,ik->i", P, G, P)
                    m = self.cfg["exact_points"]
                    idx = np.unique(np.concatenate([self.rng.choice(grid.size, m, replace=False),
                                                    [int(np.argmin(v)), int(np.argmin(d))]]))
                    ref = exact_loss(P[idx], Xb, yb)
                    out.append({"noise": noise, "n_samples": B, "grid": gname, "grid_points": grid.size,
                                "min_loss_on_grid": float(v.min()),
                                "lsq_vs_direct": max_rel(v, d),
                                "lsq_vs_exact": max_rel(v[idx], ref),
                                "direct_vs_exact": max_rel(d[idx], ref),
                                "expanded_vs_exact": max_rel(expanded[idx], ref),
                                "exact_points": int(idx.size)})
        return out


# --------------------------------------------------------------------------- report
def fmt_s(t: float) -> str:
    return f"{t:.3g}" if t < 1e4 else f"{t:.2e}"


def table(rows) -> list[str]:
    lines = ["| case | method | time (s) | points/s | × post | peak MiB | note |",
             "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        sp = r.get("speedup_vs_post")
        sp = f"{sp:,.0f}" if sp is not None and sp >= 10 else (f"{sp:.2g}" if sp is not None else "—")
        notes = []
        if r.get("extrapolated_from"):
            notes.append(f"extrapolated from {r['extrapolated_from']:,} points")
        if r.get("peak_on") and r.get("extrapolated_from"):
            notes.append(f"peak on the {r['peak_on']}")
        if "fraction_of_fill_bandwidth" in r:
            notes.append(f"{100 * r['fraction_of_fill_bandwidth']:.0f} % of write bandwidth "
                         f"({r['bandwidth']['fill_GBps']:.2f} GB/s measured right after it; "
                         f"{100 * r['fraction_of_fresh_fill_bandwidth']:.0f} % of a fresh array's)")
        if r.get("stats_seconds") is not None:
            notes.append(f"incl. {1e3 * r['stats_seconds']:.2g} ms of one-off statistics")
        if "max_rel_diff_vs_direct" in r:
            notes.append(f"rel. diff vs direct {r['max_rel_diff_vs_direct']:.0e}")
        if r.get("speedup_vs_loop") is not None:
            notes.append(f"{r['speedup_vs_loop']:.1f}× the faster loop")
        peak = "—" if r.get("peak_MiB") is None else f"{r['peak_MiB']:,.1f}"
        lines.append(f"| {r['case']} | {r['method']} | {fmt_s(r['seconds'])} | {r['points_per_s']:.3g} | "
                     f"{sp} | {peak} | {'; '.join(notes)} |")
    return lines


def targets(res: dict, cfg: dict) -> list[dict]:
    """The issue's targets: the measured value on the wall clock (which decides) and on CPU time."""
    rows = res["cases"]

    def get(group, case_part, method):
        return next((r for r in rows if r["group"] == group and case_part in r["case"]
                     and r["method"] == method), None)

    out = []

    def target(name, value, threshold, at_least, unit="", cpu=None, why=""):
        met = value >= threshold if at_least else value <= threshold
        note = ""
        if not met:
            short = threshold / value if at_least else value / threshold
            note = f"missed by {short:.2f}×" + (f": {why}" if why else "")
        out.append({"target": name, "measured": value, "measured_cpu": cpu, "threshold": threshold,
                    "at_least": at_least, "met": bool(met), "unit": unit, "note": note})

    v = get("post grid", "101 x 501", "np.vectorize (post)")
    for part, method, name, th in (("101 x 501", "gridlib least squares", "post grid: least squares", 1000),
                                   ("101 x 501", "gridlib generic chunked", "post grid: generic chunked", 50)):
        r = get("post grid", part, method)
        why = ""
        if r and "eval_seconds" in r:
            why = (f"np.vectorize costs only {1e6 * v['seconds'] / v['points']:.1f} µs per point here; of gridlib's "
                   f"{1e3 * r['seconds']:.2f} ms, {1e3 * r['stats_seconds']:.2f} ms are the one-off statistics "
                   f"(LeastSquares(X, y): a QR of the 5 x 2 matrix, two triangular solves, the residual at w*) and {1e3 * r['eval_seconds']:.2f} ms "
                   f"the {r['points']:,}-point evaluation ({1e9 * r['eval_seconds'] / r['points']:.0f} ns per point, "
                   "fixed per-call costs included)")
        if r:
            target(f"{name} × np.vectorize", r["speedup_vs_post"], th, True, "×", r["cpu_speedup_vs_post"], why)
        if r and "eval_seconds" in r:
            target(f"{name} (grid evaluation only, statistics excluded) × np.vectorize",
                   v["seconds"] / r["eval_seconds"], th, True, "×", v["cpu_seconds"] / r["cpu_eval_seconds"], why)
    r = get("2-D grids", "= 1e+07 points", "gridlib generic chunked")
    if r:
        v7 = get("2-D grids", "= 1e+07 points", "np.vectorize (post)")
        ns = 1e9 * r["seconds"] / r["points"]
        pts = 1e9 * r.get("points_generation_seconds", float("nan")) / r["points"]
        why = (f"np.vectorize costs only {1e6 * v7['seconds'] / v7['points']:.1f} µs per point on this machine; "
               f"the generic path costs {ns:.0f} ns per point, of which {pts:.0f} ns make the chunk's points "
               "(Grid.chunks: unravel_index + stack) and the rest the (chunk, B) residual matrix, its sum of "
               "squares and input validation")
        target("1e7-point grid, B=5: generic chunked × np.vectorize", r["speedup_vs_post"], 200, True, "×",
               r["cpu_speedup_vs_post"], why)
    r = get("2-D grids", "= 1e+08 points", "gridlib least squares")
    if r:
        bw = r["bandwidth"]
        why = (f"the result is a fresh 800 MB array: the kernel zeroes each page on first touch, so even "
               f"np.empty(n).fill(x) reaches only {bw['fresh_fill_GBps']:.2f} of {bw['fill_GBps']:.2f} GB/s "
               f"({100 * bw['fresh_fill_GBps'] / bw['fill_GBps']:.0f} %); the least-squares path reaches "
               f"{100 * r['fraction_of_fresh_fill_bandwidth']:.0f} % of that fresh-array rate (its four in-cache "
               "passes per block: add, square, two adds)")
        target("1e8-point grid: least squares, fraction of write bandwidth", r["fraction_of_fill_bandwidth"],
               0.40, True, "", r["cpu_fraction_of_fill_bandwidth"], why)
        target("1e8-point grid: peak memory above the result array (MiB)", r["peak_MiB"] - r["result_MiB"],
               100, False, "MiB")
    b = {r["n_samples"]: r for r in rows if r["group"] == "batch size" and r["method"] == "gridlib least squares"}
    if 5 in b and max(b) > 5:
        big = max(b)
        target(f"batch size: least squares cost per grid point, B={big:,} / B=5",
               b[big]["eval_seconds"] / b[5]["eval_seconds"], 2.0, False, "×",
               b[big]["cpu_eval_seconds"] / b[5]["cpu_eval_seconds"])
    r = next((r for r in rows if r["group"] == "top-k on cubes" and r["case"].startswith("D=6")
              and r["method"] == "gridlib top_k least squares"), None)
    if r:
        target("D=6 cube (15^6 points): top_k peak memory (MiB)", r["peak_MiB"], 100, False, "MiB")
    r = get("lesson 05 network", "", "batched MLP.forward(P)")
    loops = [x for x in rows if x["group"] == "lesson 05 network" and x["method"].startswith("loop")]
    tanh = get("lesson 05 network", "", "np.tanh of all hidden units alone (lower bound)")
    if r:
        for lp in loops:
            why = ""
            if tanh:
                why = (f"np.tanh of the {r['points']:,} x {r['n_samples']} x H hidden units alone takes "
                       f"{tanh['seconds']:.3f} s = {100 * tanh['seconds'] / r['seconds']:.0f} % of the batched pass "
                       f"({r['seconds']:.3f} s; numpy has no SIMD float64 tanh on this CPU), and the loop pays the "
                       f"same tanh: no batched pass can beat this loop by more than {lp['seconds'] / tanh['seconds']:.1f}×")
            target(f"lesson 05 network, B={r['n_samples']}: batched forward × {lp['method']}",
                   r["points_per_s"] / lp["points_per_s"], 5, True, "×",
                   r["cpu_points_per_s"] / lp["cpu_points_per_s"], why)
    worst = max((r["max_rel_diff_vs_direct"] for r in rows if "max_rel_diff_vs_direct" in r), default=0.0)
    target("least squares vs direct residuals, benchmark grids (max rel.)", worst, 1e-12, False)
    h = [r for r in res.get("honesty", []) if r["grid"] == "post grid"]
    if h:
        target("least squares vs direct, post grid incl. almost noise-free data (max rel.)",
               max(r["lsq_vs_direct"] for r in h), 1e-12, False)
    h = res.get("honesty", [])
    if h:
        target("least squares vs exact arithmetic, all honesty cases (max rel.)",
               max(r["lsq_vs_exact"] for r in h), 1e-12, False)
    return out


def markdown(res: dict) -> str:
    m = res["machine"]
    bw = res["bandwidth"]
    lines = [f"# gridlib benchmarks ({res['mode']} run)", "",
             f"Run on {res['date']} · {m['cpu']}, {m['cores']} cores, {m['memory_GiB']} GiB · "
             f"Python {m['python']}, numpy {m['numpy']}, scipy {m['scipy']}, BLAS {m['blas']} "
             f"(OPENBLAS_NUM_THREADS={m['blas_threads']['OPENBLAS_NUM_THREADS']}). "
             f"Load average {res['load_average_at_start'][0]:.1f} at the start, "
             f"{res['load_average_at_end'][0]:.1f} at the end; whole run {res['total_seconds']:.0f} s.", ""]
    if res["mode"] == "quick":
        lines += ["Quick run: tiny sizes that check the methods agree; the timings and targets mean nothing.", ""]
    lines += [
             f"`make bench` (`python bench/run.py`). Times are the best of a few runs (a call under 20 ms: the mean over a loop of calls, as timeit does); {res['memory_method']}. "
             "\"× post\" is points per second relative to the post's `np.vectorize` loss on the same grid "
             "and data. Python-loop baselines are timed on a sub-grid and extrapolated per point "
             "(the note says from how many points).", "",
             f"Memory-write bandwidth of this machine (`ndarray.fill`, {bw['bytes'] / 2**30:.2g} GiB, best of 3): "
             f"{bw['fill_GBps']:.2f} GB/s into memory already mapped, {bw['fresh_fill_GBps']:.2f} GB/s into a "
             "freshly allocated array (first-touch page faults included). The write-bound limit of a grid "
             "evaluation is one float64 per grid point at the first rate.", ""]
    groups = []
    for r in res["cases"]:
        if r["group"] not in groups:
            groups.append(r["group"])
    for g in groups:
        lines += [f"## {g}", ""] + table([r for r in res["cases"] if r["group"] == g]) + [""]
    lines += ["## Numerical honesty (least squares path)", "",
              "Max relative difference; \"exact\" is rational arithmetic on the float64 inputs "
              "(a sample of points including the grid minimum); \"expanded\" is "
              "wᵀGw − 2wᵀb + c with G = XᵀX, b = Xᵀy, c = yᵀy.", "",
              "| noise | B | grid | min loss | LS vs direct | LS vs exact | direct vs exact | expanded vs exact |",
              "|---:|---:|---|---:|---:|---:|---:|---:|"]
    for h in res["honesty"]:
        lines.append(f"| {h['noise']:g} | {h['n_samples']} | {h['grid']} | {h['min_loss_on_grid']:.2e} | "
                     f"{h['lsq_vs_direct']:.1e} | {h['lsq_vs_exact']:.1e} | {h['direct_vs_exact']:.1e} | "
                     f"{h['expanded_vs_exact']:.1e} |")
    lines += ["", "## Targets", "",
              "Decided on the wall clock; the CPU-time value (this process's `process_time`) is shown "
              "because other work on the machine inflates wall times unevenly.", "",
              "| target | measured (wall) | measured (CPU) | threshold | met |", "|---|---:|---:|---:|---|"]
    notes = []

    def fmt(v, frac):
        if v is None:
            return "—"
        if frac:
            return f"{100 * v:.0f} %"
        return f"{v:.1e}" if abs(v) < 1e-3 else f"{v:,.1f}"

    for t in res["targets"]:
        frac = "fraction" in t["target"]
        unit = f" {t['unit']}" if t["unit"] else ""
        th = t["threshold"]
        fth = f"{th:.0e}" if th < 1e-3 else (f"{100 * th:.0f} %" if frac else f"{th:,g}")
        cmp = "≥" if t["at_least"] else "≤"
        lines.append(f"| {t['target']} | {fmt(t['measured'], frac)}{unit} | "
                     f"{fmt(t['measured_cpu'], frac)}{unit if t['measured_cpu'] is not None else ''} | "
                     f"{cmp} {fth} | {'yes' if t['met'] else '**no**'} |")
        if t["note"]:
            notes.append(f"- **{t['target']}** — {t['note']}.")
    if notes:
        lines += ["", "Where a target is missed:", ""] + notes
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (seconds): checks agreement, not speed")
    ap.add_argument("--out-dir", type=Path, default=None,
                    help="where to write results.json and RESULTS.md (default: bench/; with --quick: nowhere)")
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="BLAS threads (set before numpy loads; default 1; 0 = the library's default)")
    ap.add_argument("--only", nargs="*", default=None,
                    help="sections to run: post grids2d batch cubes mlp honesty (default: all)")
    args = ap.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    sections = args.only or ["post", "grids2d", "batch", "cubes", "mlp", "honesty"]
    b = Bench(cfg, args.quick)
    t_start = time.perf_counter()
    res = {"date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
           "mode": "quick" if args.quick else "full", "machine": machine_info(),
           "memory_method": "peak memory = tracemalloc peak above baseline in one separate traced run "
                            "(numpy buffers included, result array included)"}
    res["load_average_at_start"] = list(os.getloadavg())
    progress(f"[..] load average {res['load_average_at_start'][0]:.1f} on {os.cpu_count()} cores; "
             "measuring memory-write bandwidth")
    res["bandwidth"] = write_bandwidth(cfg["bandwidth_bytes"])
    progress(f"     fill {res['bandwidth']['fill_GBps']:.2f} GB/s, fresh array {res['bandwidth']['fresh_fill_GBps']:.2f} GB/s")
    if "post" in sections:
        b.post()
    if "grids2d" in sections:
        b.grids2d(res["bandwidth"])
    if "batch" in sections:
        b.batch_sizes()
    if "cubes" in sections:
        b.cubes()
    if "mlp" in sections:
        try:
            b.mlp()
        except ImportError as e:   # gridlib.nn not there yet
            progress(f"     lesson 05 network skipped: {e}")
    res["cases"] = b.rows
    res["agreement"] = b.checks
    res["honesty"] = b.honesty() if "honesty" in sections else []
    res["targets"] = targets(res, cfg)
    res["total_seconds"] = time.perf_counter() - t_start
    res["load_average_at_end"] = list(os.getloadavg())
    md = markdown(res)
    print(md)
    out_dir = args.out_dir if args.out_dir is not None else (None if args.quick else HERE)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "results.json").write_text(json.dumps(res, indent=1) + "\n")
        (out_dir / "RESULTS.md").write_text(md)
        progress(f"wrote {out_dir / 'results.json'} and {out_dir / 'RESULTS.md'} "
                 f"({res['total_seconds']:.0f} s)")
    return res


if __name__ == "__main__":
    main()
