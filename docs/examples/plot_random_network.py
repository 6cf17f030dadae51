"""
A random network on [-100, 100], exactly
========================================

A random one-hidden-layer ReLU network evaluated from -100 to 100 in steps of
0.01 shows slope changes wherever the count of inactive neurons changes.
Computed exactly instead, every slope change is found, including kinks closer
together than the grid step and kinks outside [-100, 100] that no grid on that
range can see.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import pwlinear as pl
from pwlinear.plotting import plot_network

net = pl.Network.random([1, 30, 1], seed=4, bias_std=20.0)
whole = pl.regions(net)
r = pl.regions(net, (-100, 100))
outside = whole.breakpoints[np.abs(whole.breakpoints) > 100]
print(f"{r.breakpoints.size} breakpoints in [-100, 100], {outside.size} outside it")
print("inactive neurons per region:", r.n_inactive)
fig = plot_network(net, (-100, 100))

# %%
# The same picture from the grid: slope changes are detected between grid
# points, so kinks closer than 0.01 merge and the kinks outside the grid are
# never seen.
grid = np.arange(-100, 100.005, 0.01)
y = net(grid)
slope = np.diff(y) / np.diff(grid)
changes = np.flatnonzero(np.abs(np.diff(slope)) > 1e-9 * np.abs(slope).max())
groups = np.split(changes, np.flatnonzero(np.diff(changes) > 1) + 1) if changes.size else []
print(
    f"grid sees {len(groups)} slope changes; exact: {r.breakpoints.size} in range, "
    f"{whole.breakpoints.size} on the whole line"
)
gaps = np.diff(r.breakpoints)
print(f"smallest gap between exact breakpoints: {gaps.min():.3g}" if gaps.size else "")
fig, ax = plt.subplots(figsize=(7, 3), constrained_layout=True)
ax.plot(grid[1:], slope, lw=1, label="grid slope")
ax.stairs(r.slope, np.r_[r.left, r.right[-1]], color="C3", lw=1, label="exact slope")
ax.set_xlabel("x")
_ = ax.legend()
