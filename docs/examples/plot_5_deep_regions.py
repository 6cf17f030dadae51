"""
Regions of deep networks
========================

Along a line, a randomly initialised ReLU network has about one activation
region per hidden neuron, whatever its depth and width, far fewer than the
exponential number a deep network could have.  :func:`pwlinear.regions`
counts them exactly on the whole real line.
"""

# %%
# One deep network along the whole line
# -------------------------------------
# Four hidden layers of 32 ReLUs with He-normal weights and unit-variance
# biases.  Without an interval, the first region starts at :math:`-\infty`
# and the last ends at :math:`+\infty`.  Most breakpoints lie within a few
# units of the origin (the scale of the biases), a few far away; the plot
# shows [-10, 10].
import matplotlib.pyplot as plt
import numpy as np

import pwlinear as pl
from pwlinear.plotting import plot_network

net = pl.Network.random([1, 32, 32, 32, 32, 1], seed=1)
r = pl.regions(net)
bp = r.breakpoints
print(f"{sum(net.hidden_widths)} hidden neurons, {len(r)} regions, {bp.size} breakpoints")
for a in (1, 10, 100):
    print(f"breakpoints in [-{a}, {a}]: {np.count_nonzero(np.abs(bp) <= a)}")
print(f"outermost breakpoints: {bp.min():.2f} and {bp.max():.2f}")
fig = plot_network(net, (-10, 10))
fig.suptitle("4 hidden layers of 32 ReLUs, on [-10, 10]")

# %%
# Region counts against the number of neurons
# -------------------------------------------
# For each depth and width, the mean number of regions over five random
# networks (the bars span the smallest and largest count).  The dotted line is
# one region per hidden neuron.  Hand-built networks can do far better: the
# composed tent maps of
# :ref:`sphx_glr_auto_examples_plot_7_exact_vs_float.py` reach :math:`2^L`
# regions with :math:`2L` neurons.
depths = (1, 2, 4, 8)
widths = (8, 16, 32, 64)
seeds = range(5)
fig, ax = plt.subplots(figsize=(5.5, 4.2), layout="constrained")
for depth in depths:
    neurons = np.array([depth * width for width in widths])
    counts = np.array(
        [
            [len(pl.regions(pl.Network.random([1] + [w] * depth + [1], seed=s))) for s in seeds]
            for w in widths
        ]
    )
    mean = counts.mean(axis=1)
    print(
        f"depth {depth}: neurons {neurons.tolist()} -> mean regions {mean.tolist()} "
        f"(regions per neuron {np.round(mean / neurons, 2).tolist()})"
    )
    ax.errorbar(
        neurons,
        mean,
        yerr=[mean - counts.min(axis=1), counts.max(axis=1) - mean],
        fmt="o-",
        capsize=2,
        label=f"depth {depth}",
    )
line = np.array([8, 512])
ax.loglog(line, line, "k:", lw=1, label="one region per neuron")
ax.set_xlabel("hidden neurons (depth x width)")
ax.set_ylabel("regions on the whole line")
ax.legend(fontsize=8)
