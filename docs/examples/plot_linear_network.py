"""
A linear network stays linear
=============================

With identity activations a network of any depth is one affine map: a single
region, no breakpoints, and a slope equal to the product of its weights.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import pwlinear as pl

fig, ax = plt.subplots(figsize=(5, 3.5), constrained_layout=True)
x = np.linspace(-3, 3, 201)
for depth in (1, 3, 10):
    net = pl.Network.random([1] + [16] * depth + [1], seed=depth, activation="identity")
    r = pl.regions(net)
    product = np.linalg.multi_dot([W for W, _ in reversed(net.layers)])[0, 0] if depth else 0.0
    print(
        f"depth {depth}: {len(r)} region, {r.breakpoints.size} breakpoints, "
        f"slope {r.slope[0]:.6f} (product of weights {product:.6f})"
    )
    ax.plot(x, net(x), label=f"depth {depth}")
_ = ax.legend()
