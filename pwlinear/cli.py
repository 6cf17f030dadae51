"""The ``pwlinear`` command line (also ``python -m pwlinear``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import pwlinear as pl


def _demo(args: argparse.Namespace) -> int:
    net = pl.Network.random([1, 8, 1], seed=args.seed)
    r = pl.regions(net)
    print(f"{net!r}: {len(r)} regions, {r.is_breakpoint.sum()} breakpoints on the whole line")
    for x in r.breakpoints:
        print(f"  {x!r}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = argparse.ArgumentParser(prog="pwlinear", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {pl.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="exact breakpoints of a seeded random network")
    demo.add_argument("--out", default="demo-output")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_demo)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
