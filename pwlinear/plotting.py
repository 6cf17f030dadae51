"""Figures of a network's exact regions and of fits (matplotlib, imported lazily).

Needs the ``plot`` extra: ``pip install "pwlinear[plot]"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pwlinear.analysis import regions
from pwlinear.network import as_network

__all__ = ["plot_network", "plot_fit"]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "pwlinear.plotting needs matplotlib: pip install 'pwlinear[plot]'"
        ) from None
    return plt


def _view(r: Any, interval: Any) -> tuple[float, float]:
    if interval is not None:
        return float(interval[0]), float(interval[1])
    b = r.breakpoints.astype(np.float64)
    if b.size == 0:
        return -1.0, 1.0
    lo, hi = float(b.min()), float(b.max())
    pad = max(0.1 * (hi - lo), 1.0)
    return lo - pad, hi + pad


def plot_network(net: Any, interval: Any = None, *, output: int | None = None) -> Any:
    """Three stacked panels: :math:`N(x)` with its breakpoints, the exact slope as a
    step function, and the number of inactive hidden neurons per region.

    Parameters
    ----------
    net : Network or sequence of (W, b)
        A scalar-input network (one output, or choose one with ``output``).
    interval : (lo, hi), optional
        The x range shown; default a range around all breakpoints.
    output : int, optional
        The output to show for a network with several.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    network = as_network(net)
    r_all = regions(network, output=output)
    lo, hi = _view(r_all, interval)
    r = regions(network, (lo, hi), output=output)
    if r.slope.ndim != 1:
        raise ValueError("net has several outputs; choose one with output=k")
    fig, axes = plt.subplots(3, 1, sharex=True, figsize=(7, 6.5), constrained_layout=True)
    edges = np.r_[r.left, r.right[-1]]
    x = np.unique(np.r_[np.linspace(lo, hi, 400), edges])
    y = r(x)
    axes[0].plot(x, y, color="C0", lw=1.6, label="N(x), exact")
    bp = r.breakpoints
    axes[0].plot(bp, r(bp), "o", ms=4, color="C3", label=f"{bp.size} breakpoints")
    axes[0].set_ylabel("output")
    axes[0].legend(loc="best", fontsize=8)
    axes[1].stairs(r.slope, edges, color="C2", lw=1.6, baseline=None)
    axes[1].set_ylabel("slope")
    axes[2].stairs(r.n_inactive, edges, color="C1", lw=1.6, baseline=None)
    axes[2].set_ylabel("inactive neurons")
    axes[2].set_xlabel("x")
    for ax in axes:
        for b in bp:
            ax.axvline(b, color="0.85", lw=0.6, zorder=0)
    return fig


def plot_fit(fit: Any, target: Any = None, *, ax: Any = None) -> Any:
    """The fitted :math:`c + \\sum_i w_i\\,\\mathrm{relu}(x - h_i)` on its interval, its
    shifts marked, and the target (a callable) or the data points when given.

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    a, b = fit.interval
    x = np.unique(np.r_[np.linspace(a, b, 400), fit.shifts.astype(np.float64)])
    x = x[(x >= a) & (x <= b)]
    if isinstance(target, tuple):
        ax.plot(*target, ".", ms=2, color="0.6", label="data")
    elif callable(target):
        ax.plot(x, target(x), color="0.4", lw=2.5, alpha=0.5, label="target")
    ax.plot(x, fit(x), color="C0", lw=1.5, label=f"{fit.n_units} shifted ReLUs")
    h = fit.shifts.astype(np.float64)
    h = h[(h >= a) & (h <= b)]
    ax.plot(h, fit(h), "|", ms=12, color="C3", label="shifts")
    ax.set_xlabel("x")
    ax.legend(loc="best", fontsize=8)
    ax.set_title(f"rms error {fit.rms:.3g}")
    return ax
