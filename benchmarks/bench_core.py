"""Core analysis: time of ``pl.regions`` against plain numpy forward passes, in one run.

For seeded He-initialised ReLU nets, on the whole line and on [-100, 100]:

* regions: the number of activation regions;
* (a) ``pl.regions`` time / a batched float64 forward pass evaluated once per
  region (plain numpy, ``h = np.maximum(h @ W.T + b, 0)``, one point per region,
  all points in one batch) -- target at most 2x;
* (b) ``pl.regions`` time / the same forward pass on the 20,001-point grid from
  -100 to 100 in steps of 0.01 -- target at most 0.2 (at least 5x faster);
* the peak memory of ``pl.regions`` (tracemalloc) relative to
  ``regions x widest layer x 8`` bytes, the size of one float64 activation matrix.

Each ratio is the median over interleaved repeats in one process, so machine
load affects both sides alike; every timed block repeats its call enough times
to last a few milliseconds.  BLAS runs single-threaded for both sides (a shared
machine makes threaded BLAS timings erratic) unless ``OMP_NUM_THREADS`` or
``OPENBLAS_NUM_THREADS`` is set.  Run ``python benchmarks/bench_core.py``
(``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import tracemalloc
from collections.abc import Callable
from functools import partial

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, os.environ.get("OMP_NUM_THREADS", "1"))

import numpy as np

import pwlinear as pl

NETS: list[tuple[str, list[int]]] = [
    ("1x3000x1", [1, 3000, 1]),
    ("1x64x64x1", [1, 64, 64, 1]),
    ("1x256x256x256x1", [1, 256, 256, 256, 1]),
    ("1x128(x7)x1", [1] + [128] * 7 + [1]),
    ("1x512(x4)x1", [1] + [512] * 4 + [1]),
]
QUICK_NETS = NETS[:2] + [("1x128(x3)x1", [1] + [128] * 3 + [1])]
TARGET_A = 2.0  # regions / forward once per region: at most
TARGET_B = 0.2  # regions / forward on the grid: at most (5x faster)


def forward(layers: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray) -> np.ndarray:
    """The reference: a plain batched float64 ReLU forward pass."""
    h = x[:, None]
    for W, b in layers[:-1]:
        h = np.maximum(h @ W.T + b, 0)
    W, b = layers[-1]
    return h @ W.T + b


def machine() -> str:
    """The processor, numpy's SIMD level and the BLAS kernels, for reading the ratios:
    they move with all three (numpy's sort of float64 is about ten times faster with
    AVX-512, and OpenBLAS picks its kernels by processor model)."""
    info: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    cpu = info.get("model name", platform.processor() or platform.machine())
    if "cpu family" in info:
        cpu += f" (cpu family {info['cpu family']}, model {info.get('model', '?')})"
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

        simd = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    except ImportError:
        simd = []
    out = f"machine: {cpu}; numpy {np.__version__} ({simd[-1] if simd else 'baseline'})"
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return out
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            out += f"; {lib.get('internal_api')} {lib.get('version')} {lib.get('architecture')}"
            break
    return out


def settle_allocator() -> None:
    """Allocate, touch and free blocks of 8 and 32 MB, as a working process has done.

    glibc raises its threshold for serving large blocks from fresh, page-faulting
    mappings to the size of the largest such block freed; until then Regioncam faults
    about 7 MB per call on 1x128(x7)x1 and takes twice its time.  Timing every peer in
    the settled state keeps the ratios independent of which row runs first.
    """
    for n in (1 << 20, 1 << 22):
        np.ones(n)


def region_points(r: pl.Regions) -> np.ndarray:
    """One point inside each region (midpoints; one unit inside an unbounded end)."""
    lo, hi = r.left.copy(), r.right.copy()
    if np.isinf(lo[0]):
        lo[0] = (hi[0] if np.isfinite(hi[0]) else 1.0) - 2.0
    if np.isinf(hi[-1]):
        hi[-1] = lo[-1] + 2.0
    return np.asarray(0.5 * (lo + hi))


def calibrate(f: Callable[[], object], min_time: float) -> int:
    """How many calls of ``f`` take at least ``min_time`` seconds."""
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        if time.perf_counter() - t0 >= min_time or n >= 1 << 16:
            return n
        n *= 4


def timed(f: Callable[[], object], n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - t0) / n


def median_ratios(
    main: Callable[[], object], refs: list[Callable[[], object]], repeats: int, min_time: float
) -> list[float]:
    """Per reference, the median over interleaved repeats of t(main) / t(ref)."""
    counts = [calibrate(g, min_time) for g in [main, *refs]]
    ratios: list[list[float]] = [[] for _ in refs]
    for _ in range(repeats):
        t_main = timed(main, counts[0])
        for j, g in enumerate(refs):
            ratios[j].append(t_main / timed(g, counts[j + 1]))
    return [float(np.median(r)) for r in ratios]


def peak_memory(f: Callable[[], object]) -> int:
    """Peak bytes traced while ``f`` runs, with the scratch arrays that pwlinear keeps
    between calls dropped first, so that the ones ``f`` uses count."""
    from pwlinear import _limbs

    scratch = [_limbs._WORK]
    try:
        from pwlinear import _sweep
    except ImportError:  # no numba: no sweep
        pass
    else:
        scratch.append(_sweep._SCRATCH)
    for kept in scratch:
        kept.__dict__.clear()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        f()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller nets, fewer repeats (smoke run)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    repeats, min_time = (3, 0.002) if args.quick else (7, 0.02)
    nets = QUICK_NETS if args.quick else NETS
    grid = np.arange(-10_000, 10_001) / 100.0  # -100 to 100 step 0.01, 20,001 points

    header = (
        f"{'net':<17}{'interval':<12}{'regions':>8}"
        f"{'(a) reg/fwd':>13}{'<=':>4}{'':>5}"
        f"{'(b) reg/grid':>14}{'<=':>5}{'':>5}"
        f"{'peak MiB':>10}{'peak/(R*W*8)':>14}"
    )
    print(machine())
    print(f"pl.regions time ratios (median of {repeats} interleaved repeats), seed {args.seed}")
    print(header)
    print("-" * len(header))
    all_ok = True
    for name, widths in nets:
        net = pl.Network.random(widths, seed=args.seed)
        layers = [(np.array(W), np.array(b)) for W, b in net.layers]
        widest = max(widths)
        for label, interval in (("whole", None), ("[-100,100]", (-100.0, 100.0))):
            r = pl.regions(net, interval)  # also warms the network's per-net caches
            n = len(r)
            pts = region_points(r)
            ref = forward(layers, pts)
            if not np.allclose(r(pts), ref[:, 0], rtol=1e-9, atol=1e-9 * (1 + np.abs(ref).max())):
                raise AssertionError(f"{name}: regions disagree with the forward pass")
            analyse = partial(pl.regions, net, interval)
            ra, rb = median_ratios(
                analyse,
                [partial(forward, layers, pts), partial(forward, layers, grid)],
                repeats,
                min_time,
            )
            peak = peak_memory(analyse)
            ok_a, ok_b = ra <= TARGET_A, rb <= TARGET_B
            all_ok &= ok_a and ok_b
            print(
                f"{name:<17}{label:<12}{n:>8}"
                f"{ra:>13.2f}{TARGET_A:>4.0f}{'ok' if ok_a else 'FAIL':>5}"
                f"{rb:>14.3f}{TARGET_B:>5.1f}{'ok' if ok_b else 'FAIL':>5}"
                f"{peak / 2**20:>10.1f}{peak / (n * widest * 8):>14.2f}"
            )
    print("-" * len(header))
    print("all targets met" if all_ok else "some targets missed")


if __name__ == "__main__":
    main()
