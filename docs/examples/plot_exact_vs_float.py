"""
Exact and float on a degenerate network
=======================================

An asymmetric tent map composed several times switches many neurons exactly
where others already switched.  Plain float arithmetic would create sliver
regions there; pwlinear's certified float path gives the same structure as the
exact rational one: :math:`2^L` pieces on [0, 1].
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import pwlinear as pl

a = 0.3
c1, c2 = 1 / a, 1 / a + 1 / (1 - a)


def tent(depth):
    layers = [(np.array([[1.0], [1.0]]), np.array([0.0, -a]))]
    layers += [(np.array([[c1, -c2], [c1, -c2]]), np.array([0.0, -a]))] * (depth - 1)
    layers.append((np.array([[c1, -c2]]), np.array([0.0])))
    return pl.Network(layers)


for depth in (2, 4, 6):
    net = tent(depth)
    rf = pl.regions(net, (0, 1))
    re = pl.regions(net, (0, 1), exact=True)
    same = all(np.array_equal(p, q) for p, q in zip(rf.patterns, re.patterns))
    print(
        f"L={depth}: float {len(rf)} regions, exact {len(re)}, patterns equal: {same}; "
        f"first exact breakpoint {re.breakpoints[0]}"
    )

net = tent(4)
x = np.linspace(0, 1, 2001)
fig, ax = plt.subplots(figsize=(6, 3), constrained_layout=True)
ax.plot(x, net(x))
bp = pl.breakpoints(net, (0, 1))
ax.plot(bp, net(bp), "o", ms=3, color="C3")
_ = ax.set_title("tent map composed 4 times: 16 pieces")
