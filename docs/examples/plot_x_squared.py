"""
Fitting x² on [0, 2] with shifted ReLUs
=======================================

One ReLU gives a straight line; ``relu(x) + relu(x - 1)`` bends once; the
least-squares weights for those shifts are small exact rationals; free shifts
do better; 100 units look smooth.  The L2 error falls like :math:`n^{-2}`.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import pwlinear as pl

x = np.linspace(0, 2, 400)
naive1 = pl.shifted_relus([1.0], [0.0])
naive2 = pl.shifted_relus([1.0, 1.0], [0.0, 1.0])
exact2 = pl.best_fit("x**2", 2, (0, 2), shifts=[0, 1], exact=True)
free2 = pl.best_fit("x**2", 2, (0, 2))
many = pl.best_fit("x**2", 100, (0, 2), shifts="uniform")
print(f"optimal weights for shifts 0, 1: c = {exact2.bias}, w = {list(map(str, exact2.weights))}")
print(f"loss: fixed shifts {exact2.loss} = {float(exact2.loss):.5f}, free shifts {free2.loss:.5f}")
print(f"free shifts: {free2.shifts}")
print(f"100 uniform units: rms error {many.rms:.2e}")

fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
ax.plot(x, x**2, lw=4, alpha=0.3, color="k", label="x²")
ax.plot(x, naive1(x), label="relu(x)")
ax.plot(x, naive2(x), label="relu(x) + relu(x - 1)")
ax.plot(x, exact2(x), label="optimal weights, shifts 0 and 1")
ax.plot(x, free2(x), "--", label="optimal weights and shifts")
ax.plot(x, many(x), ":", label="100 units")
_ = ax.legend(fontsize=8)

# %%
# Error against the number of units, free and uniform shifts.
ns = np.array([1, 2, 4, 8, 16, 32, 64])
free = [pl.best_fit("x**2", int(n), (0, 2)).rms for n in ns]
uniform = [pl.best_fit("x**2", int(n), (0, 2), shifts="uniform").rms for n in ns]
slope = np.polyfit(np.log(ns[2:]), np.log(free[2:]), 1)[0]
print(f"log-log slope of the free-shift error: {slope:.2f}")
fig, ax = plt.subplots(figsize=(5, 4), constrained_layout=True)
ax.loglog(ns, free, "o-", label="free shifts")
ax.loglog(ns, uniform, "s-", label="uniform shifts")
ax.loglog(ns, free[0] * ns**-2.0, "k:", label="slope -2")
ax.set_xlabel("units n")
ax.set_ylabel("rms error")
_ = ax.legend()
