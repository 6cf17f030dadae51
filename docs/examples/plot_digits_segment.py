"""
A trained classifier along a segment between two images
=======================================================

A scikit-learn MLP trained on the 8x8 digits has 64 inputs.  Along the
straight segment from one test image to another it is an exact scalar-input
network: pwlinear counts its activation regions, finds where its logits bend
and where the predicted class changes, with no sampling step to miss small
regions.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier

import pwlinear as pl

X, y = load_digits(return_X_y=True)
X = X / 16.0
mlp = MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=400, random_state=0)
mlp.fit(X[:1300], y[:1300])
net = pl.Network.from_sklearn(mlp)
a, b = 1310, 1320
line = pl.restrict(net, X[a], X[b])
r = pl.regions(line, (0, 1))
d = pl.decision_changes(line, (0, 1))
print(f"test accuracy {mlp.score(X[1300:], y[1300:]):.3f}; images of a {y[a]} and a {y[b]}")
print(f"{len(r)} activation regions and {r.breakpoints.size} breakpoints along the segment")
for t, c0, c1 in zip(d.t, d.before, d.after):
    print(f"prediction changes from {c0} to {c1} at t = {t:.6f}")

fig, axes = plt.subplots(2, 1, sharex=True, figsize=(7, 5), constrained_layout=True)
tt = np.unique(np.r_[np.linspace(0, 1, 400), r.left, 1.0])
logits = line(tt)
for k in np.unique(np.r_[d.before, d.after, y[a], y[b]]):
    axes[0].plot(tt, logits[:, k], label=f"logit {k}")
for t in d.t:
    for ax in axes:
        ax.axvline(t, color="k", ls=":", lw=1)
axes[0].legend(fontsize=8, ncol=3)
axes[0].set_ylabel("logits")
axes[1].stairs(r.n_inactive, np.r_[r.left, r.right[-1]], color="C1")
axes[1].set_ylabel("inactive neurons")
_ = axes[1].set_xlabel("t (0: first image, 1: second image)")
