"""
Exact and float results on degenerate networks
==============================================

pwlinear's default float results are certified to have the same regions,
order and activation patterns as the exact ones, so rounding shows only in
the numbers.  On networks with near-coincident kinks, tiny slope changes and
deep compositions, ``exact=True`` gives the :class:`fractions.Fraction`
values behind them, and ``refine=True`` their correctly rounded floats.
"""

# %%
# Kinks closer together than float resolution
# -------------------------------------------
# Two neurons switch exactly at :math:`x = 1/3` (weights 3 and 6, biases -1
# and -2), a third at the float nearest to it, ``1/3`` in Python, which is
# about :math:`1.85 \times 10^{-17}` smaller.  Between the two points is a
# genuine region of slope -1.  In float64 both boundaries round to the same
# number, so that region has zero width; the exact result separates them and
# shows which neurons switch at each.
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np

import pwlinear as pl

layer1 = (np.array([[3.0], [1.0], [6.0]]), np.array([-1.0, -1 / 3, -2.0]))
output = (np.array([[1.0, -1.0, 0.5]]), np.array([0.0]))
net = pl.Network([layer1, output])
rf = pl.regions(net)
re = pl.regions(net, exact=True)
print("float boundaries:", rf.boundaries.tolist(), "slopes:", rf.slope.tolist())
print("exact boundaries:", [str(q) for q in re.boundaries], "slopes:", [str(q) for q in re.slope])
print("neurons switching at each boundary:", [sw[:, 1].tolist() for sw in re.switches])
width = re.right[1] - re.left[1]
print(f"middle region: float width {rf.right[1] - rf.left[1]}, exact {width} = {float(width):.3e}")

# %%
# The exact slope around :math:`1/3`, with :math:`x` measured in units of the
# float spacing there, :math:`2^{-54}`; both float boundaries sit at 0.
ulp = Fraction(2) ** -54
origin = Fraction(1 / 3)
edges = [(q - origin) / ulp for q in re.boundaries]
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.stairs(
    [float(s) for s in re.slope],
    [-1.0, *map(float, edges), 1.5],
    color="C2",
    lw=2,
    baseline=None,
    label="exact slope",
)
ax.axvline(0.0, color="C3", ls=":", label="both float boundaries")
ax.set_xlabel("(x - float(1/3)) / 2**-54")
ax.set_ylabel("slope")
ax.legend(fontsize=8, loc="upper left")

# %%
# A slope change below rounding
# -----------------------------
# Adding :math:`10^{-20}\,\mathrm{relu}(x - 1)` to :math:`\mathrm{relu}(x)`
# changes the slope at 1 by :math:`10^{-20}`, far below the spacing of floats
# near 1.  The float slopes on both sides are equal, yet the region boundary is
# still reported as a breakpoint, because the certified structure is exact;
# the exact slope shows the change.
net = pl.shifted_relus([1.0, 1e-20], [0.0, 1.0])
rf = pl.regions(net)
re = pl.regions(net, exact=True)
print("float slopes:", rf.slope.tolist(), "is_breakpoint:", rf.is_breakpoint.tolist())
change = re.slope[2] - re.slope[1]
print(f"exact slope change at 1: {float(change):.1e}")
print(f"equal to the weight 1e-20 as a Fraction: {change == Fraction(1e-20)}")

# %%
# Deep compositions
# -----------------
# Composing an asymmetric tent map :math:`L` times gives :math:`2^L` pieces on
# :math:`[0, 1]`, each kink a preimage of an earlier one, so each layer's
# crossings are computed from the previous layer's rounded ones.  The float and
# exact partitions have the same number of regions and the same activation
# patterns at every depth; the float boundaries drift from the exact ones by a
# few units in the last place as the depth grows (about 12 at depth 8), while
# the exact denominators grow by about 16 digits per layer.
a = 0.3
up, down = 1 / a, 1 / a + 1 / (1 - a)


def tent(depth):
    """The tent map with peak at ``a``, composed ``depth`` times."""
    first = (np.array([[1.0], [1.0]]), np.array([0.0, -a]))
    hidden = (np.array([[up, -down], [up, -down]]), np.array([0.0, -a]))
    last = (np.array([[up, -down]]), np.array([0.0]))
    return pl.Network([first] + [hidden] * (depth - 1) + [last])


depths = np.arange(1, 9)
digits, errors = [], []
for depth in depths:
    net = tent(depth)
    rf = pl.regions(net, (0, 1))
    re = pl.regions(net, (0, 1), exact=True)
    same = len(rf) == len(re) and all(
        np.array_equal(p, q) for p, q in zip(rf.patterns, re.patterns)
    )
    ulps = [
        abs(Fraction(f) - q) / Fraction(np.spacing(float(q)))
        for f, q in zip(rf.boundaries, re.boundaries)
    ]
    digits.append(max(len(str(q.denominator)) for q in re.boundaries))
    errors.append(float(max(ulps)))
    print(
        f"L = {depth}: {len(rf)} regions (exact {len(re)}), same patterns: {same}, "
        f"largest float error {errors[-1]:.3f} ulp, denominators up to {digits[-1]} digits"
    )

x = np.linspace(0, 1, 4001)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5), layout="constrained")
net = tent(4)
bp = pl.breakpoints(net, (0, 1))
left.plot(x, net(x), lw=1)
left.plot(bp, net(bp), "o", ms=3, color="C3")
left.set_title(f"tent map composed 4 times: {bp.size + 1} pieces on [0, 1]", fontsize=10)
left.set_xlabel("x")
right.plot(depths, digits, "o-", label="digits of the largest exact denominator")
right.set_xlabel("depth L")
right.set_ylabel("digits")
twin = right.twinx()
twin.plot(depths, errors, "s--", color="C1", label="largest float error (ulp)")
twin.set_ylim(bottom=0)
twin.set_ylabel("ulp")
right.legend(handles=right.lines + twin.lines, fontsize=8, loc="upper left")

# %%
# Cancelling slopes and ``refine=True``
# -------------------------------------
# Where a neuron's slope nearly cancels at its crossing, the default float
# boundary is within its certified error bound but can be a hundred units in
# the last place from the exact one (here on a random 1x4x2x2x1 network);
# ``refine=True`` returns the exact result's correctly rounded floats, at the
# cost of ``exact=True``.
net = pl.Network.random([1, 4, 2, 2, 1], seed=361)
exact = np.array([float(q) for q in pl.regions(net, exact=True).boundaries])
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
for k, refine in enumerate((False, True)):
    found = pl.regions(net, refine=refine).boundaries
    off = np.abs(found - exact) / np.spacing(np.abs(exact))
    label = "refine=True" if refine else "default"
    print(f"{label}: units in the last place from the exact boundaries {off.tolist()}")
    ax.bar(np.arange(exact.size) + 0.4 * k, off, width=0.4, label=label)
ax.set_xlabel("boundary")
ax.set_ylabel("ulps from the exact one")
ax.legend(fontsize=8)
