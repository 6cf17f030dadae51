"""
A linear network stays linear
=============================

With identity activations a network of any depth is one affine map: one
region, no breakpoint, and a slope equal to the product of its weight
matrices.  The same weights with ReLU activations bend many times.
"""

# %%
# Identity activations at several depths
# --------------------------------------
# Each network has hidden layers of width 16.  The slope found by
# :func:`pwlinear.regions` is compared with the product of the weight
# matrices.
import matplotlib.pyplot as plt
import numpy as np

import pwlinear as pl

x = np.linspace(-3, 3, 601)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
for depth in (1, 3, 10):
    widths = [1] + [16] * depth + [1]
    linear = pl.Network.random(widths, seed=depth, activation="identity")
    r = pl.regions(linear)
    product = np.linalg.multi_dot([W for W, _ in reversed(linear.layers)]).item()
    print(
        f"depth {depth:2d}, identity: {len(r)} region, {r.breakpoints.size} breakpoints, "
        f"slope {r.slope[0]:+.6f}, product of weight matrices {product:+.6f}"
    )
    # the same weights and biases, with ReLU between the layers
    bent = pl.Network(linear.layers, activation="relu")
    rb = pl.regions(bent)
    print(f"          ReLU:     {len(rb)} regions, {rb.breakpoints.size} breakpoints")
    left.plot(x, linear(x), label=f"depth {depth}")
    right.plot(x, bent(x), label=f"depth {depth}")
left.set_title("identity activations: straight lines", fontsize=10)
right.set_title("the same weights with ReLU: bends", fontsize=10)
for ax in (left, right):
    ax.set_xlabel("x")
    ax.legend(fontsize=8)
