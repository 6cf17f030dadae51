"""Performance against the peers and the limits (issue 9), as ratios measured in one run.

For seeded He-initialised ReLU nets, on the whole line and on [-100, 100], the time of
``pl.regions`` (the certified float64 path) divided by:

* fwd/region: a batched float64 forward pass evaluated once per region -- target at most 0.6;
* regioncam: ``regioncam.Regioncam1D`` (Rust, float32) building the same partition
  layer by layer -- target below 1.0.  Regioncam works on a bounded interval only: on
  the "whole" rows it gets the smallest symmetric interval holding all our boundaries
  (it is skipped on the million-neuron rows, where it runs out of memory);
* grid: the forward pass on the 20,001-point grid from -100 to 100 in steps of 0.01 --
  target at most 0.05 (20x faster);
* np.sort (the 1 x 1,000,000 x 1 rows only, where a forward pass per region or per grid
  point would need terabytes): ``np.sort`` of a million float64 -- target at most 3.

A second table times ``pl.breakpoints_many`` on many segments of one network with
several inputs against a Python loop of ``pl.breakpoints(pl.restrict(net, a, b), (0, 1))``
(the same results).

It also prints the peak memory of ``pl.regions`` (tracemalloc) over the size of one
float64 matrix of (regions x widest layer).  Each ratio is the median of interleaved
repeats in one process.  ``pip install -r benchmarks/requirements.txt`` installs
regioncam; ``python benchmarks/bench_perf.py`` runs it (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from bench_core import (
    forward,
    machine,
    median_ratios,
    peak_memory,
    region_points,
    settle_allocator,
)

import pwlinear as pl

NETS: list[tuple[str, list[int]]] = [
    ("1x64x64x1", [1, 64, 64, 1]),
    ("1x256x256x256x1", [1, 256, 256, 256, 1]),
    ("1x128(x7)x1", [1] + [128] * 7 + [1]),
    ("1x512(x4)x1", [1] + [512] * 4 + [1]),
    ("1x1024(x3)x1", [1] + [1024] * 3 + [1]),
    ("1x1000000x1", [1, 1_000_000, 1]),
]
QUICK_NETS = [NETS[0], ("1x128(x3)x1", [1] + [128] * 3 + [1]), ("1x100000x1", [1, 100_000, 1])]
TARGETS = {"fwd": 0.6, "regioncam": 1.0, "grid": 0.05, "sort": 3.0}


def regioncam_partition(layers: list[tuple[np.ndarray, np.ndarray]], size: float) -> object:
    """Regioncam's 1-D partition of the net on [-size/2, size/2] (float32)."""
    import regioncam

    rc = regioncam.Regioncam1D(size)
    for W, b in layers[:-1]:
        rc.linear(W.T, b)
        rc.relu()
    W, b = layers[-1]
    rc.linear(W.T, b)
    return rc


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small nets, few repeats")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="run only the nets whose name contains this")
    parser.add_argument(
        "--repeats", type=int, default=0, help="interleaved repeats per ratio (default 5)"
    )
    args = parser.parse_args()
    repeats, min_time = (3, 0.002) if args.quick else (5, 0.02)
    repeats = args.repeats or repeats
    try:
        import regioncam  # noqa: F401

        have_rc = True
    except ImportError:
        have_rc = False
        print("regioncam is not installed: its column is skipped")
    settle_allocator()
    grid = np.arange(-10_000, 10_001) / 100.0
    sort_input = np.random.default_rng(args.seed).standard_normal(1_000_000)

    head = (
        f"{'net':<17}{'interval':<12}{'regions':>9}{'fwd/region':>12}{'regioncam':>11}"
        f"{'grid':>8}{'np.sort':>9}{'peak MiB':>10}{'peak/(R*W*8)':>14}"
    )
    print(machine())
    print(f"pl.regions time ratios (median of {repeats} interleaved repeats), seed {args.seed}")
    print(f"targets: fwd/region <= {TARGETS['fwd']}, regioncam < {TARGETS['regioncam']}, ", end="")
    print(f"grid <= {TARGETS['grid']}, np.sort <= {TARGETS['sort']} (1e6 rows); * = missed")
    print(head)
    print("-" * len(head))
    for name, widths in QUICK_NETS if args.quick else NETS:
        if args.only not in name:
            continue
        net = pl.Network.random(widths, seed=args.seed)
        layers = [(np.array(W), np.array(b)) for W, b in net.layers]
        layers32 = [(W.astype(np.float32), b.astype(np.float32)) for W, b in layers]
        widest = max(widths)
        for label, interval in (("whole", None), ("[-100,100]", (-100.0, 100.0))):
            r = pl.regions(net, interval)
            pts = region_points(r)
            refs, keys = [], []
            if widths[1] < 100_000:  # a forward pass per region or grid point of a
                # million-neuron layer would need terabytes: that row is measured against a sort
                refs = [partial(forward, layers, pts), partial(forward, layers, grid)]
                keys = ["fwd", "grid"]
            if have_rc and widths[1] < 100_000:  # regioncam keeps every vertex's
                # activations: a million vertices times a million neurons would not fit
                ends = np.abs(r.boundaries)
                size = 200.0 if interval else 2.0 * (float(ends.max(initial=0.0)) + 1.0)
                refs.append(partial(regioncam_partition, layers32, size))
                keys.append("regioncam")
            if widths[1] >= 100_000:
                refs.append(partial(np.sort, sort_input))
                keys.append("sort")
            ratios = dict(
                zip(
                    keys, median_ratios(partial(pl.regions, net, interval), refs, repeats, min_time)
                )
            )
            peak = peak_memory(partial(pl.regions, net, interval))

            def cell(key: str, width: int, ratios: dict[str, float] = ratios) -> str:
                if key not in ratios:
                    return f"{'-':>{width}}"
                mark = "*" if ratios[key] > TARGETS[key] else " "
                return f"{ratios[key]:>{width - 1}.3g}{mark}"

            print(
                f"{name:<17}{label:<12}{len(r):>9}{cell('fwd', 12)}{cell('regioncam', 11)}"
                f"{cell('grid', 8)}{cell('sort', 9)}"
                f"{peak / 2**20:>10.1f}{peak / (len(r) * widest * 8):>14.2f}"
            )
    print("-" * len(head))
    segments_table(args.quick, repeats, min_time, args.seed)


def segments_table(quick: bool, repeats: int, min_time: float, seed: int) -> None:
    """``breakpoints_many`` against a loop over ``restrict`` and ``breakpoints``."""
    rows = [([64, 64, 64, 10], 2000), ([64, 256, 256, 10], 500), ([784, 128, 128, 10], 200)]
    if quick:
        rows = [([16, 32, 32, 3], 200)]
    print("\npl.breakpoints_many against a loop of restrict + breakpoints (median of")
    print(f"{repeats} interleaved repeats): loop time / breakpoints_many time")
    print(f"{'net':<20}{'segments':>9}{'kinks':>9}{'speed-up':>10}")
    rng = np.random.default_rng(seed)
    for widths, n_seg in rows:
        net = pl.Network.random(widths, seed=seed)
        starts = rng.normal(size=(n_seg, widths[0]))
        ends = rng.normal(size=(n_seg, widths[0]))

        def loop(net: pl.Network = net, a: np.ndarray = starts, b: np.ndarray = ends) -> list:
            return [pl.breakpoints(pl.restrict(net, x, y), (0.0, 1.0)) for x, y in zip(a, b)]

        many = partial(pl.breakpoints_many, net, starts, ends)
        got, want = many(), loop()
        if not all(np.array_equal(u, v) for u, v in zip(got, want)):
            raise AssertionError("breakpoints_many disagrees with the loop")
        (ratio,) = median_ratios(loop, [many], repeats, min_time)
        name = "x".join(map(str, widths))
        print(f"{name:<20}{n_seg:>9}{sum(t.size for t in got):>9}{ratio:>10.1f}")


if __name__ == "__main__":
    main()
