"""best_fit against pwlf on the same data and the same capacity.

``pwlf.PiecewiseLinFit(x, y).fit(n)`` (differential evolution) and
``.fitfast(n)`` (multi-start local search) fit continuous piecewise-linear
functions with ``n`` segments, ``n + 1`` free parameters besides the
breakpoints; ``pl.best_fit((x, y), n)`` has ``n`` free shifts, ``n`` weights and
a bias, where a unit at the left end plays pwlf's linear term.  Printed per
row: the SSR ratio (ours / pwlf, target <= 1) and the time ratio
(pwlf / ours; ours the median of 5 calls after a warm-up, pwlf one call).
``--full`` also runs ``pwlf.fit`` at n = 8 and 16 (minutes); ``--quick`` runs
n = 2 and 4 only.

Run ``python benchmarks/bench_fit.py`` (needs ``pip install pwlf``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import pwlinear as pl


def timed(f: Callable[[], Any], repeat: int = 1) -> tuple[Any, float]:
    """The result of ``f()`` and the median wall time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return out, float(np.median(times))


def main() -> None:
    import pwlf

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x1 = np.sort(rng.uniform(0, 2, 1000))
    x2 = np.sort(rng.uniform(0, 2 * np.pi, 2000))
    datasets = {
        "x^2 + noise (1000)": (x1, x1**2 + rng.normal(0, 0.05, x1.size)),
        "sin(3x) + noise (2000)": (x2, np.sin(3 * x2) + rng.normal(0, 0.05, x2.size)),
    }
    ns = [2, 4] if args.quick else [2, 4, 8, 16]
    header = (
        f"{'data':<24}{'n':>4}{'pwlf method':>13}{'SSR ours/pwlf':>15}"
        f"{'time pwlf/ours':>16}{'ours s':>8}"
    )
    print(header)
    print("-" * len(header))
    pl.best_fit((x1, x1), 2)  # warm-up: lazy imports of scipy
    for name, (x, y) in datasets.items():
        for n in ns:
            ours, t_ours = timed(lambda x=x, y=y, n=n: pl.best_fit((x, y), n), repeat=5)
            methods = ["fitfast"] + (["fit"] if (n <= 4 or args.full) else [])
            for method in methods:
                model = pwlf.PiecewiseLinFit(x, y, seed=0)
                kw = {"pop": 2} if method == "fitfast" else {}
                _, t_pwlf = timed(
                    lambda m=model, meth=method, n=n, kw=kw: getattr(m, meth)(n, **kw)
                )
                ssr_pwlf = float(model.ssr)
                ratio = ours.loss / ssr_pwlf
                flag = "ok" if ratio <= 1 + 1e-9 else "WORSE"
                print(
                    f"{name:<24}{n:>4}{method:>13}{ratio:>15.4f}{t_pwlf / t_ours:>16.1f}"
                    f"{t_ours:>8.3f} {flag}"
                )

    # fixed shifts at scale: 10,000 uniform units on 100,000 points (banded hat-basis solve)
    x = np.sort(rng.uniform(0, 2, 100_000))
    y = np.sin(10 * x) + rng.normal(0, 0.05, x.size)
    fit, t_fit = timed(lambda: pl.best_fit((x, y), 10_000, shifts="uniform"), repeat=3)
    _, t_sort = timed(lambda: np.sort(y), repeat=5)
    _, t_eval = timed(lambda: fit.function(x), repeat=5)
    print(
        f"\nfixed shifts, 10,000 units on 100,000 points: {t_fit / t_sort:.0f}x np.sort of the "
        f"data, {t_fit / t_eval:.0f}x evaluating the fit there; rms {fit.rms:.4f} (noise 0.05)"
    )


if __name__ == "__main__":
    main()
