"""Least-squares optimal sums of shifted ReLUs.

The model with ``n`` units is

.. math::

    g(x) = c + \\sum_{i=1}^{n} w_i\\, \\mathrm{relu}(x - h_i),

fitted to a target :math:`f` by minimising :math:`\\int_a^b (f - g)^2\\,dx`
(a callable or a sympy expression on an interval) or
:math:`\\sum_j \\omega_j (y_j - g(x_j))^2` (data points).  For fixed shifts
the problem is linear; it is solved in the hat-function (linear B-spline)
basis of the same space, whose Gram matrix is tridiagonal and well
conditioned, and converted to ReLU weights at the end.  Free shifts are found
by variable projection: the weights are eliminated, and the reduced loss is
minimised over the shifts with its exact gradient
:math:`\\partial L / \\partial h_k = 2 w_k \\int_{h_k}^b (f - g)`, both evaluated from
per-piece moments (prefix sums over sorted data), so one evaluation costs
:math:`O(n \\log N)` for :math:`N` data points.  For data, the starts include
the best segmentations into independent lines (dynamic programming), and a
few basin-hopping moves follow the local descents.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pwlinear._validation import check_interval

__all__ = ["FitResult", "best_fit"]

FloatArray = NDArray[np.float64]

# Gauss-Legendre rule for the moments of a callable target on each piece between knots
_GL_X, _GL_W = np.polynomial.legendre.leggauss(24)


@dataclass(frozen=True, eq=False)
class FitResult:
    """A fitted :math:`g(x) = c + \\sum_i w_i\\,\\mathrm{relu}(x - h_i)`.

    Attributes
    ----------
    shifts, weights : ndarray, shape (n_units,)
        :math:`h_i` and :math:`w_i` (object arrays of Fractions when exact).
    bias : float or Fraction
        :math:`c` (0 when fitted with ``bias=False``).
    loss : float or Fraction
        The minimised objective: :math:`\\int_a^b (f - g)^2` or the weighted
        sum of squared residuals.
    rms : float
        :math:`\\sqrt{L / (b - a)}` or :math:`\\sqrt{L / \\sum_j \\omega_j}`.
    max_error : float
        :math:`\\max |f - g|` on the interval (each piece searched densely and
        refined) or over the data points.
    interval : (float, float)
    kind : {"continuous", "data"}
    """

    shifts: NDArray[Any]
    weights: NDArray[Any]
    bias: Any
    loss: Any
    rms: float
    max_error: float
    interval: tuple[float, float]
    kind: str
    _target: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.shifts.flags.writeable = False
        self.weights.flags.writeable = False

    @property
    def n_units(self) -> int:
        """Number of shifted ReLUs."""
        return int(self.shifts.size)

    @property
    def network(self) -> Any:
        """The fit as a one-hidden-layer :class:`~pwlinear.Network`."""
        from pwlinear.network import shifted_relus

        return shifted_relus(self.weights, self.shifts, self.bias)

    @property
    def function(self) -> Any:
        """The fit as an exact-form :class:`~pwlinear.PiecewiseLinear`."""
        from pwlinear.analysis import to_piecewise

        exact = self.weights.dtype == object
        return to_piecewise(self.network, exact=exact)

    def __call__(self, x: ArrayLike) -> FloatArray:
        """Evaluate :math:`g(x)` in float64."""
        x = np.asarray(x, dtype=np.float64)
        h = self.shifts.astype(np.float64)
        w = self.weights.astype(np.float64)
        out: FloatArray = float(self.bias) + np.maximum(x[..., None] - h, 0.0) @ w
        return out

    def __repr__(self) -> str:
        return (
            f"FitResult(kind={self.kind!r}, n_units={self.n_units}, interval={self.interval}, "
            f"loss={float(self.loss):.6g}, rms={self.rms:.6g})"
        )


# -- targets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """A continuous target: a vectorised float function, and the sympy form when known."""

    f: Callable[[FloatArray], FloatArray]
    expr: Any = None
    symbol: Any = None


def _as_target(target: Any) -> _Target:
    import sympy

    if isinstance(target, str):
        try:
            expr = sympy.sympify(target)
        except (sympy.SympifyError, SyntaxError, TypeError) as exc:
            raise ValueError(
                f"target {target!r} is not an expression sympy can parse: {exc}"
            ) from None
        return _as_target(expr)
    if isinstance(target, sympy.Basic):
        free = sorted(target.free_symbols, key=str)
        if len(free) > 1:
            raise ValueError(
                f"target must have one free symbol, got {len(free)}: {', '.join(map(str, free))}"
            )
        sym = free[0] if free else sympy.Symbol("x")
        fn = sympy.lambdify(sym, target, "numpy")

        def f(x: FloatArray) -> FloatArray:
            return np.broadcast_to(np.asarray(fn(x), dtype=np.float64), np.shape(x))

        return _Target(f, target, sym)
    if callable(target):

        def g(x: FloatArray) -> FloatArray:
            try:
                y = np.asarray(target(x), dtype=np.float64)
            except TypeError:
                y = np.array([float(target(v)) for v in np.ravel(x)]).reshape(np.shape(x))
            if y.shape != np.shape(x):
                y = np.broadcast_to(y, np.shape(x))
            return y

        return _Target(g)
    raise TypeError(
        "target must be a callable, a sympy expression, a string or an (x, y) pair of arrays, "
        f"got {type(target).__name__}"
    )


def _as_data(target: Any, weights: Any) -> tuple[FloatArray, FloatArray, FloatArray]:
    x, y = (np.asarray(v, dtype=np.float64) for v in target)
    if x.ndim != 1 or y.ndim != 1 or x.shape != y.shape:
        raise ValueError(
            f"data x and y must be 1-D of the same length, got shapes {x.shape} and {y.shape}"
        )
    if x.size < 2:
        raise ValueError(f"data needs at least 2 points, got {x.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("data x and y must be finite (no NaN or inf)")
    if weights is None:
        om = np.ones_like(x)
    else:
        om = np.asarray(weights, dtype=np.float64)
        if om.shape != x.shape:
            raise ValueError(f"weights must have shape {x.shape}, got {om.shape}")
        if not np.all(np.isfinite(om)) or np.any(om < 0):
            raise ValueError("weights must be finite and non-negative")
    return x, y, om


# -- the linear problem for fixed shifts --------------------------------------------------------


def _relu_matrix(nodes: FloatArray, shifts: FloatArray, bias: bool) -> FloatArray:
    """T with ``T @ theta`` = values at ``nodes`` of ``c + sum w relu(x - h)``."""
    cols = np.maximum(nodes[:, None] - shifts[None, :], 0.0)
    return np.hstack([np.ones((nodes.size, 1)), cols]) if bias else cols


def _nodes(shifts: FloatArray, a: float, b: float) -> FloatArray:
    inner = shifts[(shifts > a) & (shifts < b)]
    return np.unique(np.concatenate(([a], inner, [b])))


def _hat_system_continuous(target: _Target, nodes: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Tridiagonal Gram matrix (banded, 3 x m) of the hats on ``nodes`` and the moments."""
    d = np.diff(nodes)
    m = nodes.size
    diag = np.zeros(m)
    diag[:-1] += d / 3
    diag[1:] += d / 3
    off = d / 6
    ab = np.zeros((3, m))
    ab[0, 1:] = off
    ab[1] = diag
    ab[2, :-1] = off
    # moments: on each piece the two hats are (right - x)/d and (x - left)/d
    xs = (nodes[:-1, None] + nodes[1:, None]) / 2 + d[:, None] / 2 * _GL_X
    fx = target.f(xs)
    if not np.all(np.isfinite(fx)):
        raise ValueError("target returned non-finite values on the interval")
    wq = d[:, None] / 2 * _GL_W
    up = (xs - nodes[:-1, None]) / d[:, None]
    rhs = np.zeros(m)
    rhs[1:] += np.sum(wq * fx * up, axis=1)
    rhs[:-1] += np.sum(wq * fx * (1 - up), axis=1)
    return ab, rhs


def _hat_system_data(
    x: FloatArray, y: FloatArray, om: FloatArray, nodes: FloatArray
) -> tuple[FloatArray, FloatArray]:
    m = nodes.size
    j = np.clip(np.searchsorted(nodes, x, side="right") - 1, 0, m - 2)
    u = (x - nodes[j]) / (nodes[j + 1] - nodes[j])
    lo_w, hi_w = 1 - u, u
    diag = np.bincount(j, om * lo_w * lo_w, m) + np.bincount(j + 1, om * hi_w * hi_w, m)
    off = np.bincount(j, om * lo_w * hi_w, m - 1)
    ab = np.zeros((3, m))
    ab[0, 1:] = off
    ab[1] = diag
    ab[2, :-1] = off
    rhs = np.bincount(j, om * y * lo_w, m) + np.bincount(j + 1, om * y * hi_w, m)
    return ab, rhs.astype(np.float64)


def _solve_fixed(
    ab: FloatArray, rhs: FloatArray, nodes: FloatArray, shifts: FloatArray, bias: bool
) -> FloatArray:
    """ReLU coefficients ``theta`` ([c,] w) minimising the quadratic in the hat basis.

    When the ReLU model spans exactly the hat space (one unit at or left of ``a``,
    distinct shifts inside, a bias), the banded hat system is solved and the
    values converted to slope jumps; otherwise a minimum-norm least-squares
    problem in the ReLU coefficients, weighted by the hat Gram's Cholesky factor.
    """
    from scipy import linalg

    a = nodes[0]
    n = shifts.size
    inside = (shifts > a) & (shifts < nodes[-1])
    n_left = int(np.count_nonzero(shifts <= a))
    distinct = np.unique(shifts[inside]).size == inside.sum()
    # the hat space itself (a unit at or left of a gives the first slope), or the hat space
    # with a flat first piece (every unit inside: the hats at a and at the first shift merge)
    square = bias and distinct and n_left == 1 and nodes.size == n + 1
    flat = bias and distinct and n_left == 0 and inside.all() and nodes.size == n + 2
    if square or flat:
        band, r = ab, rhs
        if flat:  # v(a) = v(h_1): merge the first two hats, still tridiagonal
            band = ab[:, 1:].copy()
            band[1, 0] = ab[1, 0] + 2 * ab[0, 1] + ab[1, 1]
            r = np.concatenate(([rhs[0] + rhs[1]], rhs[2:]))
        try:
            v = linalg.solveh_banded(band[:2], r, lower=False)
        except linalg.LinAlgError:
            square = flat = False
    if square or flat:
        if flat:
            v = np.concatenate((v[:1], v))
        slopes = np.diff(v) / np.diff(nodes)
        order = np.argsort(shifts, kind="stable")
        # each unit carries the slope jump at its shift (the first: the first slope,
        # or for a flat start the jump from 0)
        jumps = np.diff(slopes)[:n] if flat else np.diff(slopes, prepend=0.0)
        w = np.zeros(n)
        w[order] = jumps
        theta = np.zeros(n + 1)
        theta[1:] = w
        theta[0] = v[0] if flat else v[0] - w[order[0]] * (a - shifts[order[0]])
        return theta
    T = _relu_matrix(nodes, shifts, bias)
    M = np.diag(ab[1]) + np.diag(ab[0, 1:], 1) + np.diag(ab[2, :-1], -1)
    evals, evecs = linalg.eigh(M)
    evals = np.clip(evals, 0, None)
    R = (evecs * np.sqrt(evals)).T  # M = R^T R
    rhs_r = np.where(
        evals > evals.max() * 1e-14, (evecs.T @ rhs) / np.sqrt(np.where(evals > 0, evals, 1)), 0.0
    )
    theta, *_ = linalg.lstsq(R @ T, rhs_r, cond=1e-13)
    return theta


# -- losses -------------------------------------------------------------------------------------


def _model(x: FloatArray, shifts: FloatArray, theta: FloatArray, bias: bool) -> FloatArray:
    """:math:`c + \\sum_i w_i \\mathrm{relu}(x - h_i) = c + S_1(x)\\,x - S_2(x)` with the
    running sums :math:`S_1 = \\sum_{h_i < x} w_i`, :math:`S_2 = \\sum_{h_i < x} w_i h_i`:
    O((n + m) log n) instead of an m x n matrix."""
    c = theta[0] if bias else 0.0
    w = theta[1:] if bias else theta
    order = np.argsort(shifts, kind="stable")
    h, w = shifts[order], w[order]
    s1 = np.concatenate(([0.0], np.cumsum(w)))
    s2 = np.concatenate(([0.0], np.cumsum(w * h)))
    j = np.searchsorted(h, x, side="left")
    return c + s1[j] * x - s2[j]  # type: ignore[no-any-return]


def _continuous_loss(
    target: _Target, shifts: FloatArray, theta: FloatArray, bias: bool, a: float, b: float
) -> tuple[float, FloatArray, FloatArray]:
    """Loss, and per piece between knots: the integral of the residual and the knots."""
    nodes = _nodes(shifts, a, b)
    d = np.diff(nodes)
    xs = (nodes[:-1, None] + nodes[1:, None]) / 2 + d[:, None] / 2 * _GL_X
    r = target.f(xs) - _model(xs, shifts, theta, bias)
    wq = d[:, None] / 2 * _GL_W
    return float(np.sum(wq * r * r)), np.sum(wq * r, axis=1), nodes


def _fit_fixed(
    problem: Any, shifts: FloatArray, bias: bool, a: float, b: float
) -> tuple[FloatArray, float]:
    """Optimal coefficients and loss for fixed shifts."""
    nodes = _nodes(shifts, a, b)
    if problem[0] == "data":
        _, x, y, om = problem
        ab, rhs = _hat_system_data(x, y, om, nodes)
        theta = _solve_fixed(ab, rhs, nodes, shifts, bias)
        res = y - _model(x, shifts, theta, bias)
        return theta, float(np.sum(om * res * res))
    target = problem[1]
    ab, rhs = _hat_system_continuous(target, nodes)
    theta = _solve_fixed(ab, rhs, nodes, shifts, bias)
    loss, _, _ = _continuous_loss(target, shifts, theta, bias, a, b)
    return theta, loss


# -- free shifts: variable projection with per-piece moments -------------------------------------

# pieces narrower than this (in units of b - a) have their data moments summed directly: from the
# prefix sums, sum (x - left)^2 over a narrow piece would lose ~log10((b - a)^2 / d^2) digits
_NARROW = 1.0 / 32
# gaps between data points searched on either side of a shift after the gradient descent
_GAPS = 4
# rounds of that gap search; basin-hopping moves (for up to 16 units) and their descent length
_GAP_ROUNDS = 4
_HOPS = 6
_HOP_ITER = 40


class _DataMoments:
    """Sorted data in :math:`z = (x - a) / (b - a) \\in [0, 1]` with weighted prefix sums.

    The moments of every piece between nodes come from prefix-sum differences at the nodes'
    positions (``np.searchsorted``): O(m log N) per call instead of O(N).  With a bias the
    targets are centred on their weighted mean, which changes no loss and avoids cancellation.
    """

    def __init__(
        self, x: FloatArray, y: FloatArray, om: FloatArray, a: float, b: float, center: bool
    ) -> None:
        order = np.argsort(x, kind="stable")
        t = (x[order] - a) / (b - a)
        om, y = om[order], y[order]
        total = float(np.sum(om))
        y = y - (float(np.sum(om * y)) / total if center and total > 0 else 0.0)
        cols = np.stack([om, om * t, om * t * t, om * y, om * y * t, om * y * y])
        self.prefix = np.zeros((6, t.size + 1))
        np.cumsum(cols, axis=1, out=self.prefix[:, 1:])
        self.t, self.y, self.om = t, y, om
        k0 = int(np.searchsorted(t, 0.0, side="right"))  # data exactly at z = 0
        self.at_left = (float(np.sum(om[:k0])), float(np.sum(om[:k0] * y[:k0])))

    def pieces(self, nodes: FloatArray) -> FloatArray:
        """Rows q0, q1, q2, r0, r1, yy: sums of omega * (1, u, u^2, y, y u, y^2) per piece,
        u = (z - left) / d in [0, 1]; piece j holds the data with z in (t_j, t_j+1] (and z = 0)."""
        t = self.t
        idx = np.searchsorted(t, nodes, side="right")
        idx[0], idx[-1] = 0, t.size
        s = self.prefix[:, idx[1:]] - self.prefix[:, idx[:-1]]
        tl, d = nodes[:-1], np.diff(nodes)
        out = np.empty_like(s)
        out[0], out[3], out[5] = s[0], s[3], s[5]
        out[1] = (s[1] - tl * s[0]) / d
        out[2] = (s[2] - tl * (2 * s[1] - tl * s[0])) / (d * d)
        out[4] = (s[4] - tl * s[3]) / d
        narrow = np.flatnonzero(d < _NARROW)
        if narrow.size:
            lo, cnt = idx[narrow], idx[narrow + 1] - idx[narrow]
            pid = np.repeat(np.arange(narrow.size), cnt)
            ii = np.arange(pid.size) + np.repeat(lo - (np.cumsum(cnt) - cnt), cnt)
            u = (t[ii] - tl[narrow][pid]) / d[narrow][pid]
            om, y = self.om[ii], self.y[ii]
            k = narrow.size
            for row, vals in enumerate((om, om * u, om * u * u, om * y, om * y * u, om * y * y)):
                out[row, narrow] = np.bincount(pid, vals, k)
        return out


class _ContinuousMoments:
    """The same moments for :math:`\\int_a^b (\\cdot)\\,dx`: exact for the hats, Gauss-Legendre
    on each piece for the target."""

    at_left = (0.0, 0.0)

    def __init__(self, target: _Target, a: float, b: float) -> None:
        self.f, self.a, self.scale = target.f, a, b - a

    def pieces(self, nodes: FloatArray) -> FloatArray:
        d = np.diff(nodes)
        u = (1 + _GL_X) / 2
        fx = self.f(self.a + self.scale * (nodes[:-1, None] + d[:, None] * u))
        if not np.all(np.isfinite(fx)):
            raise ValueError("target returned non-finite values on the interval")
        wq = (self.scale / 2) * d[:, None] * _GL_W
        h = self.scale * d
        return np.stack(
            [h, h / 2, h / 3, np.sum(wq * fx, 1), np.sum(wq * fx * u, 1), np.sum(wq * fx * fx, 1)]
        )


def _project(
    mom: _DataMoments | _ContinuousMoments, z: FloatArray, bias: bool
) -> tuple[float, FloatArray]:
    """The reduced loss at sorted shifts ``z`` in [0, 1] and its gradient, from per-piece moments.

    Variable projection in the hat basis on the nodes ``0``, the distinct ``z`` inside and
    ``1`` (tridiagonal normal equations; a flat first piece when no unit sits at 0, a zero
    value at 0 without a bias).  The loss is the quadratic form at the solved hat values, so it
    is the loss of an actual ReLU model, and
    :math:`\\partial L / \\partial z_k = 2 w_k \\sum_{z > z_k} \\omega r` with the
    slope jump :math:`w_k` at :math:`z_k` (shared equally by units at the same place).
    """
    from scipy.linalg.lapack import dptsv

    nodes = np.concatenate(([0.0], np.unique(z[(z > 0) & (z < 1)]), [1.0]))
    m = nodes.size - 1
    q0, q1, q2, r0, r1, yy = mom.pieces(nodes)
    lo2, lohi, hi2 = q0 - 2 * q1 + q2, q1 - q2, q2
    diag = np.zeros(m + 1)
    diag[:-1] += lo2
    diag[1:] += hi2
    rhs = np.zeros(m + 1)
    rhs[:-1] += r0 - r1
    rhs[1:] += r1
    # reduced system: no unit at 0 -> v_0 = v_1 (flat first piece); no bias -> g(0) = 0
    flat = bool(z[0] > 0)
    first = int(flat) + int(not bias)
    red_d, red_e, red_r = diag[first:].copy(), lohi[first:].copy(), rhs[first:].copy()
    if flat and bias:
        red_d[0] += lo2[0] + 2 * lohi[0]
        red_r[0] += rhs[0]
    v = np.zeros(m + 1)
    if red_d.size:
        ridge = 1e-13 * max(float(red_d.max()), 1e-300)  # a semidefinite system stays solvable
        info = 1
        for boost in (1.0, 1e6):
            if red_d.size == 1:
                info = 0 if red_d[0] + boost * ridge > 0 else 1
                sol = red_r / (red_d[0] + boost * ridge)
            else:
                *_, sol, info = dptsv(red_d + boost * ridge, red_e, red_r)
            if info == 0:
                break
        if info != 0:
            return math.inf, np.zeros(z.size)
        v[first:] = sol
    if flat:
        v[0] = v[1]
    mv = diag * v
    mv[:-1] += lohi * v[1:]
    mv[1:] += lohi * v[:-1]
    loss = float(np.sum(yy) - 2 * (v @ rhs) + v @ mv)
    # weighted residual right of every node: per-piece sums, then tails (data at 0 excluded)
    rho = r0 - v[:-1] * (q0 - q1) - v[1:] * q1
    right = np.zeros(m + 1)
    right[:-1] = np.cumsum(rho[::-1])[::-1]
    right[0] -= mom.at_left[1] - v[0] * mom.at_left[0]
    slopes = np.diff(v) / np.diff(nodes)
    jumps = slopes.copy()  # the slope jump at node p < m (from 0 at node 0)
    jumps[1:] -= slopes[:-1]
    # each unit's node (m: at 1, where a unit has no effect); units at one node share its jump
    p = np.searchsorted(nodes, np.minimum(z, 1.0))
    counts = np.bincount(p, minlength=m + 1)
    w = np.where(p < m, np.append(jumps, 0.0)[p] / counts[p], 0.0)
    return loss, 2 * w * right[p]


def _density_start(problem: Any, n: int, a: float, b: float) -> FloatArray:
    """Shifts that equidistribute |f''|^(2/5), the asymptotically optimal L2 knot density."""
    grid = np.linspace(a, b, 2049)
    if problem[0] == "data":
        _, x, y, _ = problem
        order = np.argsort(x)
        xs, ys = x[order], y[order]
        # a smoothed second difference of the data on the grid
        yi = np.interp(grid, xs, ys)
        k = max(1, 2049 // 64)
        yi = np.convolve(yi, np.ones(k) / k, mode="same")
    else:
        yi = problem[1].f(grid)
    f2 = np.abs(np.gradient(np.gradient(yi, grid), grid))
    dens = f2**0.4 + 1e-3 * (np.mean(f2**0.4) + 1e-300)
    cdf = np.r_[0, np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(grid))]
    cdf /= cdf[-1]
    q = np.arange(n) / n
    return np.interp(q, cdf, grid)  # type: ignore[no-any-return]


def _gap_search(
    loss_of: Callable[[FloatArray], float], z: FloatArray, loss: float, t: FloatArray
) -> tuple[float, FloatArray] | None:
    """One sweep over the shifts, each moved to the midpoint of the best of the ``_GAPS`` gaps
    between data points ``t`` on either side (others fixed): the lower loss and shifts, or
    None if nothing improved."""
    mids = (t[1:] + t[:-1]) / 2
    z = z.copy()
    improved = False
    for k in range(z.size):
        j = int(np.searchsorted(mids, z[k]))
        for c in mids[max(0, j - _GAPS) : j + _GAPS]:
            trial = z.copy()
            trial[k] = c
            trial.sort()
            value = loss_of(trial)
            if value < loss * (1 - 1e-13):
                loss, z, improved = value, trial, True
    return (loss, z) if improved else None


def _segmented_starts(mom: _DataMoments, n: int, n_candidates: int = 256) -> list[FloatArray]:
    """Starts from the optimal *discontinuous* fits (segmented least squares by dynamic
    programming over ``n_candidates`` data quantiles, line costs from the prefix sums): with
    ``n`` segments (a unit at 0 and the ``n - 1`` breaks) and with ``n + 1`` (``n`` breaks).

    Jumps aside, the best segmentation lands near the continuous optimum's basin, which
    local starts find only by chance once ``n`` is larger than a few.
    """
    t = mom.t
    cand = np.unique(np.quantile(t, np.linspace(0.0, 1.0, n_candidates + 1)))
    cand[0], cand[-1] = 0.0, 1.0
    idx = np.searchsorted(t, cand, side="right")
    idx[0] = 0
    P = mom.prefix[:, idx]  # sums of om * (1, t, t^2, y, y t, y^2) up to each candidate
    S = P[:, None, :] - P[:, :, None]  # S[:, i, j]: the data between candidates i and j
    s0, s1, s2, sy, sty, syy = S
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_sq = np.where(s0 > 0, sy * sy / s0, 0.0)
        var_t = s2 - np.where(s0 > 0, s1 * s1 / s0, 0.0)
        cov = sty - np.where(s0 > 0, s1 * sy / s0, 0.0)
        fit_sq = np.where(var_t > 1e-12 * np.maximum(s2, 1e-300), cov * cov / var_t, 0.0)
    cost = np.maximum(syy - mean_sq - fit_sq, 0.0)
    m = cand.size
    cost[np.tril_indices(m)] = np.inf  # a segment runs from a candidate to a later one
    starts = []
    best = cost[0].copy()  # one segment from 0 to each candidate
    back = []
    for k in range(2, n + 2):
        total = best[:, None] + cost
        arg = np.argmin(total, axis=0)
        back.append(arg)
        best = total[arg, np.arange(m)]
        if k in (n, n + 1):
            ends, j = [], m - 1
            for step in reversed(back):
                j = int(step[j])
                ends.append(cand[j])
            breaks = np.sort(np.array(ends))
            z = np.concatenate(([0.0], breaks)) if k == n else breaks
            if z.size == n and np.all(np.isfinite(z)):
                starts.append(z)
    return starts


def _one_blas_thread() -> Any:
    """A context limiting BLAS to one thread, if threadpoolctl is installed: the optimiser's
    BLAS calls are tiny, and threaded BLAS makes them many times slower on a busy machine."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(1, user_api="blas")


def _fit_free(
    problem: Any,
    n: int,
    bias: bool,
    a: float,
    b: float,
    seed: Any,
    n_starts: int,
    progress: bool,
    hops: int = 0,
) -> tuple[FloatArray, FloatArray, float]:
    from scipy import optimize

    rng = np.random.default_rng(seed)
    scale = b - a
    starts = [
        (_density_start(problem, n, a, b) - a) / scale,
        (np.arange(n) + 0.5) / n,
    ]
    if problem[0] == "data":
        _, x, y, om = problem
        data = _DataMoments(x, y, om, a, b, bias)
        if n_starts > 2:
            starts[2:2] = _segmented_starts(data, n)
        mom: _DataMoments | _ContinuousMoments = data
    else:
        mom = _ContinuousMoments(problem[1], a, b)
    while len(starts) < n_starts:
        starts.append(np.sort(rng.uniform(0.0, 1.0, n)))

    def fun(z: FloatArray) -> tuple[float, FloatArray]:
        order = np.argsort(z)
        loss, g_sorted = _project(mom, z[order], bias)
        g = np.empty_like(z)
        g[order] = g_sorted
        return loss, g

    def polish(z0: FloatArray, maxiter: int) -> tuple[float, FloatArray]:
        res = optimize.minimize(
            fun, np.sort(z0), jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * n,
            options={"maxiter": maxiter, "ftol": 1e-12, "gtol": 1e-10},
        )  # fmt: skip
        return float(res.fun), np.sort(res.x)

    best: tuple[float, FloatArray] | None = None
    for s, z0 in enumerate(starts[:n_starts]):
        if progress:
            print(f"best_fit: start {s + 1}/{n_starts}", file=sys.stderr)
        candidate = polish(z0, 200 + 20 * n)
        if best is None or candidate[0] < best[0]:
            best = candidate
    assert best is not None
    # basin hopping: move a few shifts of the best fit to random places and descend again
    for hop in range(hops):
        if progress:
            print(f"best_fit: hop {hop + 1}/{hops}", file=sys.stderr)
        z0 = best[1].copy()
        which = rng.choice(n, min(3, n), replace=False)
        z0[which] = rng.uniform(0.0, 1.0, which.size)
        candidate = polish(z0, _HOP_ITER)
        if candidate[0] < best[0]:
            best = candidate
    loss, z = best
    if isinstance(mom, _DataMoments):
        # the loss has a kink wherever a shift crosses a data point, where L-BFGS-B stalls:
        # move one shift at a time to the best nearby gap between data points, then re-polish
        for _ in range(_GAP_ROUNDS):
            moved = _gap_search(lambda z: _project(mom, z, bias)[0], z, loss, mom.t)
            if moved is None:
                break
            res = optimize.minimize(
                fun, moved[1], jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * n,
                options={"maxiter": 200 + 20 * n, "ftol": 1e-12, "gtol": 1e-10},
            )  # fmt: skip
            polished = (_project(mom, np.sort(res.x), bias)[0], np.sort(res.x))
            loss, z = min(moved, polished, key=lambda c: c[0])
    h = a + z * scale
    theta, loss = _fit_fixed(problem, h, bias, a, b)
    return h, theta, loss


# -- exact fits ---------------------------------------------------------------------------------


def _exact_fit(
    target: _Target, shifts: Any, bias: bool, a: Fraction, b: Fraction
) -> tuple[list[Fraction], Fraction, Fraction]:
    """Exact weights, bias and loss for a polynomial target (normal equations in Q)."""
    import sympy

    x = target.symbol
    if target.expr is None or not target.expr.is_polynomial(x):
        raise ValueError("exact=True needs a polynomial sympy target (an expression or string)")
    hs = [sympy.Rational(h.numerator, h.denominator) for h in shifts]
    A, B = sympy.Rational(a.numerator, a.denominator), sympy.Rational(b.numerator, b.denominator)

    def integral(expr: Any, lo: Any) -> Any:
        return sympy.integrate(sympy.expand(expr), (x, lo, B)) if lo < B else sympy.Integer(0)

    def lower(i: int) -> Any:
        return A if (bias and i == 0) else max(A, hs[i - (1 if bias else 0)])

    def plain(i: int) -> Any:
        return sympy.Integer(1) if (bias and i == 0) else x - hs[i - (1 if bias else 0)]

    m = len(hs) + (1 if bias else 0)
    G = sympy.zeros(m, m)
    r = sympy.zeros(m, 1)
    for i in range(m):
        for j in range(m):
            G[i, j] = integral(plain(i) * plain(j), max(lower(i), lower(j)))
        r[i] = integral(target.expr * plain(i), lower(i))
    try:
        sol = G.LUsolve(r)
    except (ValueError, ZeroDivisionError):
        sol = G.pinv() * r
    pieces = sorted({A, B, *[h for h in hs if A < h < B]})
    loss = _exact_loss(target.expr, x, sol, hs, bias, pieces)
    vals = [_to_fraction(v) for v in sol]
    c = vals[0] if bias else Fraction(0)
    return vals[1:] if bias else vals, c, _to_fraction(loss)


def _to_fraction(v: Any) -> Fraction:
    import sympy

    v = sympy.nsimplify(v)
    if not v.is_Rational:
        raise ValueError(f"exact fit produced a non-rational value {v}")
    return Fraction(int(v.p), int(v.q))


def _exact_loss(expr: Any, x: Any, sol: Any, hs: list[Any], bias: bool, pieces: list[Any]) -> Any:
    import sympy

    total = sympy.Integer(0)
    for lo, hi in zip(pieces[:-1], pieces[1:]):
        mid = (lo + hi) / 2
        g = sol[0] if bias else sympy.Integer(0)
        for k, h in enumerate(hs):
            if h <= mid:
                g += sol[k + (1 if bias else 0)] * (x - h)
        total += sympy.integrate(sympy.expand((expr - g) ** 2), (x, lo, hi))
    return sympy.nsimplify(total)


# -- the public function ------------------------------------------------------------------------


def best_fit(
    target: Any,
    n_units: int,
    interval: Any = None,
    *,
    shifts: Any = "free",
    bias: bool = True,
    weights: ArrayLike | None = None,
    exact: bool = False,
    seed: Any = 0,
    n_starts: int | None = None,
    progress: bool = False,
) -> FitResult:
    """Least-squares optimal :math:`c + \\sum_{i=1}^{n} w_i\\,\\mathrm{relu}(x - h_i)`.

    Parameters
    ----------
    target : callable, sympy expression, str or (x, y)
        A function on ``interval`` (continuous L2 fit), or data points.
    n_units : int
        Number of shifted ReLUs, at least 1.
    interval : (a, b), optional
        Required for a function; for data it defaults to the data's range.
    shifts : "free", "uniform" or array_like
        ``"uniform"`` puts unit ``i`` at :math:`a + i(b - a)/n`; an array
        fixes the shifts; ``"free"`` optimises them within ``[a, b]``.
    bias : bool, default True
        Fit the constant :math:`c` (else :math:`c = 0`).
    weights : array_like, optional
        Non-negative weights of the data points.
    exact : bool, default False
        Exact :class:`~fractions.Fraction` weights for a polynomial sympy
        target with fixed rational shifts.
    seed : int or Generator, default 0
        For the random starts of free shifts (deterministic for a seed).
    n_starts : int, optional
        Starts of the free-shift optimisation: the :math:`|f''|^{2/5}`
        equidistribution, for data the best segmentations into ``n`` and
        ``n + 1`` independent lines (dynamic programming), midpoint-uniform
        shifts, then random ones; default 4 for up to 16 units, else 2 (the
        equidistribution is near optimal for many units).  For up to 16 units
        the best fit then makes 6 basin-hopping moves (3 shifts moved at
        random, descent again), drawn from ``seed``.
    progress : bool, default False
        Report each free-shift start on stderr.

    Returns
    -------
    FitResult

    Notes
    -----
    With free shifts, BLAS runs on one thread during the optimisation when
    threadpoolctl is installed (it comes with scikit-learn): the optimiser's
    BLAS calls are tiny, and threaded BLAS made them 5-20x slower on a busy
    two-core machine.

    Examples
    --------
    >>> import pwlinear as pl
    >>> fit = pl.best_fit("x**2", 2, (0, 2), shifts=[0, 1], exact=True)
    >>> fit.bias, list(fit.weights)
    (Fraction(-1, 6), [Fraction(1, 1), Fraction(2, 1)])
    >>> fit = pl.best_fit(lambda x: x**2, 2, (0, 2), shifts="uniform")
    >>> round(float(fit.loss), 6)
    0.011111
    """
    if isinstance(n_units, bool) or not isinstance(n_units, (int, np.integer)):
        raise TypeError(f"n_units must be an int, got {n_units!r}")
    n = int(n_units)
    if n < 1:
        raise ValueError(f"n_units must be at least 1, got {n}")
    is_data = isinstance(target, (tuple, list)) and len(target) == 2 and not isinstance(target, str)
    if is_data:
        x, y, om = _as_data(target, weights)
        a, b = check_interval(interval if interval is not None else (x.min(), x.max()))
        if not (math.isfinite(a) and math.isfinite(b)):
            raise ValueError(f"interval must be finite, got {interval!r}")
        if np.any((x < a) | (x > b)):
            raise ValueError(f"data x must lie in the interval [{a}, {b}]")
        problem: Any = ("data", x, y, om)
        tgt = None
    else:
        if weights is not None:
            raise ValueError("weights are for data points; a function target takes none")
        if interval is None:
            raise ValueError("interval (a, b) is required for a function target")
        a, b = check_interval(interval, allow_infinite=False)
        tgt = _as_target(target)
        with np.errstate(all="ignore"):
            probe = tgt.f(np.linspace(a, b, 257))
        if not np.all(np.isfinite(probe)):
            raise ValueError(f"target returned non-finite values on the interval [{a}, {b}]")
        problem = ("continuous", tgt)
    if isinstance(shifts, str):
        if shifts == "uniform":
            h = a + np.arange(n) * (b - a) / n
        elif shifts != "free":
            raise ValueError(f"shifts must be 'free', 'uniform' or an array, got {shifts!r}")
    else:
        raw = np.asarray(shifts, dtype=object).reshape(-1)
        if raw.size != n:
            raise ValueError(f"shifts must have n_units = {n} entries, got {raw.size}")
        h = np.asarray(raw, dtype=np.float64)
        if not np.all(np.isfinite(h)):
            raise ValueError(f"shifts must be finite, got {shifts!r}")

    if exact:
        if is_data or tgt is None or (isinstance(shifts, str) and shifts == "free"):
            raise ValueError("exact=True needs a polynomial sympy target and fixed shifts")
        from pwlinear._exact import to_fraction

        fa = to_fraction(interval[0], "interval")
        fb = to_fraction(interval[1], "interval")
        if isinstance(shifts, str):
            hs = [fa + i * (fb - fa) / n for i in range(n)]
        else:
            hs = [to_fraction(v, "shifts") for v in np.asarray(shifts, dtype=object).reshape(-1)]
        w_exact, c_exact, loss_exact = _exact_fit(tgt, hs, bias, fa, fb)
        sh = np.array(hs + [None], dtype=object)[:-1]
        wt = np.array(w_exact + [None], dtype=object)[:-1]
        return _result(problem, sh, wt, c_exact, loss_exact, a, b, bias)

    if isinstance(shifts, str) and shifts == "free":
        starts = n_starts if n_starts is not None else (4 if n <= 16 else 2)
        if starts < 1:
            raise ValueError(f"n_starts must be at least 1, got {n_starts}")
        hops = _HOPS if n <= 16 else 0
        with _one_blas_thread():
            h, theta, loss = _fit_free(problem, n, bias, a, b, seed, starts, progress, hops)
    else:
        theta, loss = _fit_fixed(problem, h, bias, a, b)
    c = float(theta[0]) if bias else 0.0
    w = theta[1:] if bias else theta
    return _result(problem, h, np.asarray(w, dtype=np.float64), c, loss, a, b, bias)


def _result(
    problem: Any,
    h: NDArray[Any],
    w: NDArray[Any],
    c: Any,
    loss: Any,
    a: float,
    b: float,
    bias: bool,
) -> FitResult:
    hf, wf = h.astype(np.float64), w.astype(np.float64)
    theta = np.r_[float(c), wf] if bias else wf
    if problem[0] == "data":
        _, x, y, om = problem
        res = np.abs(y - _model(x, hf, theta, bias))
        max_err = float(res.max())
        rms = math.sqrt(float(loss) / float(np.sum(om)))
        kind = "data"
    else:
        max_err = _max_error(problem[1], hf, theta, bias, a, b)
        rms = math.sqrt(max(float(loss), 0.0) / (b - a))
        kind = "continuous"
    return FitResult(h.copy(), w.copy(), c, loss, rms, max_err, (a, b), kind)


def _max_error(
    target: _Target, h: FloatArray, theta: FloatArray, bias: bool, a: float, b: float
) -> float:
    """max |f - g| on [a, b]: dense on each piece, then refined around the largest."""
    from scipy import optimize

    nodes = _nodes(h, a, b)
    xs = (nodes[:-1, None] + np.diff(nodes)[:, None] * np.linspace(0, 1, 65)).ravel()
    err = np.abs(target.f(xs) - _model(xs, h, theta, bias))
    j = int(np.argmax(err))
    best = float(err[j])
    lo, hi = xs[max(j - 1, 0)], xs[min(j + 1, xs.size - 1)]
    if hi > lo:

        def neg_err(t: float) -> float:
            pt = np.array([t])
            return -abs(float(target.f(pt)[0]) - float(_model(pt, h, theta, bias)[0]))

        opts = {"xatol": 1e-12 * max(1.0, abs(hi))}
        res = optimize.minimize_scalar(neg_err, bounds=(lo, hi), method="bounded", options=opts)
        best = max(best, -float(res.fun))
    return best
