"""
A trained classifier along the segment between two images
=========================================================

Restricted to the segment between two digit images, a trained scikit-learn
MLP becomes a network with one input :math:`t`.  pwlinear finds its
activation regions, the kinks of its logits and every change of the
predicted class exactly, with no sampling step that could skip a short
interval.
"""

# %%
# Train a small classifier
# ------------------------
# Two hidden layers (64 and 32 ReLUs) on the first 1300 images; the remaining
# 497 are for testing.  :meth:`pwlinear.Network.from_sklearn` gives the network
# computing the classifier's logits.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier

import pwlinear as pl

X, y = load_digits(return_X_y=True)
X = X / 16.0
mlp = MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=500, random_state=0)
mlp.fit(X[:1300], y[:1300])
net = pl.Network.from_sklearn(mlp)
print(f"test accuracy {mlp.score(X[1300:], y[1300:]):.3f}; network widths {list(net.widths)}")

# %%
# Along the segment from a 2 to a 1
# ---------------------------------
a, b = 1337, 1308
line = pl.restrict(net, X[a], X[b])
r = pl.regions(line, (0, 1))
d = pl.decision_changes(line, (0, 1))
print(f"from test image {a} (a {y[a]}) to test image {b} (a {y[b]})")
print(f"{len(r)} activation regions, {r.breakpoints.size} of whose boundaries bend a logit")
for t, before, after in zip(d.t, d.before, d.after):
    print(f"predicted class changes from {before} to {after} at t = {t:.6f}")

# The classifier itself, on a fine grid, agrees with the exact decision changes.
tt = np.linspace(0, 1, 2001)
predicted = mlp.predict(X[a] + tt[:, None] * (X[b] - X[a]))
exact = np.argmax(line(tt), axis=1)
print(f"MLPClassifier.predict agrees at {np.mean(predicted == exact):.1%} of 2001 points")

# %%
# The logits are piecewise linear in :math:`t`; the dotted lines mark the
# decision changes and the bottom panel counts the inactive hidden neurons in
# each region.  The images at both ends and at each decision change are shown
# on top.
t_plot = np.unique(np.r_[np.linspace(0, 1, 401), r.boundaries, d.t])
logits = line(t_plot)
classes = np.unique(np.r_[d.before, d.after])
shown = np.r_[0.0, d.t, 1.0]

fig = plt.figure(figsize=(8, 7), layout="constrained")
top, mid, bottom = fig.subfigures(3, 1, height_ratios=[1, 2.2, 1.2])
for ax, t in zip(top.subplots(1, shown.size), shown):
    ax.imshow((X[a] + t * (X[b] - X[a])).reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"t = {t:.3f}", fontsize=9)
    ax.set_axis_off()
ax1, ax2 = mid.subplots(1, 1), bottom.subplots(1, 1)
for k in classes:
    ax1.plot(t_plot, logits[:, k], lw=1.5, label=f"logit of {k}")
others = np.setdiff1d(np.arange(logits.shape[1]), classes)
ax1.plot(t_plot, logits[:, others], color="0.8", lw=0.8, zorder=0)
ax2.stairs(r.n_inactive, np.r_[r.left, r.right[-1]], color="C1", lw=1.5, baseline=None)
for ax in (ax1, ax2):
    for t in d.t:
        ax.axvline(t, color="k", ls=":", lw=1)
    ax.set_xlim(0, 1)
ax1.set_ylabel("logits")
ax1.legend(fontsize=8, ncol=len(classes))
ax2.set_ylabel("inactive neurons")
ax2.set_xlabel(f"t (0: image {a}, 1: image {b})")

# %%
# Many segments at once
# ---------------------
# :func:`pwlinear.breakpoints_many` analyses many segments of one network in a
# single compiled loop, with the same certified results as restricting to each
# segment in turn.  Here: the segments from every test image to the next one.
# How often the logits bend along a segment grows with the distance between its
# two images.
starts, ends = X[1300:-1], X[1301:]
kinks = pl.breakpoints_many(net, starts, ends)
counts = np.array([t.size for t in kinks])
distance = np.linalg.norm(ends - starts, axis=1)
print(f"{len(kinks)} segments, {counts.sum()} kinks; median {np.median(counts):.0f} per segment")

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.scatter(distance, counts, s=8, alpha=0.6)
ax.set_xlabel("distance between the two images")
ax.set_ylabel("kinks of the logits along the segment")
