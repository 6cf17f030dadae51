r"""
Approximating x² on [0, 2] with shifted ReLUs
=============================================

From :math:`\mathrm{relu}(x)` and :math:`\mathrm{relu}(x) + \mathrm{relu}(x -
1)` to least-squares weights (exact rationals), free shifts and 100 units:
:func:`pwlinear.best_fit` shows how fast sums of shifted ReLUs approach
:math:`x^2`, with an error falling like :math:`n^{-2}` in the number of units.
"""

# %%
# Hand-picked terms
# -----------------
# :math:`\mathrm{relu}(x)` is just :math:`x` on :math:`[0, 2]`; adding
# :math:`\mathrm{relu}(x - 1)` doubles the slope after 1.  Their squared
# :math:`L^2` errors :math:`\int_0^2 (x^2 - g)^2\,dx` are computed exactly
# with SymPy.
import matplotlib.pyplot as plt
import numpy as np
import sympy as sp

import pwlinear as pl

s = sp.Symbol("x", real=True)
naive = {
    "relu(x)": pl.shifted_relus([1.0], [0.0]),
    "relu(x) + relu(x - 1)": pl.shifted_relus([1.0, 1.0], [0.0, 1.0]),
}
naive_loss = {
    "relu(x)": sp.integrate((s**2 - s) ** 2, (s, 0, 2)),
    "relu(x) + relu(x - 1)": sp.integrate((s**2 - s) ** 2, (s, 0, 1))
    + sp.integrate((s**2 - (2 * s - 1)) ** 2, (s, 1, 2)),
}
for name, loss in naive_loss.items():
    print(f"{name}: squared L2 error {loss} = {float(loss):.4f}")

# %%
# Least-squares weights for fixed shifts
# --------------------------------------
# Keeping the shifts 0 and 1 but choosing the bias and weights optimally is a
# linear least-squares problem.  For a polynomial target and rational shifts
# ``exact=True`` solves it in rational arithmetic.
best1 = pl.best_fit("x**2", 1, (0, 2), shifts=[0], exact=True)
best2 = pl.best_fit("x**2", 2, (0, 2), shifts=[0, 1], exact=True)
for fit in (best1, best2):
    terms = " + ".join(f"({w}) relu(x - {float(h):g})" for w, h in zip(fit.weights, fit.shifts))
    print(f"best for shifts {fit.shifts.astype(float).tolist()}: ({fit.bias}) + {terms}")
    print(f"    squared L2 error {fit.loss} = {float(fit.loss):.5f}")

# %%
# Free shifts and 100 units
# -------------------------
# With the shifts free as well, two units do better again: the optimiser
# places them inside the interval and leaves the first piece flat.  With 100
# units the approximation is indistinguishable from the parabola at this
# scale, so the bottom panel shows the errors :math:`g(x) - x^2`.
free2 = pl.best_fit("x**2", 2, (0, 2), shifts="free")
many = pl.best_fit("x**2", 100, (0, 2), shifts="free")
print(f"2 free shifts at {np.round(free2.shifts, 4).tolist()}: squared L2 error {free2.loss:.5f}")
print(f"100 free units: rms error {many.rms:.3e}, max error {many.max_error:.3e}")

x = np.linspace(0, 2, 801)
curves = {
    "relu(x)": naive["relu(x)"](x).ravel(),
    "relu(x) + relu(x - 1)": naive["relu(x) + relu(x - 1)"](x).ravel(),
    "best weights, shifts 0 and 1": best2(x),
    "best weights and shifts (2 units)": free2(x),
    "100 units": many(x),
}
fig, (top, bottom) = plt.subplots(
    2, 1, figsize=(7, 6), sharex=True, height_ratios=[3, 2], layout="constrained"
)
top.plot(x, x**2, color="k", lw=5, alpha=0.25, label="x²")
for (name, g), style in zip(curves.items(), ["-", "-", "-", "--", ":"]):
    top.plot(x, g, style, lw=1.5, label=name)
    bottom.plot(x, g - x**2, style, lw=1.5)
top.legend(fontsize=8)
top.set_ylabel("y")
bottom.axhline(0.0, color="k", lw=0.5)
bottom.set_ylim(-0.5, 0.5)
bottom.set_ylabel("g(x) - x²")
bottom.set_xlabel("x")

# %%
# Error against the number of units
# ---------------------------------
# For a smooth target, the best piecewise-linear approximation with :math:`n`
# pieces has an error of order :math:`n^{-2}`.  For :math:`x^2` with uniform
# shifts the rms error is exactly :math:`\mathrm{rms}_1 / n^2`, because the
# error on every piece is the same rescaled parabola.  Free shifts gain
# for small :math:`n` (a flat first piece is worth having) and almost nothing
# for large :math:`n`, since the curvature of :math:`x^2` is the same
# everywhere.
ns = 2 ** np.arange(8)
free = np.array([pl.best_fit("x**2", int(n), (0, 2)).rms for n in ns])
uniform = np.array([pl.best_fit("x**2", int(n), (0, 2), shifts="uniform").rms for n in ns])
rate_free = np.polyfit(np.log(ns[3:]), np.log(free[3:]), 1)[0]
rate_uniform = np.polyfit(np.log(ns), np.log(uniform), 1)[0]
print(f"fitted log-log slopes: free {rate_free:.3f}, uniform {rate_uniform:.3f}")
print("n² x rms, uniform shifts:", np.round(ns**2 * uniform, 5).tolist())
print("n² x rms, free shifts:   ", np.round(ns**2 * free, 5).tolist())

fig, ax = plt.subplots(figsize=(5.5, 4.2), layout="constrained")
ax.loglog(ns, uniform, "s-", label="uniform shifts")
ax.loglog(ns, free, "o--", label="free shifts")
ax.loglog(ns, 2 * uniform[0] * ns**-2.0, "k:", lw=1, label="reference slope $n^{-2}$")
# a slope triangle under the curves: a factor 4 in n, a factor 16 in the error
x0, y0 = 8.0, uniform[ns == 8][0] / 3
ax.plot([x0, 4 * x0, x0, x0], [y0, y0 / 16, y0 / 16, y0], color="0.3", lw=1)
ax.text(x0 / 1.1, y0 / 4, "2", ha="right", va="center")
ax.text(2 * x0, y0 / 20, "1", ha="center", va="top")
ax.set_xlabel("number of units n")
ax.set_ylabel("rms error on [0, 2]")
ax.legend(fontsize=8)
