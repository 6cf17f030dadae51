"""
A random network on [-100, 100]: exact regions against a grid
=============================================================

A random one-hidden-layer ReLU network, analysed exactly: its output, its
slope as a step function and its count of inactive neurons per region.  The
same picture sampled from -100 to 100 in steps of 0.01 merges kinks closer
than the step and cannot see the kinks outside the grid.
"""

# %%
# The network and its exact regions
# ---------------------------------
# One hidden layer of 40 ReLUs with He-normal weights.  The biases are drawn
# with a standard deviation of 30 so that the kinks :math:`-b_i / w_i` spread
# over the plotted window (with unit biases they would crowd around 0).
import matplotlib.pyplot as plt
import numpy as np

import pwlinear as pl
from pwlinear.plotting import plot_network

net = pl.Network.random([1, 40, 1], seed=10, bias_std=30.0)
window = (-100.0, 100.0)
r = pl.regions(net, window)
whole = pl.regions(net)

print(f"{len(r)} regions and {r.breakpoints.size} breakpoints in [-100, 100]")
print(f"{whole.breakpoints.size} breakpoints on the whole real line")
print("inactive neurons, region by region:", r.n_inactive.tolist())

# %%
# Every step of the slope (middle panel) sits where the count of inactive
# neurons (bottom panel) changes, and the output is a straight line between
# consecutive breakpoints.  Each neuron switches once, so each switch moves
# the count by exactly one.
fig = plot_network(net, window)
fig.suptitle("exact: output, slope and inactive neurons")

# %%
# The same picture from a grid
# ----------------------------
# On the grid, the slope can only be estimated from consecutive samples.  A
# kink strictly between two grid points changes that estimate at two
# consecutive steps, so a kink shows up as a run of changed steps; kinks less
# than two grid steps apart produce a single run and look like one kink.
step = 0.01
grid = np.linspace(*window, round((window[1] - window[0]) / step) + 1)
y = net(grid).ravel()
grid_slope = np.diff(y) / np.diff(grid)
changed = np.flatnonzero(np.abs(np.diff(grid_slope)) > 1e-8 * np.abs(grid_slope).max())
runs = np.split(changed, np.flatnonzero(np.diff(changed) > 1) + 1)
print(f"the grid sees {len(runs)} slope changes; there are {r.breakpoints.size}")

# Which exact breakpoints share a run?  Breakpoint b lies in grid step k, and the
# run covering slope changes k - 1 and k is the one that saw it.
step_of = np.searchsorted(grid, r.breakpoints) - 1
run_of = np.full(r.breakpoints.size, -1)
for j, run in enumerate(runs):
    run_of[np.isin(step_of, run) | np.isin(step_of - 1, run)] = j
shared = np.flatnonzero(np.bincount(run_of[run_of >= 0], minlength=len(runs)) > 1)
for j in shared:
    pair = r.breakpoints[run_of == j]
    counts = r.n_inactive[r.locate(pair[0]) : r.locate(pair[-1]) + 2]
    print(
        f"merged by the grid: kinks at {np.array2string(pair, precision=4)}, "
        f"{np.diff(pair).min():.4f} apart; inactive neurons {counts.tolist()}"
    )

# The grid's count of inactive neurons: pre-activations below zero at each sample.
W1, b1 = net.layers[0]
grid_inactive = ((grid[:, None] * W1[:, 0] + b1) <= 0).sum(axis=1)
jumps = np.diff(grid_inactive)
print(
    f"the grid's inactive count changes at {np.count_nonzero(jumps)} steps, "
    f"by up to {np.abs(jumps).max()} neurons at once; exactly, it changes "
    f"{len(r) - 1} times, by up to {np.abs(np.diff(r.n_inactive)).max()}"
)

# %%
# The sampled count does a little better than the sampled slope: it separates
# kinks in neighbouring grid steps, which the slope estimate merges, but two
# neurons switching within one step still look like a single jump by two.
#
# Zooming on the closest pair shows why the slope estimate merges kinks:
# between two grid points it passes through one intermediate value, whether
# one neuron or two switched there.
b0 = r.breakpoints[np.argmin(np.diff(r.breakpoints))]
lo, hi = b0 - 0.04, b0 + 0.05
fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
zoom = pl.regions(net, (lo, hi))
edges = np.r_[zoom.left, zoom.right[-1]]
ax.stairs(zoom.slope, edges, color="C2", lw=2, baseline=None, label="exact slope")
inside = (grid[:-1] >= lo) & (grid[1:] <= hi)
ax.hlines(
    grid_slope[inside], grid[:-1][inside], grid[1:][inside], color="k", lw=1, label="grid slope"
)
for b in zoom.breakpoints:
    ax.axvline(b, color="C3", ls=":", lw=1)
for g in grid[(grid >= lo) & (grid <= hi)]:
    ax.axvline(g, color="0.85", lw=0.5, zorder=0)
ax.set_xlim(lo, hi)
ax.set_xlabel("x (grey lines: grid points, red dotted: exact breakpoints)")
ax.set_ylabel("slope")
ax.legend(loc="best", fontsize=8)

# %%
# Outside the grid
# ----------------
# The whole-line analysis also finds the kinks beyond the window.  A grid on
# [-100, 100] suggests the network continues with its slope at the ends; the
# exact end slopes differ.
outside = whole.breakpoints[np.abs(whole.breakpoints) > 100]
print("breakpoints outside [-100, 100]:", np.array2string(outside, precision=2))
print(
    f"slope at x = -100: {r.slope[0]:.4f}, as x -> -inf: {whole.slope[0]:.4f}; "
    f"slope at x = 100: {r.slope[-1]:.4f}, as x -> +inf: {whole.slope[-1]:.4f}"
)

span = 1.2 * np.abs(outside).max()
x = np.unique(np.r_[np.linspace(-span, span, 1001), whole.breakpoints])
fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
ax.axvspan(*window, color="0.92", label="the grid's window")
ax.plot(x, net(x), color="C0", label="N(x), exact")
ax.plot(outside, net(outside), "o", color="C3", ms=5, label="kinks the grid cannot see")
ax.set_xlabel("x")
ax.legend(loc="best", fontsize=8)
