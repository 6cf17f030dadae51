"""Exact activation regions and breakpoints of a scalar-input network.

For a network :math:`N:\\mathbb{R}\\to\\mathbb{R}^m` with piecewise-linear
activations, the real line splits into *activation regions*
:math:`[l_r, r_r]` on which every hidden neuron stays on one piece of its
activation, so that

.. math::

    N(x) = s_r x + c_r \\qquad (l_r \\le x \\le r_r).

A *region boundary* is where some neuron's pre-activation crosses a knot of
its activation; a *breakpoint* is a boundary where the slope :math:`s_r`
actually changes.  A switch whose effect cancels, a neuron that only touches
a knot, or a neuron that is constant on an interval is a boundary (or
nothing) but never a breakpoint:

>>> import pwlinear as pl
>>> net = pl.Network([([[1.0], [1.0]], [0.0, 0.0]), ([[1.0, -1.0]], [0.0])])
>>> r = pl.regions(net)          # two identical neurons whose effects cancel
>>> r.left, r.right
(array([-inf,   0.]), array([ 0., inf]))
>>> pl.breakpoints(net)
array([], dtype=float64)

The partition is computed layer by layer: on each piece of the line every
neuron is an affine function of ``x``; pieces split where a pre-activation
crosses a knot; the activation pattern then maps the affine functions through
the next layer.  The last hidden layer is handled as a sorted list of switch
events with running sums, so one hidden layer costs a sort.  Every slope
comparison is certified by a rigorous floating-point error bound and settled
in exact rational arithmetic when the bound cannot decide it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pwlinear._exact import to_fraction
from pwlinear._validation import check_interval, check_output
from pwlinear.activations import Activation
from pwlinear.network import Network, as_network

__all__ = ["Regions", "regions", "breakpoints", "to_piecewise"]

_U = 2.0**-53  # unit roundoff of float64

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def _gamma(n: Any) -> Any:
    """Higham's :math:`\\gamma_n = n u / (1 - n u)`, the bound for n rounded operations."""
    nu = np.asarray(n, dtype=np.float64) * _U
    return nu / (1.0 - nu)


def _crossings(a: FloatArray, c: FloatArray, knots: FloatArray) -> FloatArray:
    """Where each affine pre-activation ``a x + c`` meets each knot: ``(knot - c) / a``."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return (knots - c[..., None]) / a[..., None]  # type: ignore[no-any-return]


def _states(
    a: FloatArray, c: FloatArray, t: FloatArray, left: FloatArray, knots: FloatArray
) -> IntArray:
    """State of each neuron just right of ``left``, from the same crossings ``t`` used to split.

    Increasing neurons have crossed the knots with ``t <= left``; decreasing
    ones are still above the knots with ``t > left``; constant ones sit where
    ``c`` is (the left piece at a knot).  Deriving the state from ``t`` keeps
    states and splits consistent in floating point.
    """
    if knots.size == 1:  # the common case (relu, leaky relu, abs): boolean arithmetic
        crossed = t[..., 0] <= left[:, None]
        state = np.where(a > 0, crossed, ~crossed).astype(np.intp)
    else:
        crossed = np.count_nonzero(t <= left[:, None, None], axis=-1)
        state = np.where(a > 0, crossed, knots.size - crossed)
    flat = a == 0
    if flat.any():
        state[flat] = np.searchsorted(knots, c[flat], side="left")
    return state  # type: ignore[no-any-return]


def _small_int(a: NDArray[Any]) -> NDArray[Any]:
    return a.astype(np.int8 if a.size == 0 or int(a.max(initial=0)) < 127 else np.int32)


def _lookup(table: NDArray[Any], s: NDArray[Any]) -> NDArray[Any]:
    """``table[s]`` for an activation's small per-piece table, one comparison per nonzero
    entry (exact: one term of each sum is nonzero; faster than fancy indexing by int8)."""
    nonzero = np.flatnonzero(table)
    if nonzero.size == 0:
        return np.zeros(s.shape, dtype=table.dtype)
    out = (s == nonzero[0]) * table[nonzero[0]]
    for j in nonzero[1:]:
        out += (s == j) * table[j]
    return out  # type: ignore[no-any-return]


def _n_inactive(act: Activation, s: NDArray[Any]) -> IntArray:
    """Per row of states ``s``, how many neurons sit on an inactive piece."""
    off = np.flatnonzero(~act.active)
    return sum((np.count_nonzero(s == j, axis=1) for j in off), np.zeros(s.shape[0], np.intp))


def _segmented_cumsum(
    first: NDArray[Any], steps: NDArray[Any], step_parent: IntArray, n_steps: IntArray
) -> NDArray[Any]:
    """Running sums restarted in each parent: parent ``p`` yields ``first[p]`` then
    ``first[p] + steps[g0]``, ... over its own steps, all parents concatenated."""
    n = first.shape[0]
    if n == 1:  # one parent (always so for one hidden layer): a plain running sum
        both = np.concatenate([first, steps])
        if both.ndim == 2 and both.shape[1] == 1:  # numpy sums (n, 1) columns slowly
            return np.cumsum(both[:, 0])[:, None]
        return np.cumsum(both, axis=0)  # type: ignore[no-any-return]
    width = int(n_steps.max(initial=0)) + 1
    pad = np.zeros((n, width) + first.shape[1:], dtype=np.result_type(first, steps))
    pad[:, 0] = first
    start = np.cumsum(n_steps) - n_steps
    rank = np.arange(step_parent.size) - start[step_parent] + 1
    pad[step_parent, rank] = steps
    np.cumsum(pad, axis=1, out=pad)
    valid = np.arange(width) <= n_steps[:, None]
    return pad[valid]


def _accumulate(
    active: NDArray[np.bool_],
    s0: NDArray[Any],
    old: IntArray,
    new: IntArray,
    starts: IntArray,
    group_parent: IntArray,
    n_parents: int,
    slopes: tuple[NDArray[Any], NDArray[Any]],
    intercepts: tuple[NDArray[Any], NDArray[Any]],
    inactive: IntArray,
) -> tuple[IntArray, NDArray[Any], NDArray[Any], NDArray[Any], IntArray]:
    """Per region of the last hidden layer: output slopes, intercepts and inactive counts,
    as each parent's values at its left end plus the running sums of the switch groups'
    effects (float or exact integers alike).  Returns the groups per parent, the groups'
    summed slope changes, and the three per-region arrays."""
    n_groups = np.bincount(group_parent, minlength=n_parents)
    first_a, d_a = slopes
    first_c, d_c = intercepts
    grouped = 0 < starts.size < d_a.shape[0]  # some switches are simultaneous
    ga = np.add.reduceat(d_a, starts, axis=0) if grouped else d_a
    gc = np.add.reduceat(d_c, starts, axis=0) if grouped else d_c
    d_in = active[old].astype(np.intp) - active[new].astype(np.intp)
    g_in = np.add.reduceat(d_in, starts) if grouped else d_in
    first_in = inactive + np.count_nonzero(~active[s0], axis=1)
    return (
        n_groups,
        ga,
        _segmented_cumsum(first_a, ga, group_parent, n_groups),
        _segmented_cumsum(first_c, gc, group_parent, n_groups),
        _segmented_cumsum(first_in, g_in, group_parent, n_groups),
    )


@dataclass(frozen=True)
class _Events:
    """Switches of the last hidden layer, sorted by position."""

    s0: NDArray[Any]  # (n_parents, width) states just right of each parent's left edge
    parent: IntArray  # (n_regions,) parent piece of each region
    region: IntArray  # (n_events,) region that begins at the switch
    neuron: IntArray  # (n_events,)
    old: IntArray  # (n_events,) state before the switch
    new: IntArray  # (n_events,) state after


@dataclass(frozen=True, eq=False)
class Regions:
    """Activation regions :math:`N(x) = s_r x + c_r` for :math:`l_r \\le x \\le r_r`.

    Attributes
    ----------
    left, right : ndarray, shape (n_regions,)
        Region ends; ``left[0]`` and ``right[-1]`` are the analysed interval's
        ends (``-inf`` and ``inf`` on the whole line) and ``right[r] == left[r + 1]``.
    slope, intercept : ndarray, shape (n_regions,) or (n_regions, n_outputs)
        The network on each region; 1-D for one output (or ``output=k``).
    is_breakpoint : ndarray of bool, shape (n_regions - 1,)
        Whether the slope changes at each interior boundary ``right[:-1]``.
    n_inactive : ndarray of int, shape (n_regions,)
        Number of hidden neurons on an inactive piece in each region.
    activations : tuple of Activation
        The hidden layers' activations.

    Examples
    --------
    >>> import pwlinear as pl
    >>> r = pl.regions(pl.shifted_relus([1.0, -2.0], [0.0, 1.0]))
    >>> len(r), r.slope, r.n_inactive
    (3, array([ 0.,  1., -1.]), array([2, 1, 0]))
    >>> r.patterns[0].astype(int)
    array([[0, 0],
           [1, 0],
           [1, 1]])
    >>> r.switches
    (array([[0, 0]]), array([[0, 1]]))
    """

    left: FloatArray
    right: FloatArray
    slope: FloatArray
    intercept: FloatArray
    is_breakpoint: NDArray[np.bool_]
    n_inactive: IntArray
    activations: tuple[Activation, ...]
    _dense_states: tuple[NDArray[Any], ...] = field(repr=False)
    _events: _Events | None = field(repr=False)

    def __post_init__(self) -> None:
        for v in (
            self.left,
            self.right,
            self.slope,
            self.intercept,
            self.is_breakpoint,
            self.n_inactive,
        ):
            v.flags.writeable = False

    def __len__(self) -> int:
        return int(self.left.size)

    @property
    def n_regions(self) -> int:
        """Number of regions."""
        return len(self)

    @property
    def boundaries(self) -> FloatArray:
        """Interior region boundaries ``right[:-1]``: every point where the pattern changes."""
        return self.right[:-1]

    @property
    def breakpoints(self) -> FloatArray:
        """The boundaries where the slope changes."""
        out: FloatArray = self.boundaries[self.is_breakpoint]
        return out

    @cached_property
    def states(self) -> tuple[NDArray[Any], ...]:
        """Per hidden layer, ``(n_regions, width)`` index of each neuron's activation piece."""
        out = list(self._dense_states)
        ev = self._events
        if ev is not None:
            n = len(self)
            delta = np.zeros((n, ev.s0.shape[1]), dtype=np.int32)
            np.add.at(delta, (ev.region, ev.neuron), ev.new - ev.old)
            # restart the running sum in every parent: cancel what the previous parent added
            starts = np.flatnonzero(np.r_[True, ev.parent[1:] != ev.parent[:-1]])
            per_parent = np.add.reduceat(delta, starts, axis=0)
            delta[starts[1:]] -= per_parent[:-1]
            st = ev.s0[ev.parent] + np.cumsum(delta, axis=0)
            out.append(_small_int(st))
        for s in out:
            s.flags.writeable = False
        return tuple(out)

    @cached_property
    def patterns(self) -> tuple[NDArray[np.bool_], ...]:
        """Per hidden layer, ``(n_regions, width)`` bool: which neurons are active."""
        out = []
        for act, s in zip(self.activations, self.states):
            p = act.active[s]
            p.flags.writeable = False
            out.append(p)
        return tuple(out)

    @cached_property
    def switches(self) -> tuple[IntArray, ...]:
        """Per interior boundary, a ``(k, 2)`` array of the ``(layer, neuron)`` pairs that
        change state there."""
        pairs = []
        for layer, s in enumerate(self.states):
            b, i = np.nonzero(s[1:] != s[:-1])
            pairs.append(np.stack([b, np.full_like(b, layer), i], axis=1))
        allp = np.concatenate(pairs) if pairs else np.zeros((0, 3), dtype=np.intp)
        allp = allp[np.lexsort((allp[:, 2], allp[:, 1], allp[:, 0]))]
        cuts = np.searchsorted(allp[:, 0], np.arange(1, len(self)))
        out = tuple(np.split(allp[:, 1:].copy(), cuts[:-1])) if len(self) > 1 else ()
        for a in out:
            a.flags.writeable = False
        return out

    def locate(self, x: ArrayLike) -> IntArray:
        """Index of the region containing each ``x`` (the left one at a boundary)."""
        xa = np.asarray(x, dtype=np.float64)
        if np.any((xa < self.left[0]) | (xa > self.right[-1]) | np.isnan(xa)):
            raise ValueError(
                f"x must lie in [{self.left[0]}, {self.right[-1]}], the analysed interval"
            )
        return np.clip(np.searchsorted(self.right, xa, side="left"), 0, len(self) - 1)

    def __call__(self, x: ArrayLike) -> FloatArray:
        """The network evaluated through its regions, ``slope[r] * x + intercept[r]``."""
        xa = np.asarray(x, dtype=np.float64)
        r = self.locate(xa)
        if self.slope.ndim == 1:
            return self.slope[r] * xa + self.intercept[r]  # type: ignore[no-any-return]
        return self.slope[r] * xa[..., None] + self.intercept[r]  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        lo, hi = self.left[0], self.right[-1]
        return (
            f"Regions(n_regions={len(self)}, n_breakpoints={int(self.is_breakpoint.sum())}, "
            f"interval=({lo}, {hi}))"
        )


def _abs_chain(net: Network, dense: list[NDArray[Any]], rows: IntArray) -> FloatArray:
    """Per region, :math:`|W_L| \\bar s_{L-1} |W_{L-1}| |s_{L-2}| \\cdots |s_1| |w_1|`, the sum of
    absolute values of every term of the output slope (rows: region indices)."""
    v = np.broadcast_to(np.abs(net.layers[0][0][:, 0]), (rows.size, net.layers[0][0].shape[0]))
    for act, s, (W, _) in zip(net.activations, dense, net.layers[1:-1]):
        v = (np.abs(act.slopes)[s[rows]] * v) @ np.abs(W).T
    return (net.activations[-1].max_abs_slope * v) @ np.abs(net.layers[-1][0]).T  # type: ignore[no-any-return]


def _n_ops(net: Network) -> int:
    """Rounded operations along the longest chain that computes an output slope."""
    return sum(W.shape[1] + 2 for W, _ in net.layers)


def _exact_chain(net: Network, rows: list[NDArray[Any]]) -> NDArray[np.object_]:
    """Exact slopes of the last hidden layer's pre-activations (as scaled integers; the
    scale is the same for every region), given the earlier layers' states."""
    layers = net.integer_layers()
    v = layers[0][0][:, 0]
    for act, s, (W, _, _, _) in zip(net.activations, rows, layers[1:]):
        v = W.dot(act.integer_slopes[0][s.astype(np.intp)] * v)
    return v


def _cached(net: Network, key: str, compute: Any) -> Any:
    """``compute(net)``, computed once per (immutable) network."""
    cache = net._cache
    if key not in cache:
        cache[key] = compute(net)
    return cache[key]


class _Undecided(Exception):
    """A float comparison of the partition fell inside its error bound."""


def _layer_bounds(net: Network) -> list[tuple[FloatArray, FloatArray, tuple[float, ...]]]:
    """Per hidden layer, per neuron: bounds on the float error of its pre-activation slope
    and intercept on any piece, :math:`\\gamma_N` times the all-active absolute chains; and
    the layer's largest computed slope, slope error, intercept error and intercept."""
    g = _gamma(_n_ops(net) + 4) * 1.01
    W0, b0 = net.layers[0]
    a_abs, c_abs = np.abs(W0[:, 0]), np.abs(b0)
    out: list[tuple[FloatArray, FloatArray, tuple[float, ...]]] = []
    for act, (W, b) in zip(net.activations, net.layers[1:]):
        ea, ec = (g * a_abs, g * c_abs) if out else (0 * a_abs, 0 * c_abs)  # layer 1 is exact
        scale = (np.max(a_abs + ea), ea.max(), ec.max(), np.max(c_abs + ec))
        out.append((ea, ec, tuple(1.01 * float(v) for v in scale)))
        a_abs = np.abs(W) @ (act.max_abs_slope * a_abs)
        c_abs = np.abs(W) @ (act.max_abs_slope * c_abs + np.max(np.abs(act.offsets))) + np.abs(b)
    return out


def _local_bounds(
    net: Network, dense: list[NDArray[Any]], rows: IntArray
) -> tuple[FloatArray, FloatArray]:
    """For the pieces ``rows``, per neuron of the layer after ``dense``: the error bounds of
    :func:`_layer_bounds` with each piece's own activation slopes (exact zeros stay zero)."""
    g = _gamma(_n_ops(net) + 4) * 1.01
    W0, b0 = net.layers[0]
    a_abs = np.broadcast_to(np.abs(W0[:, 0]), (rows.size, W0.shape[0]))
    c_abs = np.broadcast_to(np.abs(b0), (rows.size, W0.shape[0]))
    for act, s, (W, b) in zip(net.activations, dense, net.layers[1:]):
        sl = np.abs(act.slopes)[s[rows]]
        a_abs = (sl * a_abs) @ np.abs(W).T
        c_abs = (sl * c_abs + np.abs(act.offsets)[s[rows]]) @ np.abs(W).T + np.abs(b)
    return g * a_abs, g * c_abs


def _moderate_range(net: Network, limit: float = 1e150) -> bool:
    """True when every product of consecutive layers' weight magnitudes (and activation
    slopes) stays within ``[1/limit, limit]``, so no float result under- or overflows
    and the error bounds, which assume neither, hold."""
    logs = []  # log10 of the smallest and largest factor each layer can contribute
    for li, (W, b) in enumerate(net.layers):
        vals = np.abs(np.concatenate([W.ravel(), b]))
        nz = vals[vals > 0]
        logs.append(
            (
                np.log10(nz.min(initial=1.0)),
                np.log10(nz.max(initial=1.0)) + np.log10(W.shape[1] + 1),
            )
        )
        if li < len(net.activations):
            act = net.activations[li]
            sl = np.abs(act.slopes)
            big = max(float(sl.max()), float(np.abs(act.offsets).max(initial=0.0)), 1e-300)
            logs.append((np.log10(sl[sl > 0].min(initial=1.0)), np.log10(2 * big)))
    factors = np.array(logs)
    for i in range(len(factors)):
        lo = np.cumsum(factors[i:, 0])
        hi = np.cumsum(factors[i:, 1])
        if lo.min() < -np.log10(limit) or hi.max() > np.log10(limit):
            return False
    return True


_G2 = 2 * _U / (1 - 2 * _U)  # gamma_2: the rounding of a x + c


def _side_at(
    V: FloatArray, err: FloatArray | None, knots: FloatArray
) -> tuple[NDArray[np.int8], NDArray[np.bool_], NDArray[np.bool_]]:
    """For values within ``err`` of exact ones: how many knots lie strictly below each exact
    value, whether that is certain, and whether the value is exactly on a knot (certain only
    with a zero error bound; without bounds every float is taken as exact)."""
    if knots.size == 1:
        d = V - knots[0] if knots[0] != 0 else V
        side = (d > 0).view(np.int8)
        if err is None:
            return side, np.ones(d.shape, dtype=bool), d == 0
        return side, np.abs(d) > 1.01 * err, (d == 0) & (err == 0)
    d = V[..., None] - knots
    side = np.count_nonzero(d > 0, axis=-1).astype(np.int8)
    on = (d == 0).any(axis=-1)
    if err is None:
        return side, np.ones(V.shape, dtype=bool), on
    return side, np.asarray((np.abs(d) > 1.01 * err[..., None]).all(axis=-1)), on & (err == 0)


def _end_states(
    A: FloatArray,
    C: FloatArray,
    x: FloatArray,
    ex: FloatArray,
    knots: FloatArray,
    bounds: tuple[Any, Any] | None,
    toward: int,
) -> tuple[NDArray[np.int8], NDArray[np.bool_]]:
    """State of every neuron at one end ``x`` of each piece, on the piece's side of it
    (``toward`` = +1 at left ends, -1 at right ends), and whether it is certain.

    With ``bounds`` :math:`(e_a, e_c)` on the error of the computed map :math:`(\\hat a, \\hat
    c)` and :math:`e_x` on the end's, :math:`\\mathrm{fl}(\\hat a \\hat x + \\hat c)` is within
    :math:`|\\hat a|(e_x + \\gamma_2|\\hat x|) + e_a(|\\hat x| + e_x) + e_c + \\gamma_2|\\hat c|`
    of the exact value there.  A value exactly on a knot takes the state the slope moves it
    to; at an infinite end the slope's sign decides (the constant, for a flat map).
    """
    finite = np.isfinite(x)
    xf = np.where(finite, x, 0.0)[:, None]
    ea = ec = err = None
    if bounds is not None:
        ea, ec = bounds
        ax = np.abs(xf)
        err = np.abs(A) * (ex[:, None] + _G2 * ax) + (ea * (ax + ex[:, None]) + ec)
        err += _G2 * np.abs(C)
    side, sure, on = _side_at(A * xf + C, err, knots)
    if not finite.all() or on.any():
        sign = np.where(finite, toward, np.sign(x))[:, None] * np.sign(A)
        slope_known = np.ones(A.shape, dtype=bool)
        if ea is not None:
            slope_known = (np.abs(A) > ea) | ((A == 0) & (ea == 0))
        # on a knot: one more knot below when the value rises into the piece
        side = side + (on & (sign > 0)).view(np.int8)
        sure = sure | (on & slope_known)
        rows = np.flatnonzero(~finite)
        if rows.size:
            flat = A[rows] == 0
            s_c, ok_c, on_c = _side_at(C[rows], None if err is None else err[rows], knots)
            side[rows] = np.where(flat, s_c, np.where(sign[rows] > 0, knots.size, 0))
            sure[rows] = np.where(flat, ok_c | on_c, slope_known[rows])
    return side, sure


def _vertex_states(
    A: FloatArray,
    C: FloatArray,
    edges: FloatArray,
    edge_err: FloatArray,
    knots: FloatArray,
    scale: tuple[float, float, float, float] | None,
) -> tuple[NDArray[np.int8], NDArray[np.int8], NDArray[np.bool_]]:
    """States at the ends of every piece from one evaluation per vertex, and the pieces
    where one of them is in doubt (then :func:`_end_states` decides them).

    Each vertex is evaluated with the map of the piece to its right (the last with the
    piece to its left): in exact arithmetic both pieces agree there.  With the vertex's
    largest computed slope :math:`\\max_i|\\hat a_i|` and the layer's ``scale`` =
    :math:`(\\max|\\hat a|, \\max e_a, \\max e_c, \\max|\\hat c|)`, one number bounds the
    error of :func:`_end_states` for every neuron at the vertex, so only values within that
    bound of a knot, and infinite ends with an uncertain slope, are looked at neuron by
    neuron.
    """
    n = A.shape[0]
    finite = np.isfinite(edges)
    x = np.where(finite, edges, 0.0)
    V = A * x[:-1, None] + C
    V_end = A[-1] * x[-1] + C[-1]
    if knots.size == 1:
        k0 = knots[0]
        d, d_end = (V - k0, V_end - k0) if k0 != 0 else (V, V_end)
        side, side_end = (d > 0).view(np.int8), (d_end > 0).view(np.int8)
        dist, dist_end = np.abs(d), np.abs(d_end)
    else:
        d, d_end = V[..., None] - knots, V_end[..., None] - knots
        side = np.count_nonzero(d > 0, axis=-1).astype(np.int8)
        side_end = np.count_nonzero(d_end > 0, axis=-1).astype(np.int8)
        dist = np.abs(d).min(axis=-1, initial=np.inf)
        dist_end = np.abs(d_end).min(axis=-1, initial=np.inf)
    if scale is None:
        bound = np.zeros(n + 1)
    else:
        _, ea_max, ec_max, c_max = scale
        # each vertex's own largest slope: the a priori one is far larger in deep layers
        a_row = np.abs(A).max(axis=1)
        a_row = np.r_[a_row, a_row[-1]]
        ax = np.abs(x)
        bound = 1.01 * (a_row * (edge_err + _G2 * ax) + ea_max * (ax + edge_err) + ec_max)
        bound += 1.01 * _G2 * c_max
    doubt = np.zeros(n + 1, dtype=bool)
    doubt[:-1] = (dist <= bound[:-1, None]).any(axis=1)
    doubt[-1] = (dist_end <= bound[-1]).any()
    # an infinite end: the sign of the slope decides (flat maps are left to _end_states)
    ea_max = 0.0 if scale is None else scale[1]
    if not finite[0]:
        side[0] = np.where(A[0] < 0, knots.size, 0)
        doubt[0] = (np.abs(A[0]) <= ea_max).any()
    if not finite[-1]:
        side_end = np.where(A[-1] > 0, knots.size, 0).astype(np.int8)
        doubt[-1] = (np.abs(A[-1]) <= ea_max).any()
    s_left = np.concatenate([side[1:], side_end[None]])
    # a doubtful vertex puts both pieces it ends in doubt
    return side, s_left, doubt[:-1] | doubt[1:]


@dataclass(frozen=True)
class _Pieces:
    """What settling one hidden layer's undecided comparisons needs: the network, the
    layer, the earlier layers' states on each piece, and the edges with what made each
    one (layer, neuron, knot; -1 for the ends of the interval)."""

    net: Network
    layer: int
    dense: list[NDArray[Any]]
    edges: FloatArray
    cause: IntArray

    def local_bounds(self, rows: IntArray) -> tuple[FloatArray, FloatArray]:
        return _local_bounds(self.net, self.dense, rows)

    def maps(self, rows: IntArray, layer: int | None = None) -> tuple[Any, Any]:
        """Exact slopes and intercepts of a layer's pre-activations on pieces ``rows``."""
        from pwlinear._exact_partition import exact_maps

        layer = self.layer if layer is None else layer
        return exact_maps(self.net, [d[rows] for d in self.dense[:layer]], layer, rows.size)

    def vertices(self, vs: IntArray, owners: IntArray) -> list[Any]:
        """Exact positions of edges ``vs`` (each an end of the piece in ``owners``), with the
        maps of each layer that made some of them computed once for all."""
        out: list[Any] = [None] * vs.size
        layer_of = self.cause[vs, 0]
        for m in np.unique(layer_of):
            sel = np.flatnonzero(layer_of == m)
            if m < 0:
                for j in sel:
                    x = float(self.edges[vs[j]])
                    out[j] = x if math.isinf(x) else Fraction(x)
                continue
            a, c = self.maps(owners[sel], int(m))
            knots = self.net.activations[m].exact[0]
            for row, j in enumerate(sel):
                _, n, k = self.cause[vs[j]]
                out[j] = (knots[k] - c[row, n]) / a[row, n]
        return out

    def states(self, rows: IntArray) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
        """Exact states of this layer's neurons at both ends of each piece ``rows``."""
        knots = self.net.activations[self.layer].exact[0]
        a_all, c_all = self.maps(rows)
        ends = self.vertices(np.r_[rows, rows + 1], np.r_[rows, rows])
        out = np.zeros((2, rows.size, a_all.shape[1]), dtype=np.int8)
        for end, toward in ((0, 1), (1, -1)):
            for j in range(rows.size):
                x = ends[end * rows.size + j]
                for i, (a, c) in enumerate(zip(a_all[j], c_all[j])):
                    if isinstance(x, float):  # an infinite end: the slope's sign decides
                        v, rising = (c, False) if a == 0 else (x * (1 if a > 0 else -1), False)
                    else:
                        v, rising = a * x + c, toward * a > 0
                    side = sum(1 for kn in knots if kn < v)
                    out[end, j, i] = side + (rising and any(kn == v for kn in knots))
        return out[0], out[1]

    def crossings(self, rows: IntArray, p: IntArray, i: IntArray, m: IntArray) -> list[Any]:
        """Exact crossing points of neurons ``i`` with knots ``m`` in pieces ``p`` (in rows)."""
        knots = self.net.activations[self.layer].exact[0]
        a_all, c_all = self.maps(rows)
        where = {int(r): j for j, r in enumerate(rows)}
        return [
            (knots[k] - c_all[where[int(q)], n]) / a_all[where[int(q)], n]
            for q, n, k in zip(p, i, m)
        ]


def _split(
    A: FloatArray,
    C: FloatArray,
    edges: FloatArray,
    edge_err: FloatArray,
    knots: FloatArray,
    bounds: tuple[Any, Any, Any] | None,
    pieces: _Pieces,
) -> tuple[
    NDArray[np.int8],
    NDArray[np.int8],
    IntArray,
    IntArray,
    IntArray,
    FloatArray,
    FloatArray,
    IntArray,
]:
    """Where the pre-activations ``A x + C`` of each piece cross the activation's knots.

    Returns the states just right of each piece's left end and just left of its right end,
    and the crossings sorted by position: piece, neuron, knot, point and error bound.  A
    neuron crosses inside a piece exactly when its states at the two ends differ, so only
    the crossing points themselves are divided out.  With ``bounds`` every state and the
    order of the crossings in each piece are certified: first for whole vertices, then
    neuron by neuron with the network-wide bounds, then with each piece's own bounds
    ``local(rows)``; :class:`_Undecided` is raised when those cannot decide either.
    """
    lo, hi = edges[:-1], edges[1:]
    scale = None if bounds is None else bounds[2]
    s_right, s_left, doubt = _vertex_states(A, C, edges, edge_err, knots, scale)
    ea: Any = None
    ec: Any = None
    if bounds is not None:
        ea, ec = (np.broadcast_to(b, A.shape) for b in bounds[:2])

    def decide(rows: IntArray, own: bool) -> NDArray[np.bool_]:
        """Recompute the states of pieces ``rows``; which of them are still uncertain."""
        nonlocal ea, ec
        b = None
        if bounds is not None:
            b = pieces.local_bounds(rows) if own else (ea[rows], ec[rows])
        args = (A[rows], C[rows])
        s_right[rows], ok_r = _end_states(*args, lo[rows], edge_err[:-1][rows], knots, b, 1)
        s_left[rows], ok_l = _end_states(*args, hi[rows], edge_err[1:][rows], knots, b, -1)
        if own and b is not None:
            ea, ec = ea.copy(), ec.copy()
            ea[rows], ec[rows] = b
        return np.asarray(~(ok_r & ok_l).all(axis=1))

    rows = np.flatnonzero(doubt)
    if rows.size:
        rows = rows[decide(rows, own=False)]
        if rows.size:
            unsure = rows[decide(rows, own=True)]
            if unsure.size:  # settle them exactly, piece by piece
                s_right[unsure], s_left[unsure] = pieces.states(unsure)
    is_local = np.zeros(lo.size, dtype=bool)
    is_local[rows] = True
    # crossings: neuron i crosses knot m in piece p when m lies between its end states
    if knots.size == 1:
        p, i = np.nonzero(s_right != s_left)
        m = np.zeros(p.size, dtype=np.intp)
    else:
        lo_s, hi_s = np.minimum(s_right, s_left), np.maximum(s_right, s_left)
        k = np.arange(knots.size)
        p, i, m = np.nonzero((lo_s[..., None] <= k) & (k < hi_s[..., None]))
    a, c = A[p, i], C[p, i]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = np.clip((knots[m] - c) / a, lo[p], hi[p])
    order = np.lexsort((x, p))
    p, i, m, x = p[order], i[order], m[order], x[order]
    tie = np.zeros(x.size, dtype=np.intp)
    if bounds is None:
        return s_right, s_left, p, i, m, x, np.zeros(x.size), tie

    def crossing_error() -> FloatArray:
        # t = (k - c)/a with |c - c^| <= e_c, |a - a^| <= e_a < |a^|: within alpha + beta|t|
        mag, e_a, e_c = np.abs(A[p, i]), ea[p, i], ec[p, i]
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.01 / (mag - e_a)
            e = e_c * inv + ((_U * mag + e_a) * inv + 2.02 * _U) * np.abs(x)
        e = np.where(mag > e_a, e, np.inf)
        # a crossing rounded onto an end of its piece is within that end's error too
        return e + np.where(x == lo[p], edge_err[p], 0) + np.where(x == hi[p], edge_err[p + 1], 0)

    def unordered(e: FloatArray) -> IntArray:
        """Pieces with a crossing whose bound fails, or two too close to order."""
        close = (p[1:] == p[:-1]) & (np.diff(x) <= e[1:] + e[:-1])
        return np.unique(np.r_[p[np.isinf(e)], p[1:][close]])

    e = crossing_error()
    rows = unordered(e)
    if rows.size:
        fresh = rows[~is_local[rows]]
        if fresh.size and decide(fresh, own=True).any():
            raise _Undecided("a state that the float bounds had decided")
        is_local[fresh] = True
        e = crossing_error()
        rows = unordered(e)
    if rows.size:
        # order the crossings of those pieces exactly: correctly rounded, ranked where equal
        sel = np.flatnonzero(np.isin(p, rows))
        exact = pieces.crossings(rows, p[sel], i[sel], m[sel])
        ranked = sorted(range(sel.size), key=lambda j: (int(p[sel[j]]), exact[j]))
        for r, j in enumerate(ranked):
            same = r > 0 and p[sel[ranked[r - 1]]] == p[sel[j]] and exact[ranked[r - 1]] == exact[j]
            tie[sel[j]] = tie[sel[ranked[r - 1]]] if same else r + 1
        x[sel] = np.clip([_to_float(q) for q in exact], lo[p[sel]], hi[p[sel]])
        e[sel] = 2.02 * _U * np.abs(x[sel]) + 1e-300
        e[sel] += np.where(x[sel] == lo[p[sel]], edge_err[p[sel]], 0)
        e[sel] += np.where(x[sel] == hi[p[sel]], edge_err[p[sel] + 1], 0)
        order = np.lexsort((tie, x, p))
        p, i, m, x, e, tie = p[order], i[order], m[order], x[order], e[order], tie[order]
    return s_right, s_left, p, i, m, x, e, tie


def _insert(
    edges: FloatArray, x: FloatArray, p: IntArray
) -> tuple[FloatArray, IntArray, IntArray, IntArray]:
    """Edges with the sorted points ``x`` (inside pieces ``p``) inserted: the new edges, the
    parent piece of each new piece, the index of the piece that begins at each point, and the
    index of each old edge."""
    n_pieces = edges.size - 1
    per_piece = np.bincount(p, minlength=n_pieces)
    at_point = np.arange(x.size) + p + 1
    at_edge = np.arange(n_pieces + 1) + np.r_[0, np.cumsum(per_piece)]
    new = np.empty(edges.size + x.size)
    new[at_edge] = edges
    new[at_point] = x
    parent = np.repeat(np.arange(n_pieces), per_piece + 1)
    return new, parent, at_point, at_edge


def _sorted_events(
    t: FloatArray, lo: FloatArray, hi: FloatArray, rank: IntArray | None = None
) -> tuple[IntArray, IntArray, IntArray, FloatArray, IntArray]:
    """The crossings inside their pieces, sorted by position (then by ``rank``)."""
    flat = np.flatnonzero((t > lo[:, None, None]) & (t < hi[:, None, None]))
    x = t.reshape(-1)[flat]
    if rank is None:
        order = np.argsort(x)
        tie = np.zeros(x.size, dtype=np.intp)
    else:
        tie = rank.reshape(-1)[flat]
        order = np.lexsort((tie, x))
        tie = tie[order]
    p, i, k = np.unravel_index(flat[order], t.shape)
    return p, i, k, x[order], tie


def _placed(t: FloatArray, x_sorted: FloatArray, lo: float, hi: float) -> bool:
    """True when no crossing of a first layer is within its float error (2.02 u |t|) of an end
    of the interval or of another crossing: then the float order is the exact order."""
    with np.errstate(invalid="ignore"):
        et = 2.02 * _U * np.abs(x_sorted)
        if np.any(np.diff(x_sorted) <= et[1:] + et[:-1]):
            return False
        near = 2.02 * _U * np.abs(t) + 1e-300
        return not np.any(((np.abs(t - lo) <= near) | (np.abs(t - hi) <= near)) & np.isfinite(t))


def _place_exactly(
    A: FloatArray, C: FloatArray, t: FloatArray, knots: FloatArray, edges: FloatArray
) -> tuple[FloatArray, IntArray]:
    """Crossings of a first layer (exact affine maps) that float cannot place for certain,
    placed exactly: returns adjusted crossings and a tie-break rank for equal floats.

    ``t = fl(fl(k - c) / a)`` is within :math:`2.02\\,u|t|` of the exact value.  A crossing
    that close to an end of the interval, or to another crossing, is recomputed as a
    Fraction: at or beyond an end it moves onto that end; inside, it takes its correctly
    rounded value (kept off the ends), and crossings with equal floats are ranked by their
    exact values so that only exactly equal ones share a boundary.
    """
    lo, hi = edges[0], edges[-1]
    with np.errstate(invalid="ignore"):
        et = 2.02 * _U * np.abs(t) + 1e-300
        near = ((np.abs(t - lo) <= et) | (np.abs(t - hi) <= et)) & (A != 0)[..., None]
        inside = (t > lo) & (t < hi)
    rank = np.zeros(t.shape, dtype=np.intp)
    cand = np.argwhere(inside | near)
    xs = t[tuple(cand.T)]
    order = np.argsort(xs, kind="stable")
    cand, xs = cand[order], xs[order]
    es = et[tuple(cand.T)]
    close = np.diff(xs) <= es[1:] + es[:-1]
    flag = near[tuple(cand.T)]
    flag[1:] |= close
    flag[:-1] |= close
    if not flag.any():
        return t, rank
    t = t.copy()
    idx = [tuple(int(v) for v in c) for c in cand[flag]]
    exact = {
        j: (Fraction(float(knots[j[2]])) - Fraction(float(C[j[:2]]))) / Fraction(float(A[j[:2]]))
        for j in idx
    }
    flo, fhi = (None if math.isinf(v) else Fraction(v) for v in (lo, hi))
    for j, q in exact.items():
        if flo is not None and q <= flo:
            t[j] = lo
        elif fhi is not None and q >= fhi:
            t[j] = hi
        else:
            t[j] = min(max(_to_float(q), np.nextafter(lo, np.inf)), np.nextafter(hi, -np.inf))
    r, prev = 0, None
    for j, q in sorted(exact.items(), key=lambda item: item[1]):
        r += q != prev
        rank[j], prev = r, q
    return t, rank


def _to_float(q: Fraction) -> float:
    try:
        return float(q)
    except OverflowError:
        return math.copysign(math.inf, q)


def _partition(
    net: Network, lo: float, hi: float, cols: IntArray, certify: bool = True
) -> tuple[
    FloatArray,
    FloatArray,
    FloatArray,
    NDArray[np.bool_],
    IntArray,
    tuple[NDArray[Any], ...],
    _Events | None,
]:
    """Edges, output slopes and intercepts, breakpoint flags, inactive counts and states.

    Breakpoints are kinks of the output columns ``cols``.  With ``certify``,
    raises :class:`_Undecided` when a float decision is not certain.
    """
    W0, b0 = net.layers[0]
    A = W0[:, 0][None, :].copy()
    C = b0[None, :].copy()
    edges = np.array([lo, hi])
    dense: list[NDArray[Any]] = []
    inactive = np.zeros(1, dtype=np.intp)
    acts = net.activations
    if not acts:  # an affine map: one region
        return edges, A, C, np.zeros(0, dtype=bool), inactive, (), None

    if certify and not _cached(net, "moderate_range", _moderate_range):
        raise _Undecided("weights too small or large for float error bounds")
    bounds = _cached(net, "layer_bounds", _layer_bounds) if certify else None
    edge_err = np.zeros(2)
    cause = np.full((2, 3), -1)  # what made each edge: (layer, neuron, knot)
    # hidden layers but the last: split, then map the affine pieces through the next layer
    for li, (act, (W, b)) in enumerate(zip(acts[:-1], net.layers[1:-1])):
        s_right, s_left, p, i, k, x, e, tie = _split(
            A, C, edges, edge_err, act.knots, None if bounds is None else bounds[li],
            _Pieces(net, li, dense, edges, cause),
        )  # fmt: skip
        if tie.any() and np.any((x[1:] == x[:-1]) & (p[1:] == p[:-1]) & (tie[1:] == tie[:-1])):
            raise _Undecided("simultaneous switches before the last hidden layer")
        edges, parent, child, at_edge = _insert(edges, x, p)
        new_err = np.empty(edges.size)
        new_err[at_edge], new_err[child] = edge_err, e
        edge_err = new_err
        new_cause = np.empty((edges.size, 3), dtype=np.intp)
        new_cause[at_edge], new_cause[child] = cause, np.stack([np.full_like(i, li), i, k], 1)
        cause = new_cause
        # states: each piece's states at its left end, flipped at each crossing after it
        step = np.zeros((parent.size, A.shape[1]), dtype=np.int8)
        step[child, i] = np.where(A[p, i] > 0, 1, -1)
        first = np.flatnonzero(np.r_[True, parent[1:] != parent[:-1]])
        step[first[1:]] -= (s_left - s_right)[:-1]
        s = s_right[parent] + np.cumsum(step, axis=0, dtype=np.int8)
        dense = [d[parent] for d in dense]
        inactive = inactive[parent]
        dense.append(s)
        inactive = inactive + _n_inactive(act, s)
        # the next layer's maps, slopes and intercepts in one matrix product
        slope = _lookup(act.slopes, s)
        post = np.empty((2, parent.size, A.shape[1]))
        np.take(A, parent, axis=0, out=post[0])
        np.take(C, parent, axis=0, out=post[1])
        post *= slope
        if act.offsets.any():
            post[1] += _lookup(act.offsets, s)
        out = post.reshape(-1, A.shape[1]) @ W.T
        A, C = out[: parent.size], out[parent.size :] + b

    # the last hidden layer: switch events, sorted, with running sums of their effects
    act = acts[-1]
    W_out, b_out = net.layers[-1]
    lo_e, hi_e = edges[:-1], edges[1:]
    if dense:
        s0, _, p, i, k, x, _, tie = _split(
            A, C, edges, edge_err, act.knots, None if bounds is None else bounds[-1],
            _Pieces(net, len(acts) - 1, dense, edges, cause),
        )  # fmt: skip
    else:
        # one hidden layer: every crossing is (k - b_i) / w_i of exact inputs, so the few
        # that float cannot place are placed exactly, without an exact rerun
        t = _crossings(A, C, act.knots)
        p, i, k, x, tie = _sorted_events(t, lo_e, hi_e)
        if bounds is not None and not _placed(t, x, lo_e[0], hi_e[-1]):
            t, rank = _place_exactly(A, C, t, act.knots, edges)
            p, i, k, x, tie = _sorted_events(t, lo_e, hi_e, rank)
        s0 = _small_int(_states(A, C, t, lo_e, act.knots))
    at = p * A.shape[1] + i
    a, c = np.take(A, at), np.take(C, at)
    up = a > 0
    old = np.where(up, k, k + 1)
    new = np.where(up, k + 1, k)
    dslope = act.slopes[new] - act.slopes[old]
    dA = (dslope * a)[:, None] * W_out.T[i]
    dC = (dslope * c + (act.offsets[new] - act.offsets[old]))[:, None] * W_out.T[i]
    first = (
        np.r_[True, (x[1:] != x[:-1]) | (tie[1:] != tie[:-1]) | (p[1:] != p[:-1])]
        if x.size
        else np.zeros(0, dtype=bool)
    )
    starts = np.flatnonzero(first)
    gp = p[starts]  # parent of each group of simultaneous switches
    sa0 = _lookup(act.slopes, s0)
    A0 = (sa0 * A) @ W_out.T
    C0 = (sa0 * C + _lookup(act.offsets, s0)) @ W_out.T + b_out
    n_groups, GA, A_out, C_out, inactive = _accumulate(
        act.active, s0, old, new, starts, gp, lo_e.size, (A0, dA), (C0, dC), inactive
    )

    new_edges, region_parent, group_region, _ = _insert(edges, x[starts], gp)
    event_region = group_region[np.cumsum(first) - 1]  # the region each switch begins
    events = _Events(
        s0=_small_int(s0), parent=region_parent, region=event_region, neuron=i, old=old, new=new
    )
    dense = [s[region_parent] for s in dense]

    # which boundaries are breakpoints: certified float tests, exact where undecided
    n_b = new_edges.size - 2
    group_b = event_region[starts] - 1  # boundary index of each group
    kink = np.zeros(n_b, dtype=bool)
    # a group of simultaneous switches: its summed effect against the error of the float sum
    size = np.diff(np.r_[starts, x.size])
    single = np.flatnonzero(size == 1)
    one = starts[single]
    # one switch: a kink exactly when a product of nonzeros reaches some output
    reaches = (W_out[cols] != 0).any(axis=0)
    kink[group_b[single]] = reaches[i[one]] & (dslope[one] != 0)
    multi = np.flatnonzero(size > 1)
    open_groups = multi
    if multi.size:
        absum = np.add.reduceat(np.abs(dA), starts, axis=0)[multi][:, cols]
        sure = np.abs(GA[multi][:, cols]) > _gamma(size[multi] + 3)[:, None] * absum
        kink[group_b[multi]] = sure.any(axis=1)
        open_groups = multi[~sure.any(axis=1) & (absum > 0).any(axis=1)]
    # boundaries inherited from earlier layers: differences of two running sums, first against
    # a bound for the whole network, then against the bound of the two regions
    is_group = np.zeros(n_b, dtype=bool)
    is_group[group_b] = True
    parent_b = np.flatnonzero(~is_group)
    dAp = np.abs(A_out[parent_b + 1][:, cols] - A_out[parent_b][:, cols])
    k_max = max(act.knots.size, 1)
    g = _gamma(_n_ops(net) + 2 * int(n_groups.max(initial=0)) + 4) * (2 + 2 * k_max)
    glob = g * _cached(net, "abs_chain_max", _abs_chain_max)[cols]
    sure_p = (dAp > 2.0 * glob).any(axis=1)
    open_p = parent_b[~sure_p]
    if open_p.size:
        local = g * _abs_chain(net, dense, np.r_[open_p, open_p + 1])[:, cols]
        sure_local = (dAp[~sure_p] > local[: open_p.size] + local[open_p.size :]).any(axis=1)
        sure_p[np.flatnonzero(~sure_p)[sure_local]] = True
        open_p = parent_b[~sure_p]
    kink[parent_b] = sure_p
    if open_p.size:
        # the difference of the two slopes, carried through the layers on its own
        decided, is_kink = _difference_test(net, cols, dense, events, open_p)
        kink[open_p[decided]] = is_kink[decided]
        open_p = open_p[~decided]
    if open_groups.size or open_p.size:
        _settle_exactly(net, cols, kink, dense, events, open_groups, starts, size, group_b, open_p)
    return new_edges, A_out, C_out, kink, inactive, tuple(dense), events


def _difference_test(
    net: Network, cols: IntArray, dense: list[NDArray[Any]], ev: _Events, bounds: IntArray
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Slope change across boundaries ``bounds`` computed as one propagated difference.

    With states :math:`S^L, S^R` on the two sides, the difference of the
    pre-activation slopes obeys :math:`D_{l+1} = W_{l+1}(S^R_l D_l + (S^R_l - S^L_l) A^L_l)`,
    so it is exactly zero when no path from a switched neuron reaches the
    output, and its float error is at most :math:`\\gamma_N` times the same
    recursion in absolute values.  Returns (decided, is_kink).
    """
    last = net.activations[-1]
    delta = np.zeros(ev.s0.shape, dtype=np.intp)
    np.add.at(delta, (ev.parent[ev.region], ev.neuron), ev.new - ev.old)
    s_end = ev.s0 + delta  # last-layer states at the right end of each parent
    left, right = bounds, bounds + 1
    states_l = [s[left] for s in dense] + [s_end[ev.parent[left]]]
    states_r = [s[right] for s in dense] + [ev.s0[ev.parent[right]]]
    A = np.broadcast_to(net.layers[0][0][:, 0], (bounds.size, net.widths[1])).copy()
    A_abs = np.abs(A)
    D = np.zeros_like(A)
    D_abs = np.zeros_like(A)
    for act, sl, sr, (W, _) in zip(net.activations, states_l, states_r, net.layers[1:]):
        SL, SR = act.slopes[sl], act.slopes[sr]
        dS = SR - SL
        D, D_abs = (SR * D + dS * A) @ W.T, (np.abs(SR) * D_abs + np.abs(dS) * A_abs) @ np.abs(W).T
        A, A_abs = (SL * A) @ W.T, (np.abs(SL) * A_abs) @ np.abs(W).T
    D, D_abs = np.abs(D[:, cols]), D_abs[:, cols]
    bound = _gamma(2 * _n_ops(net) + 4) * (1 + max(last.knots.size, 1)) * D_abs
    is_kink = (D > bound).any(axis=1)
    decided = is_kink | (D_abs == 0).all(axis=1)
    return decided, is_kink


def _abs_chain_max(net: Network) -> FloatArray:
    """:math:`|W_L| \\bar s_{L-1} \\cdots \\bar s_1 |w_1|` with every activation at its largest
    slope: a bound on :func:`_abs_chain` for all regions at once."""
    v = np.abs(net.layers[0][0][:, 0])
    for act, (W, _) in zip(net.activations, net.layers[1:]):
        v = np.abs(W) @ (act.max_abs_slope * v)
    return v  # type: ignore[no-any-return]


def _settle_exactly(
    net: Network,
    cols: IntArray,
    kink: NDArray[np.bool_],
    dense: list[NDArray[Any]],
    ev: _Events,
    groups: IntArray,
    starts: IntArray,
    size: IntArray,
    group_b: IntArray,
    parent_b: IntArray,
) -> None:
    """Decide the undecided boundaries in exact (scaled integer) arithmetic."""
    slopes = net.activations[-1].integer_slopes[0]
    W_out = net.integer_layers()[-1][0][cols]
    for grp in groups:
        region = int(ev.region[starts[grp]])
        a = _exact_chain(net, [s[region] for s in dense])
        sl = slice(int(starts[grp]), int(starts[grp] + size[grp]))
        n, old, new = ev.neuron[sl], ev.old[sl], ev.new[sl]
        total = W_out[:, n].dot((slopes[new] - slopes[old]) * a[n])
        kink[group_b[grp]] = any(v != 0 for v in total)
    for b in parent_b:
        left, right = int(b), int(b) + 1
        p_left, p_right = ev.parent[left], ev.parent[right]
        s_right = ev.s0[p_right].astype(np.intp)
        s_left = ev.s0[p_left].astype(np.intp).copy()
        mine = ev.parent[ev.region] == p_left
        np.add.at(s_left, ev.neuron[mine], (ev.new - ev.old)[mine])
        sides = [
            W_out.dot(slopes[st] * _exact_chain(net, [s[q] for s in dense]))
            for q, st in ((left, s_left), (right, s_right))
        ]
        kink[b] = any(u != v for u, v in zip(*sides))


def _prepare(
    net: Any, interval: Any, output: Any, exact: bool
) -> tuple[Network, Any, Any, IntArray]:
    network = as_network(net)
    if network.n_inputs != 1:
        raise ValueError(
            f"net must have a scalar input, but its first layer has {network.n_inputs} input "
            "columns; analyse it along a line with pwlinear.restrict first"
        )
    lo: Any
    hi: Any
    lo, hi = check_interval(interval)
    if exact and interval is not None:  # keep exact endpoints exact
        lo, hi = (
            v if math.isinf(v) else to_fraction(e, "interval") for v, e in zip((lo, hi), interval)
        )
    out = check_output(output, network.n_outputs)
    return network, lo, hi, np.arange(network.n_outputs) if out is None else np.array([out])


def regions(
    net: Any, interval: Any = None, *, output: int | None = None, exact: bool = False
) -> Regions:
    """Activation regions of ``net`` on the whole line or an interval.

    On region ``r`` the network is :math:`s_r x + c_r` for :math:`l_r \\le x \\le r_r`
    and every hidden neuron stays on one piece of its activation.

    Parameters
    ----------
    net : Network or sequence of (W, b)
        A network with one input column.
    interval : (lo, hi), optional
        Analyse ``[lo, hi]`` only; default the whole real line.
    output : int, optional
        Report the slope of this output only and count only its kinks as
        breakpoints; default all outputs.
    exact : bool, default False
        Return exact :class:`~fractions.Fraction` region ends, slopes and
        intercepts (object arrays; the ends of the whole line stay
        ``-inf``/``inf``).  Float weights are taken at their exact value.

    Returns
    -------
    Regions

    Notes
    -----
    The float result is *certified*: every sign test and every comparison of
    crossing points is checked against a rigorous error bound, and what float
    cannot decide is settled in exact arithmetic on the pieces concerned.
    So the number of regions and breakpoints, their order and every
    activation pattern always equal those of ``exact=True``.  Each float
    boundary is within its certified error bound of the exact one (a few ulps
    unless weights cancel heavily; correctly rounded where its order was settled
    exactly).  Two consequences of keeping the exact structure in float64:
    boundaries closer together than float resolution round to the
    same float (a region of zero width), and a slope change smaller than the
    slopes' rounding can leave equal float slopes on both sides of a
    breakpoint; ``exact=True`` shows both exactly.

    Examples
    --------
    >>> import pwlinear as pl
    >>> r = pl.regions(pl.shifted_relus([1.0, 1.0], [0.0, 1.0]), (-5, 5))
    >>> r.left, r.slope
    (array([-5.,  0.,  1.]), array([0., 1., 2.]))
    >>> pl.regions(pl.shifted_relus([1.0], [0.1]), exact=True).right
    array([Fraction(3602879701896397, 36028797018963968), inf], dtype=object)
    """
    network, lo, hi, cols = _prepare(net, interval, output, exact)
    if not exact:
        try:
            edges, A, C, kink, inactive, dense, events = _partition(network, lo, hi, cols)
        except _Undecided:
            exact_fallback = True
        else:
            exact_fallback = False
    if exact or exact_fallback:
        from pwlinear._exact_partition import exact_partition, to_float

        ep = exact_partition(network, lo, hi, cols)
        edges, A, C = ep.edges, ep.slope, ep.intercept  # type: ignore[assignment]
        kink, inactive = ep.kink, ep.inactive
        dense, events = ep.states, ep.events
        if not exact:
            edges, A, C = (
                np.array([to_float(v) for v in a.reshape(-1)]).reshape(a.shape)
                for a in (edges, A, C)
            )
    A, C = np.ascontiguousarray(A[:, cols]), np.ascontiguousarray(C[:, cols])
    if A.shape[1] == 1:
        A, C = A[:, 0].copy(), C[:, 0].copy()
    return Regions(
        edges[:-1].copy(),
        edges[1:].copy(),
        A,
        C,
        kink,
        inactive,
        network.activations,
        tuple(dense),
        events,
    )


def breakpoints(
    net: Any, interval: Any = None, *, output: int | None = None, exact: bool = False
) -> FloatArray:
    """Sorted points where the slope of ``net`` changes, on the whole line or inside an interval.

    Parameters
    ----------
    net : Network or sequence of (W, b)
    interval : (lo, hi), optional
        Report the kinks in the open interval ``(lo, hi)``; default the whole line.
    output : int, optional
        Only kinks of this output; default a kink of any output.
    exact : bool, default False
        Exact :class:`~fractions.Fraction` breakpoints (an object array).

    Examples
    --------
    >>> import pwlinear as pl
    >>> net = pl.shifted_relus([1.0, 2.0, -3.0], [-1e6, 0.5, 3e7])
    >>> pl.breakpoints(net)
    array([-1.e+06,  5.e-01,  3.e+07])
    >>> pl.breakpoints(net, (-100, 100))
    array([0.5])
    """
    return regions(net, interval, output=output, exact=exact).breakpoints


def to_piecewise(
    net: Any, interval: Any = None, *, output: int | None = None, exact: bool = False
) -> Any:
    """``net`` as a :class:`~pwlinear.PiecewiseLinear` with knots at its breakpoints.

    With an interval, the knots are the breakpoints inside it and the end
    pieces extend linearly beyond it.  With ``exact=True`` every knot, slope
    and intercept is a :class:`~fractions.Fraction`.

    Examples
    --------
    >>> import pwlinear as pl
    >>> f = pl.to_piecewise(pl.shifted_relus([1.0, 1.0], [0.0, 1.0]))
    >>> f.knots, f.slopes, f.intercepts
    (array([0., 1.]), array([0., 1., 2.]), array([ 0.,  0., -1.]))
    """
    from pwlinear.piecewise import PiecewiseLinear

    network = as_network(net)
    if output is None and network.n_outputs != 1:
        raise ValueError(
            f"net has {network.n_outputs} outputs; choose one with output=k for to_piecewise"
        )
    r = regions(network, interval, output=output, exact=exact)
    keep = np.r_[0, np.flatnonzero(r.is_breakpoint) + 1]  # the first region of each slope
    knots = r.breakpoints
    # kinks closer than float64 resolution round to one float: a float function has one
    # knot there, so drop the pieces of zero width between them
    dup = np.zeros(knots.size, dtype=bool)
    dup[1:] = knots[1:] == knots[:-1]
    keep = keep[np.r_[True, ~dup[1:], True]] if knots.size else keep
    return PiecewiseLinear(knots[~dup], r.slope[keep], r.intercept[keep])
