"""Exact and certified analysis: time ratios measured in one run.

* exact / float: ``regions(net, exact=True)`` against the default certified
  float ``regions(net)`` (target: at most 30x on 1x64x64x64x1), and the same for
  the exact partition alone, which ``exact=True`` runs where the float partition
  cannot decide everything (degenerate nets, non-float weights or ends), and for
  ``refine=True`` (the exact result rounded to floats);
* certification overhead: the certified float path against the same float
  partition with no error bounds (target: at most 1.3x), for the compiled sweep
  that ``regions`` runs and for the numpy path that settles undecided pieces
  exactly (which ``regions`` falls back to on degenerate nets).

Each ratio is the median over interleaved repeats in one process, so machine
load affects both sides alike; exact / float times blocks of warm calls of each
side (a single float call right after an exact one runs on cold caches).
Run ``python benchmarks/bench_exact.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial

import numpy as np
from bench_core import median_ratios

import pwlinear as pl
from pwlinear._exact_partition import exact_partition
from pwlinear._sweep import partition_sweep
from pwlinear.analysis import _partition


def median_ratio(f: Callable[[], object], g: Callable[[], object], repeats: int) -> float:
    """Median of t(f) / t(g) over interleaved repeats."""
    ratios = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        t1 = time.perf_counter()
        g()
        t2 = time.perf_counter()
        ratios.append((t1 - t0) / (t2 - t1))
    return float(np.median(ratios))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeats = 3 if args.quick else 9

    print("exact / certified float (whole line)")
    print(
        f"{'net':<22}{'regions':>9}{'exact/float':>13}{'target':>8}{'partition/float':>17}"
        f"{'refine/float':>14}"
    )
    for widths in ([1, 32, 32, 1], [1, 64, 64, 1], [1, 64, 64, 64, 1]):
        net = pl.Network.random(widths, seed=0)
        pl.regions(net, exact=True)  # warm the exact weight cache
        n = len(pl.regions(net))
        cols = np.arange(1)
        exact, partition, refine = median_ratios(
            partial(pl.regions, net),
            [
                partial(pl.regions, net, exact=True),
                partial(exact_partition, net, -np.inf, np.inf, cols),
                partial(pl.regions, net, refine=True),
            ],
            repeats,
            0.2,
        )
        r, rp, rr = 1 / exact, 1 / partition, 1 / refine
        name = "x".join(map(str, widths))
        ok = "ok" if r <= 30 else "MISS"
        print(f"{name:<22}{n:>9}{r:>13.1f}{'<= 30':>8} {ok:<4}{rp:>13.1f}{rr:>14.1f}")

    print("\ncertified / uncertified float partition")
    print(f"{'net':<22}{'interval':>12}{'regions':>9}{'sweep':>8}{'numpy':>8}{'target':>8}")
    cores = [
        [1, 3000, 1],
        [1, 64, 64, 1],
        [1, 256, 256, 256, 1],
        [1] + [128] * 7 + [1],
        [1] + [512] * 4 + [1],
    ]
    for widths in cores:
        net = pl.Network.random(widths, seed=0)
        cols = np.arange(1)
        for lo, hi in ((-np.inf, np.inf), (-100.0, 100.0)):
            n = len(pl.regions(net, (lo, hi)))
            ratios = [
                median_ratio(
                    lambda n=net, a=lo, b=hi, c=cols, f=f: f(n, a, b, c, certify=True),
                    lambda n=net, a=lo, b=hi, c=cols, f=f: f(n, a, b, c, certify=False),
                    repeats,
                )
                for f in (partition_sweep, _partition)
            ]
            name = (
                "x".join(map(str, widths))
                if len(widths) < 6
                else f"1x{widths[1]}(x{len(widths) - 2})x1"
            )
            ok = "ok" if max(ratios) <= 1.3 else "MISS"
            print(
                f"{name:<22}{f'[{lo}, {hi}]':>12}{n:>9}{ratios[0]:>8.2f}{ratios[1]:>8.2f}"
                f"{'<= 1.3':>8} {ok}"
            )


if __name__ == "__main__":
    main()
