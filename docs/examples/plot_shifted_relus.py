"""
Bends from shifted ReLUs
========================

A weighted sum of shifted ReLUs :math:`\\sum_i w_i\\,\\mathrm{relu}(x - h_i)`
bends exactly at the shifts whose weight is nonzero.  With one, two, three and
many units the curve gains bends; :func:`pwlinear.breakpoints` finds each one.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import pwlinear as pl

rng = np.random.default_rng(0)
cases = {
    "1 unit": ([1.0], [0.0]),
    "2 units": ([1.0, 1.0], [0.0, 1.0]),
    "3 units": ([1.0, -2.0, 1.5], [-1.0, 0.5, 1.5]),
    "40 units": (rng.normal(0, 0.5, 40), np.sort(rng.uniform(-2, 2, 40))),
}
x = np.linspace(-2.5, 2.5, 1001)
fig, axes = plt.subplots(1, 4, figsize=(12, 3), constrained_layout=True)
for ax, (name, (w, h)) in zip(axes, cases.items()):
    net = pl.shifted_relus(w, h)
    bp = pl.breakpoints(net)
    print(f"{name}: {bp.size} breakpoints")
    ax.plot(x, net(x))
    ax.plot(bp, net(bp), "o", ms=3, color="C3")
    ax.set_title(f"{name}: {bp.size} bends")

# %%
# Cancelling units add a region boundary but no bend: two units at the same
# shift with opposite weights leave the sum straight there.
net = pl.shifted_relus([1.0, -1.0, 1.0], [0.0, 0.0, 1.0])
r = pl.regions(net)
print("boundaries:", r.boundaries, "breakpoints:", r.breakpoints)
fig, ax = plt.subplots(figsize=(5, 3), constrained_layout=True)
ax.plot(x, net(x))
ax.axvline(0.0, ls=":", color="0.5", label="boundary, not a breakpoint")
ax.plot(r.breakpoints, net(r.breakpoints), "o", color="C3", label="breakpoint")
_ = ax.legend()
