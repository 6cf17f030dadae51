"""A change against a git revision: ``pl.regions`` time ratios (working tree / revision).

Both versions run in one process, interleaved in paired batches, so that the machine's
drift cancels: the revision's ``pwlinear`` is exported with ``git archive`` into a
temporary directory and imported as ``pwlinear_rev`` (its own imports renamed; numba
caches its compiled functions by file, apart from the working tree's).  Each row checks
that both give the same region ends and slopes, then prints both best times and the
median of the paired ratios (below 1: the working tree is faster); with ``--rounding``,
for a change that rounds differently, the same regions and inactive counts and ends and
slopes within 1e-9 of each other.  On a noisy machine
the revision against itself gives ratios of 0.99-1.04; read smaller changes as noise.

``python benchmarks/bench_ab.py HEAD~1`` (``--nets "[1,64,64,1];[1,1000000,1]"``,
``--rounds 40``).
"""

from __future__ import annotations

import argparse
import importlib
import io
import re
import subprocess
import sys
import tarfile
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_core import calibrate, timed

import pwlinear as pl

NETS = "[1,4,4,1];[1,64,64,1];[1,32,32,32,1];[1,128,128,128,1];[1,100000,1]"


def import_revision(rev: str, into: Path) -> Any:
    """``pwlinear`` as of ``rev``, imported as ``pwlinear_rev`` from ``into``."""
    tar = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "pwlinear"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        t.extractall(into, filter="data")
    (into / "pwlinear").rename(into / "pwlinear_rev")
    for f in (into / "pwlinear_rev").glob("*.py"):
        f.write_text(re.sub(r"\bpwlinear\b", "pwlinear_rev", f.read_text()))
    sys.path.insert(0, str(into))
    return importlib.import_module("pwlinear_rev")


def paired(f_rev: Any, f_new: Any, rounds: int) -> tuple[float, float, float]:
    """Best times of both and the median ratio new / revision of paired batches (each
    batch about 10 ms; the order alternates)."""
    f_rev()
    k = calibrate(f_rev, 0.01)
    times: dict[Any, list[float]] = {f_rev: [], f_new: []}
    for r in range(rounds):
        for f in (f_rev, f_new) if r % 2 else (f_new, f_rev):
            times[f].append(timed(f, k))
    a, b = np.array(times[f_rev]), np.array(times[f_new])
    return float(a.min()), float(b.min()), float(np.median(b / a))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("rev", help="the git revision to compare the working tree with")
    parser.add_argument("--nets", default=NETS, help="widths lists, separated by ';'")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--rounding",
        action="store_true",
        help="for changes of rounding: the same regions and patterns, values within 1e-9",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = import_revision(args.rev, Path(tmp))
        print(f"pl.regions: working tree against {args.rev} (median of {args.rounds} pairs)")
        print(f"{'net':28s} {'rev best':>12s} {'new best':>12s} {'new/rev':>8s}")
        for spec in args.nets.split(";"):
            widths = [int(w) for w in spec.strip("[] ").split(",")]
            net_old = old.Network.random(widths, seed=args.seed)
            net_new = pl.Network.random(widths, seed=args.seed)
            r_old, r_new = old.regions(net_old), pl.regions(net_new)
            same = np.array_equal(r_old.left, r_new.left) and np.array_equal(
                r_old.slope, r_new.slope
            )
            if not same and args.rounding:
                same = (
                    len(r_old) == len(r_new)
                    and np.array_equal(r_old.n_inactive, r_new.n_inactive)
                    and np.allclose(r_old.left, r_new.left, rtol=1e-9, atol=0.0)
                    and np.allclose(r_old.slope, r_new.slope, rtol=1e-9, atol=1e-300)
                )
            if not same:
                print(f"{spec:28s} results differ")
                continue
            a, b, ratio = paired(
                partial(old.regions, net_old), partial(pl.regions, net_new), args.rounds
            )
            print(f"{spec:28s} {a * 1e6:10.1f}us {b * 1e6:10.1f}us {ratio:8.3f}")


if __name__ == "__main__":
    main()
