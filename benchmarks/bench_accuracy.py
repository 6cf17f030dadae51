"""Accuracy of the float boundaries against the exact ones, on small random networks.

For ``--nets`` seeded He-initialised ReLU nets with two or three hidden layers of one
to six neurons (whole line), the largest distance in units in the last place between a
float boundary of ``pl.regions(net)`` and the correctly rounded exact one: how many nets
have a boundary more than 8 ulps off, and the worst, in all and by depth (with two hidden
layers every crossing comes from exact inputs by compensated products, so every boundary
is within a few ulps); the same for ``refine=True``,
which rounds every boundary correctly (0 ulps).  Structure (count, order, patterns)
always equals the exact one; this measures the values only.

Wide nets then, where small ones cannot look: per net of three and four hidden layers of
256 ReLUs on [-100, 100], the share of boundaries more than 8 ulps off, their mean and
the worst, by default (intercepts by continuity before each wide layer: see
:mod:`pwlinear._sweep`) and by products alone (``analysis._partition``'s arithmetic).
Run ``python benchmarks/bench_accuracy.py`` (``--quick`` for 50 small nets and one wide
one of each depth).
"""

from __future__ import annotations

import argparse

import numpy as np

import pwlinear as pl


def worst_ulps(net: pl.Network, refine: bool = False) -> float:
    """Largest ulp distance between a float boundary and the rounded exact one."""
    xf = pl.regions(net, refine=refine).boundaries
    if xf.size == 0:
        return 0.0
    xe = np.array([float(v) for v in pl.regions(net, exact=True).boundaries])
    return float((np.abs(xf - xe) / np.spacing(np.abs(xe))).max())


def ulps_by_path(net: pl.Network, interval: tuple[float, float]) -> list[np.ndarray]:
    """Ulp distances of every boundary to the rounded exact one: by default, and by the
    sweep with products alone."""
    from pwlinear import _sweep

    exact = pl.regions(net, interval, exact=True).boundaries
    xe = np.array([float(v) for v in exact])
    cols = np.arange(1)
    edges = _sweep.partition_sweep(net, *interval, cols, continuity=False)[0][1:-1]
    out = []
    for xf in (pl.regions(net, interval).boundaries, edges):
        assert xf.size == xe.size
        out.append(np.abs(xf - xe) / np.spacing(np.abs(xe)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--nets", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    nets = []
    for _ in range(50 if args.quick else args.nets):
        widths = [1] + [int(rng.integers(1, 7)) for _ in range(int(rng.integers(2, 4)))] + [1]
        nets.append(pl.Network.random(widths, seed=int(rng.integers(0, 2**16))))
    print(f"{len(nets)} random nets (2-3 hidden layers of 1-6 ReLUs), seed {args.seed}")
    depth = np.array([len(net.activations) for net in nets])
    for label, refine in (("default", False), ("refine=True", True)):
        w = np.array([worst_ulps(net, refine) for net in nets])
        print(
            f"{label:<12} nets with a boundary more than 8 ulps off: {int((w > 8).sum())}; "
            f"median of the per-net worst: {np.median(w):.0f} ulps; worst: {w.max():.0f} ulps"
        )
        for d in (2, 3):  # the second layer's crossings come from the exact first layer
            wd = w[depth == d]
            print(
                f"{'':<12} {d} hidden layers: {wd.size} nets, {int((wd > 8).sum())} more than "
                f"8 ulps off, worst {wd.max(initial=0):.0f} ulps"
            )
    print("\nwide nets on [-100, 100]: boundaries more than 8 ulps off, mean and worst ulps")
    print(f"{'net':<22}{'boundaries':>11}{'default':>24}{'products alone':>24}")
    for hidden in (3, 4):
        for seed in range(1 if args.quick else 3):
            net = pl.Network.random([1] + [256] * hidden + [1], seed=seed)
            cells = [
                f"{(u > 8).mean():6.1%} {u.mean():6.1f} {u.max():7.0f}"
                for u in ulps_by_path(net, (-100.0, 100.0))
            ]
            name = f"1x256(x{hidden})x1 s{seed}"
            print(f"{name:<22}", end="")
            n_b = pl.regions(net, (-100.0, 100.0)).boundaries.size
            print(f"{n_b:>11}{cells[0]:>24}{cells[1]:>24}")


if __name__ == "__main__":
    main()
