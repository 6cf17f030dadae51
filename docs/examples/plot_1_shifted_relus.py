r"""
Bends from shifted ReLUs
========================

A weighted sum of shifted ReLUs :math:`c + \sum_i w_i\,\mathrm{relu}(x - h_i)`
bends at each shift :math:`h_i`, and its slope jumps there by exactly
:math:`w_i`.  Sums of one, two, three and forty terms show the bends
multiplying, and :func:`pwlinear.breakpoints` finds every one of them.
"""

# %%
# One, two, three and many terms
# ------------------------------
# :func:`pwlinear.shifted_relus` builds the network for given weights, shifts
# and bias.  The faint lines are the individual terms, the thick line their sum
# and the red dots the breakpoints found on the whole real line.
import matplotlib.pyplot as plt
import numpy as np

import pwlinear as pl

rng = np.random.default_rng(0)
cases = {
    "relu(x)": ([1.0], [0.0]),
    "relu(x) + relu(x - 1)": ([1.0, 1.0], [0.0, 1.0]),
    "three terms": ([1.0, -2.0, 1.5], [-1.0, 0.5, 1.5]),
    "40 random terms": (rng.normal(0.0, 0.5, 40), np.sort(rng.uniform(-2.0, 2.0, 40))),
}
x = np.linspace(-2.5, 2.5, 1001)
fig, axes = plt.subplots(1, 4, figsize=(12, 3.2), layout="constrained")
for ax, (name, (w, h)) in zip(axes, cases.items()):
    net = pl.shifted_relus(w, h)
    bp = pl.breakpoints(net)
    r = pl.regions(net)
    jumps = np.diff(r.slope)
    print(
        f"{name}: {bp.size} breakpoints; slope jumps equal the weights: "
        f"{np.allclose(np.sort(jumps), np.sort(w))}"
    )
    if len(w) <= 3:
        for wi, hi in zip(w, h):
            ax.plot(x, wi * np.maximum(x - hi, 0.0), lw=1, alpha=0.4)
    ax.plot(x, net(x), color="k", lw=2)
    ax.plot(bp, net(bp), "o", ms=4, color="C3")
    ax.set_title(f"{name}\n{bp.size} breakpoint{'s' * (bp.size != 1)}", fontsize=10)
    ax.set_xlabel("x")

# %%
# A region boundary that is not a breakpoint
# ------------------------------------------
# Two terms with the same shift and opposite weights switch at the same point
# but cancel: the activation pattern changes there (a region boundary), the
# slope does not (no breakpoint).  :class:`pwlinear.Regions` reports both.
net = pl.shifted_relus([1.0, -1.0, 1.0], [0.0, 0.0, 1.0])
r = pl.regions(net)
print("region boundaries:", r.boundaries)
print("breakpoints:      ", r.breakpoints)
print("neurons switching at each boundary:", [s[:, 1].tolist() for s in r.switches])

fig, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
ax.plot(x, net(x), color="k", lw=2)
for b in r.boundaries[~r.is_breakpoint]:
    ax.axvline(b, ls=":", color="0.5", label="boundary, not a breakpoint")
ax.plot(r.breakpoints, net(r.breakpoints), "o", color="C3", label="breakpoint")
ax.set_xlabel("x")
ax.set_title("relu(x) - relu(x) + relu(x - 1)", fontsize=10)
ax.legend(loc="upper left", fontsize=8)
