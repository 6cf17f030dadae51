"""
Regions of deep networks
========================

On the whole line, a randomly initialised ReLU network has roughly one
activation region per hidden neuron, whatever its depth and width.
"""

# %%
import matplotlib.pyplot as plt

import pwlinear as pl

fig, ax = plt.subplots(figsize=(5, 4), constrained_layout=True)
for depth in (1, 2, 4):
    neurons, counts = [], []
    for width in (8, 16, 32, 64):
        net = pl.Network.random([1] + [width] * depth + [1], seed=width + depth)
        n = len(pl.regions(net))
        neurons.append(width * depth)
        counts.append(n)
    print(f"depth {depth}: neurons {neurons} -> regions {counts}")
    ax.plot(neurons, counts, "o-", label=f"depth {depth}")
ax.plot([0, 256], [0, 256], "k:", label="one region per neuron")
ax.set_xlabel("hidden neurons")
ax.set_ylabel("regions on the whole line")
_ = ax.legend()
