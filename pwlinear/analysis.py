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
in exact rational arithmetic when the bound cannot decide it.  The float
partition runs as one compiled sweep (:mod:`pwlinear._sweep`); the numpy
implementation here takes over on the networks whose undecided pieces need
exact settling, with the same arithmetic and the same results.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pwlinear._bounds import (
    _CONTINUITY_WIDTH,
    _EVERY,
    _REFINE,
    _U,
    _abs_chain,
    _abs_chain_max,
    _cached,
    _chain_gamma,
    _continuity_factors,
    _difference_step,
    _gamma,
    _layer_bounds,
    _moderate_range,
    _n_ops,
    _running_factors,
    _running_scale,
)
from pwlinear._events import (
    _accumulate,
    _continuity_sums,
    _crossings,
    _Events,
    _place_exactly,
    _placed,
    _segmented_cumsum,
    _small_int,
    _sorted_events,
    _states,
)
from pwlinear._exact import to_float, to_fraction
from pwlinear._split import (
    _Before,
    _compensated_product,
    _compensates,
    _extra_ec,
    _insert,
    _Pieces,
    _product,
    _running_errors,
    _split,
    _sum_error,
    _two_sum,
    _Undecided,
)
from pwlinear._validation import check_interval, check_output
from pwlinear.activations import Activation
from pwlinear.network import Network, as_network

__all__ = ["Regions", "regions", "breakpoints", "to_piecewise"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def _lookup(table: NDArray[Any], s: NDArray[Any]) -> NDArray[Any]:
    """``table[s]`` for an activation's small per-piece table, one comparison per nonzero
    entry (exact: one term of each sum is nonzero; faster than fancy indexing by int8)."""
    nonzero = np.flatnonzero(table)
    if nonzero.size == 0:
        return np.zeros(s.shape, dtype=table.dtype)
    out = (s == nonzero[0]).astype(table.dtype)
    if table[nonzero[0]] != 1:
        out *= table[nonzero[0]]
    for j in nonzero[1:]:
        out += (s == j) * table[j]
    return out


def _next_maps(
    act: Activation,
    s: NDArray[Any],
    A: FloatArray,
    C: FloatArray,
    WT: FloatArray,
    b: FloatArray,
    every: int = 1,
) -> tuple[FloatArray, FloatArray]:
    """The next layer's maps :math:`W (S A)` and :math:`W (S C + O) + b` on each piece, for
    the activation states ``s``: slopes and intercepts in one matrix product with ``WT``,
    :math:`W^T` stored C-contiguous as the sweep's (OpenBLAS's kernels for a transposed
    operand can round differently: seen on AVX-512, where ``A @ W.T`` is not
    ``A @ ascontiguousarray(W.T)`` to the last bit).  Intercepts of every ``every``-th
    piece only (the rest come from continuity: :func:`pwlinear._events._continuity_sums`),
    the sweep's product, row for row."""
    P = A.shape[0]
    out = _product(_post_activations(act, s, A, C, every), WT)
    return out[:P], out[P:] + b


def _post_activations(
    act: Activation, s: NDArray[Any], A: FloatArray, C: FloatArray, every: int = 1
) -> FloatArray:
    """:func:`_next_maps`' factor: the slopes :math:`S A` on each piece, then the
    intercepts :math:`S C + O` on every ``every``-th."""
    slope = _lookup(act.slopes, s)
    P = A.shape[0]
    post = np.empty((P + (P + every - 1) // every, A.shape[1]))
    np.multiply(A, slope, out=post[:P])
    np.multiply(C[::every], slope[::every], out=post[P:])
    if act.offsets.any():
        post[P:] += _lookup(act.offsets, s[::every])
    return post


def _compensated_maps(
    act: Activation, s: NDArray[Any], A: FloatArray, C: FloatArray, WT: FloatArray, b: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """:func:`_next_maps` on the first hidden layer's one piece, with the rounding errors
    of its product and bias (:func:`pwlinear._split._compensated_product`,
    :func:`pwlinear._split._sum_error`): slopes, intercepts and their errors."""
    out, lo = _compensated_product(_post_activations(act, s, A, C), WT)
    FC = out[1:] + b
    return out[:1], FC, lo[:1], lo[1:] + _sum_error(out[1:], b, FC)


def _weights_t(net: Network) -> list[FloatArray]:
    """Every layer's :math:`W^T`, C-contiguous (for :func:`_next_maps`); once per network."""
    out: list[FloatArray] = _cached(
        net, "weights_t", lambda n: [np.ascontiguousarray(W.T) for W, _ in n.layers]
    )
    return out


def _n_inactive(act: Activation, s: NDArray[Any]) -> IntArray:
    """Per row of states ``s``, how many neurons sit on an inactive piece."""
    off = np.flatnonzero(~act.active)
    return sum((np.count_nonzero(s == j, axis=1) for j in off), np.zeros(s.shape[0], np.intp))


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
    _dense_states: tuple[NDArray[Any], ...] | Callable[[], tuple[NDArray[Any], ...]] = field(
        repr=False
    )  # the states of every hidden layer but the last, or a function that computes them
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
            v.setflags(write=False)

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
        dense = self._dense_states
        out = list(dense() if callable(dense) else dense)
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


def _exact_chain(net: Network, rows: list[NDArray[Any]]) -> NDArray[np.object_]:
    """Exact slopes of the last hidden layer's pre-activations (as scaled integers; the
    scale is the same for every region), given the earlier layers' states."""
    layers = net.integer_layers()
    v = layers[0][0][:, 0]
    for act, s, (W, _, _, _) in zip(net.activations, rows, layers[1:]):
        v = W.dot(act.integer_slopes[0][s.astype(np.intp)] * v)
    return v


def _partition(
    net: Network,
    lo: float,
    hi: float,
    cols: IntArray,
    certify: bool = True,
    continuity: bool = False,
) -> tuple[
    FloatArray,
    FloatArray,
    FloatArray,
    NDArray[np.bool_],
    IntArray,
    tuple[NDArray[Any], ...],
    _Events | None,
    FloatArray,
]:
    """Edges, output slopes and intercepts, breakpoint flags, inactive counts, states, and
    a bound on each edge's rounding error.

    Breakpoints are kinks of the output columns ``cols``.  With ``certify``,
    raises :class:`_Undecided` when a float decision is not certain.  With
    ``continuity``, the intercepts before wide layers as the sweep's first try takes
    them (:func:`pwlinear._events._continuity_sums`; see :mod:`pwlinear._sweep`).
    """
    W0, b0 = net.layers[0]
    A = W0[:, 0][None, :].copy()
    C = b0[None, :].copy()
    edges = np.array([lo, hi])
    dense: list[NDArray[Any]] = []
    inactive = np.zeros(1, dtype=np.intp)
    acts = net.activations
    if not acts:  # an affine map: one region
        return edges, A, C, np.zeros(0, dtype=bool), inactive, (), None, np.zeros(2)

    if certify and not _cached(net, "moderate_range", _moderate_range):
        raise _Undecided("weights too small or large for float error bounds")
    bounds = _cached(net, "layer_bounds", _layer_bounds) if certify else None
    edge_err = np.zeros(2)
    cause = np.full((2, 3), -1)  # what made each edge: (layer, neuron, knot)
    # hidden layers but the last: split, then map the affine pieces through the next layer
    sums = 0  # rounded operations of the running sums so far (see _bounds._running_scale)
    firsts: list[NDArray[Any]] = []  # per layer so far, the states of each first sibling
    before = None  # the layer before, to recompute crossing maps from (_split._Before)
    extra = None  # intercept bounds beyond the network-wide ones (_continuity_factors)
    for li, (act, (W, b)) in enumerate(zip(acts[:-1], net.layers[1:-1])):
        scale = _running_scale(net, sums, li)
        s_right, s_left, p, i, k, x, e, tie, a, c = _split(
            A, C, edges, edge_err, act.knots, _with_extra(_scaled(bounds, li, scale), extra),
            _Pieces(net, li, dense, edges, cause, firsts, scale, extra), before,
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
        step[child, i] = np.where(a > 0, 1, -1)
        first = np.flatnonzero(np.concatenate(([True], parent[1:] != parent[:-1])))
        step[first[1:]] -= (s_left - s_right)[:-1]
        s = s_right[parent] + np.cumsum(step, axis=0, dtype=np.int8)
        dense = [d[parent] for d in dense]
        firsts = [f[parent] for f in firsts] + [s_right[parent]]
        inactive = inactive[parent]
        dense.append(s)
        inactive = inactive + _n_inactive(act, s)
        # the next layer's maps: a product on each piece's first child, then a rank-one
        # update across each crossing (only the flipping neuron changes), summed in order
        every = _EVERY if continuity and W.shape[0] >= _CONTINUITY_WIDTH else 1
        # under relu's table the second hidden layer's maps nearly correctly rounded, from
        # the exact first layer; else its crossings' maps are recomputed (_Before)
        compensated = li == 0 and _compensates(act.slopes, act.offsets)
        if compensated:  # one piece, so one parent: no continuity
            FA, FC, lo_a, lo_c = _compensated_maps(act, s[first], A, C, _weights_t(net)[1], b)
        else:
            FA, FC = _next_maps(act, s[first], A, C, _weights_t(net)[li + 1], b, every)
        old, new, _, dA, dC = _switch_effects(act, a, c, i, k, W)
        n_steps = np.bincount(p, minlength=first.size)
        sums += int(n_steps.max(initial=0)) + 2
        A_next = _segmented_cumsum(FA, dA, p, n_steps)
        C_next = (
            _segmented_cumsum(FC, dC, p, n_steps)
            if every == 1
            else _continuity_sums(FC, dC, p, parent, A_next, edges, every)
        )
        before = None
        if li == 0:
            errors = None
            if compensated:  # nearly correctly rounded, as the sweep's _compensated_sums
                (_, da, dc), w = _switch_factors(act, a, c, old, new), W.T[i]
                lo_a = _running_errors(A_next, lo_a, da, w, dA)
                lo_c = _running_errors(C_next, lo_c, dc, w, dC)
                A_next = A_next + lo_a
                C_next, lo_c = _two_sum(C_next, lo_c)
                errors = (A_next, C_next, lo_c)
            before = _Before(act.slopes, act.offsets, A, C, parent, s, W, b, errors)
        C = C_next
        if bounds is not None and (every > 1 or extra is not None):
            f = float(_cached(net, "running_factors", _running_factors)[li + 1])
            ua, uc = bounds[li + 1][0], bounds[li + 1][1]
            mu, nu = (np.zeros(first.size), np.zeros(first.size)) if extra is None else extra[:2]
            inv_ua = np.divide(1.0, ua, out=np.zeros_like(ua), where=ua > 0)
            jump = np.zeros(first.size)  # the slope change across each first child's left end
            cont = np.flatnonzero(np.arange(first.size) % every)
            r = first[cont]
            jump[cont] = (np.abs(A_next[r] - A_next[r - 1]) * inv_ua).max(axis=1, initial=0.0)
            mu, nu = _continuity_factors(
                every, mu, nu, f, _running_scale(net, sums, li + 1),
                (1.0 + 1e-12) / _chain_gamma(net), np.abs(edges[first]), edge_err[first], jump,
            )  # fmt: skip
            extra = (mu[parent], nu[parent], ua, uc)
        A = A_next

    # the last hidden layer: switch events, sorted, with running sums of their effects
    act = acts[-1]
    W_out, b_out = net.layers[-1]
    lo_e, hi_e = edges[:-1], edges[1:]
    if dense:
        scale = _running_scale(net, sums, len(acts) - 1)
        s0, _, p, i, k, x, e, tie, a, c = _split(
            A, C, edges, edge_err, act.knots, _with_extra(_scaled(bounds, -1, scale), extra),
            _Pieces(net, len(acts) - 1, dense, edges, cause, firsts, scale, extra), before,
        )  # fmt: skip
    else:
        # one hidden layer: every crossing is (k - b_i) / w_i of exact inputs, so the few
        # that float cannot place are placed exactly, without an exact rerun
        t = _crossings(A, C, act.knots)
        p, i, k, x, tie = _sorted_events(t, lo_e, hi_e)
        if bounds is not None and not _placed(t, x, lo_e[0], hi_e[-1]):
            t, rank = _place_exactly(A, C, t, act.knots, edges)
            p, i, k, x, tie = _sorted_events(t, lo_e, hi_e, rank)
        e = 2.02 * _U * np.abs(x)  # (k - b) / w of exact inputs, rounded twice
        s0 = _small_int(_states(A, C, t, lo_e, act.knots))
        a, c = A[p, i], C[p, i]
    old, new, dslope, dA, dC = _switch_effects(act, a, c, i, k, W_out)
    first = (
        np.concatenate(([True], (x[1:] != x[:-1]) | (tie[1:] != tie[:-1]) | (p[1:] != p[:-1])))
        if x.size
        else np.zeros(0, dtype=bool)
    )
    starts = np.flatnonzero(first)
    gp = p[starts]  # parent of each group of simultaneous switches
    A0, C0 = _next_maps(act, s0, A, C, _weights_t(net)[-1], b_out)
    n_groups, GA, A_out, C_out, inactive = _accumulate(
        act.active, s0, old, new, starts, gp, lo_e.size, (A0, dA), (C0, dC), inactive
    )

    new_edges, region_parent, group_region, at_edge = _insert(edges, x[starts], gp)
    new_err = np.empty(new_edges.size)
    new_err[at_edge] = edge_err
    new_err[group_region] = np.maximum.reduceat(e, starts) if starts.size else e
    event_region = group_region[np.cumsum(first) - 1]  # the region each switch begins
    events = _Events(
        s0=_small_int(s0), parent=region_parent, region=event_region, neuron=i, old=old, new=new
    )
    dense = [s[region_parent] for s in dense]
    firsts = [f[region_parent] for f in firsts]

    # which boundaries are breakpoints: certified float tests, exact where undecided
    n_b = new_edges.size - 2
    group_b = event_region[starts] - 1  # boundary index of each group
    kink = np.zeros(n_b, dtype=bool)
    # a group of simultaneous switches: its summed effect against the error of the float sum
    size = np.diff(np.append(starts, x.size))
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
    g = _gamma(_n_ops(net) + sums + 2 * int(n_groups.max(initial=0)) + 4) * (2 + 2 * k_max)
    glob = g * _cached(net, "abs_chain_max", _abs_chain_max)[cols]
    sure_p = (dAp > 2.0 * glob).any(axis=1)
    open_p = parent_b[~sure_p]
    if open_p.size:
        local = g * _abs_chain(net, dense, firsts, np.r_[open_p, open_p + 1])[:, cols]
        sure_local = (dAp[~sure_p] > local[: open_p.size] + local[open_p.size :]).any(axis=1)
        sure_p[np.flatnonzero(~sure_p)[sure_local]] = True
        open_p = parent_b[~sure_p]
    kink[parent_b] = sure_p
    _settle_kinks(net, cols, kink, dense, events, open_p, (open_groups, starts, size, group_b))
    return new_edges, A_out, C_out, kink, inactive, tuple(dense), events, new_err


def _switch_effects(
    act: Activation, a: FloatArray, c: FloatArray, i: IntArray, k: IntArray, W: FloatArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray]:
    """For switches of neurons ``i`` (slopes ``a``, intercepts ``c`` on their pieces) across
    knots ``k``: the old and new states, the slope change and the effect on the next
    layer's slopes and intercepts, :math:`W_{:,i}\\,\\Delta s\\, a_i` and
    :math:`W_{:,i}(\\Delta s\\, c_i + \\Delta o)`, one row per switch."""
    up = a > 0
    old, new = np.where(up, k, k + 1), np.where(up, k + 1, k)
    dslope, da, dc = _switch_factors(act, a, c, old, new)
    w = W.T[i]
    return old, new, dslope, da[:, None] * w, dc[:, None] * w


def _switch_factors(
    act: Activation, a: FloatArray, c: FloatArray, old: IntArray, new: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """:func:`_switch_effects`' slope changes :math:`\\Delta s` and factors of
    :math:`W_{:,i}`, :math:`\\Delta s\\, a_i` and :math:`\\Delta s\\, c_i + \\Delta o`."""
    dslope = act.slopes[new] - act.slopes[old]
    return dslope, dslope * a, dslope * c + (act.offsets[new] - act.offsets[old])


def _scaled(bounds: Any, layer: int, scale: float) -> Any:
    """The bounds of hidden layer ``layer`` (None without bounds) times ``scale``."""
    if bounds is None or scale == 1.0:
        return None if bounds is None else bounds[layer]
    ea, ec, top = bounds[layer]
    return scale * ea, scale * ec, tuple(scale * v for v in top)


def _with_extra(bounds: Any, extra: Any) -> Any:
    """``bounds`` of :func:`_scaled` with the intercept bounds ``extra`` of
    :func:`pwlinear._split._extra_ec` added, per piece (and to the largest intercept
    error and intercept)."""
    if bounds is None or extra is None:
        return bounds
    ea, ec, (a_max, ea_max, ec_max, c_max) = bounds
    mu, nu, ua, uc = extra
    top = 1.01 * (float(mu.max()) * float(ua.max()) + float(nu.max()) * float(uc.max()))
    return ea, ec + _extra_ec(extra), (a_max, ea_max, ec_max + top, c_max + top)


def _refine(net: Network, r: Regions, err: FloatArray | None) -> Regions:
    """``r`` with every boundary whose certified error bound ``err`` exceeds
    :data:`_REFINE` of its size recomputed exactly and correctly rounded (``err`` is
    None where the sweep found none).

    The exact boundaries are those of
    :func:`pwlinear._exact_partition.exact_boundaries`.
    """
    if err is None:
        return r
    todo = np.flatnonzero(err[1:-1] > _REFINE * np.abs(r.boundaries))
    if todo.size == 0:
        return r
    from pwlinear._exact_partition import exact_boundaries

    edges = np.append(r.left, r.right[-1])
    edges[todo + 1] = [to_float(x) for x in exact_boundaries(net, r.states, todo)]
    return replace(r, left=edges[:-1], right=edges[1:])


def _float_partition(net: Network, lo: float, hi: float, cols: IntArray) -> tuple[Any, ...]:
    """The certified float partition: the compiled sweep where its a priori bounds decide
    everything, else :func:`_partition`, which settles undecided pieces exactly."""
    if net.activations and _cached(net, "moderate_range", _moderate_range):
        sweep = _compiled_sweep()
        if sweep is not None:
            partition_sweep, undecided = sweep
            try:
                return partition_sweep(net, lo, hi, cols)
            except undecided:
                pass
    return _partition(net, lo, hi, cols)


_SWEEP: list[Any] = []


def _compiled_sweep() -> Any:
    """:func:`pwlinear._sweep.partition_sweep` and its exception, or None without numba
    (the numpy path gives the same results); imported once, on first use."""
    if not _SWEEP:
        try:
            from pwlinear._sweep import SweepUndecided, partition_sweep
        except ImportError:
            _SWEEP.append(None)
        else:
            _SWEEP.append((partition_sweep, SweepUndecided))
    return _SWEEP[0]


def _settle_kinks(
    net: Network,
    cols: IntArray,
    kink: NDArray[np.bool_],
    dense: list[NDArray[Any]],
    ev: _Events,
    open_b: IntArray,
    groups: tuple[IntArray, IntArray, IntArray, IntArray] | None = None,
) -> None:
    """Decide the boundaries ``open_b`` of earlier layers, and the groups of simultaneous
    switches ``groups`` = (groups, starts, sizes, boundaries) of :func:`_settle_exactly`,
    that the float bounds left open: the difference of the two slopes carried through the
    layers on its own, then exact arithmetic."""
    if open_b.size:
        decided, is_kink = _difference_test(net, cols, dense, ev, open_b)
        kink[open_b[decided]] = is_kink[decided]
        open_b = open_b[~decided]
    if (groups is not None and groups[0].size) or open_b.size:
        _settle_exactly(net, cols, kink, dense, ev, groups, open_b)


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
    left, right = bounds, bounds + 1
    # last-layer states on each left region, the last of its parent (the parents differ
    # across these boundaries, so they are distinct and increasing): the states at the
    # parent's left end plus the switches inside it
    parents = ev.parent[left]
    switch_parent = ev.parent[ev.region]
    inside = np.flatnonzero(np.isin(switch_parent, parents))
    s_end = ev.s0[parents].astype(np.intp)
    at = (np.searchsorted(parents, switch_parent[inside]), ev.neuron[inside])
    np.add.at(s_end, at, (ev.new[inside] - ev.old[inside]).astype(np.intp))
    states_l = [s[left] for s in dense] + [s_end]
    states_r = [s[right] for s in dense] + [ev.s0[ev.parent[right]]]
    m = bounds.size
    A = np.broadcast_to(net.layers[0][0][:, 0], (m, net.widths[1])).copy()
    A_abs = np.abs(A)
    D = np.zeros_like(A)
    D_abs = np.zeros_like(A)
    weights = _cached(net, "weights_t_abs", lambda n: [(w, np.abs(w)) for w in _weights_t(n)])
    for act, sl, sr, (WT, WT_abs) in zip(net.activations, states_l, states_r, weights[1:]):
        SL, SR = act.slopes[sl], act.slopes[sr]
        D, A, D_abs, A_abs = _difference_step(D, A, D_abs, A_abs, SL, SR, WT, WT_abs)
    D, D_abs = np.abs(D[:, cols]), D_abs[:, cols]
    bound = _gamma(2 * _n_ops(net) + 4) * (1 + max(last.knots.size, 1)) * D_abs
    is_kink = (D > bound).any(axis=1)
    decided = is_kink | (D_abs == 0).all(axis=1)
    return decided, is_kink


def _settle_exactly(
    net: Network,
    cols: IntArray,
    kink: NDArray[np.bool_],
    dense: list[NDArray[Any]],
    ev: _Events,
    groups: tuple[IntArray, IntArray, IntArray, IntArray] | None,
    parent_b: IntArray,
) -> None:
    """Decide the undecided boundaries in exact (scaled integer) arithmetic: the groups
    of simultaneous switches ``groups`` = (the open groups, and every group's first
    switch, size and boundary), if any, and the boundaries of earlier layers
    ``parent_b``."""
    slopes = net.activations[-1].integer_slopes[0]
    W_out = net.integer_layers()[-1][0][cols]
    open_groups, starts, size, group_b = groups if groups is not None else ((), (), (), ())
    for grp in open_groups:
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
    cols = _cached(network, "all_outputs", _all_outputs)
    return network, lo, hi, cols if out is None else np.array([out])


def _all_outputs(net: Network) -> IntArray:
    """Every output column's index (kept writeable: numba compiles read-only arrays
    apart)."""
    return np.arange(net.n_outputs)


def regions(
    net: Any,
    interval: Any = None,
    *,
    output: int | None = None,
    exact: bool = False,
    refine: bool = False,
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
        The structure is the certified float one where that decides
        everything (it is then exact), else the exact partition's.
    refine : bool, default False
        Return the floats of the exact result: every region end, slope and
        intercept correctly rounded, at the cost of ``exact=True``.

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
    boundary is within its certified error bound of the exact one (with one or
    two hidden layers within a few ulps, from compensated sums of the exact
    first layer; deeper, a few ulps unless weights cancel heavily; correctly
    rounded where its order was settled exactly), and a boundary whose bound
    exceeds :math:`2^{-8}` of its size is recomputed exactly and correctly
    rounded; ``refine=True`` rounds every boundary correctly.  Two consequences
    of keeping the exact structure in float64: boundaries closer together than
    float resolution round to the same float (a region of zero width), and a
    slope change smaller than the slopes' rounding can leave equal float slopes
    on both sides of a breakpoint; ``exact=True`` shows both exactly.

    Examples
    --------
    >>> import pwlinear as pl
    >>> r = pl.regions(pl.shifted_relus([1.0, 1.0], [0.0, 1.0]), (-5, 5))
    >>> r.left, r.slope
    (array([-5.,  0.,  1.]), array([0., 1., 2.]))
    >>> pl.regions(pl.shifted_relus([1.0], [0.1]), exact=True).right
    array([Fraction(3602879701896397, 36028797018963968), inf], dtype=object)
    """
    if exact and refine:
        raise ValueError("choose exact=True (Fractions) or refine=True (their floats)")
    network, lo, hi, cols = _prepare(net, interval, output, exact or refine)
    if exact or refine:
        r = _exact_result(network, lo, hi, cols)
        return _rounded(r) if refine else r
    try:
        edges, A, C, kink, inactive, dense, events, err = _float_partition(network, lo, hi, cols)
    except _Undecided:
        return _rounded(_exact_regions(network, lo, hi, cols))
    r = _regions(network, edges, A, C, kink, inactive, dense, events, cols)
    return _refine(network, r, err)


def _exact_result(network: Network, lo: Any, hi: Any, cols: IntArray) -> Regions:
    """The exact regions: the certified float structure with exact values where the float
    partition decides everything, else the exact partition's."""
    if _floats_are_exact(network, lo, hi):
        try:
            edges, A, C, kink, inactive, dense, events, _ = _float_partition(
                network, float(lo), float(hi), cols
            )
        except _Undecided:
            pass
        else:
            r = _regions(network, edges, A, C, kink, inactive, dense, events, cols)
            return _exact_values(network, r, lo, hi, cols)
    return _exact_regions(network, lo, hi, cols)


def _rounded(r: Regions) -> Regions:
    """``r`` (exact) with its region ends, slopes and intercepts correctly rounded."""

    def floats(a: NDArray[Any]) -> FloatArray:
        return np.array([to_float(v) for v in a.reshape(-1)]).reshape(a.shape)

    return replace(
        r, left=floats(r.left), right=floats(r.right), slope=floats(r.slope),
        intercept=floats(r.intercept),
    )  # fmt: skip


def _regions(
    network: Network,
    edges: NDArray[Any],
    A: NDArray[Any],
    C: NDArray[Any],
    kink: NDArray[np.bool_],
    inactive: IntArray,
    dense: tuple[NDArray[Any], ...] | Callable[[], tuple[NDArray[Any], ...]],
    events: _Events | None,
    cols: IntArray,
) -> Regions:
    """A :class:`Regions` of a partition's parts (fresh arrays, which it keeps as they are:
    the region ends are views of ``edges``), with the slopes of the outputs ``cols`` (every
    output, or one)."""
    if cols.size != A.shape[1]:
        A, C = A[:, cols], C[:, cols]
    if A.shape[1] == 1:
        A, C = A[:, 0], C[:, 0]
    return Regions(
        edges[:-1],
        edges[1:],
        np.ascontiguousarray(A),
        np.ascontiguousarray(C),
        kink,
        inactive,
        network.activations,
        dense,
        events,
    )


def _floats_are_exact(net: Network, lo: Any, hi: Any) -> bool:
    """Whether the network's exact weights, its activations' exact knots, slopes and
    offsets, and the interval's ends are all floats, so that the float partition
    partitions the exact problem."""
    ends = all(math.isinf(v) or Fraction(to_float(v)) == v for v in (lo, hi))
    return ends and _cached(net, "floats_are_exact", _weights_are_floats)


def _weights_are_floats(net: Network) -> bool:
    """Whether every exact weight and activation parameter equals its float64."""
    exact_layers = net.exact_layers if net.is_exact else ()
    pairs = [
        (We, Wf)
        for (We, be), (Wf, bf) in zip(exact_layers, net.layers)
        for We, Wf in ((We, Wf), (be, bf))
    ]
    pairs += [
        (np.asarray(e, dtype=object), f)
        for act in net.activations
        for e, f in zip(act.exact, (act.knots, act.slopes, act.offsets))
    ]
    return all(bool(np.all(e == f.astype(object))) for e, f in pairs)


def _exact_values(net: Network, r: Regions, lo: Any, hi: Any, cols: IntArray) -> Regions:
    """``r`` (whose structure is certified exact) with exact Fraction region ends, slopes
    and intercepts, and its breakpoints read off the exact slopes."""
    from pwlinear._exact_partition import exact_from_states

    states = r.states
    edges, A, C, kink = exact_from_states(net, states, len(r), lo, hi, cols)
    dense = states[:-1] if r._events is not None else states  # built once, kept
    return _regions(net, edges, A, C, kink, r.n_inactive, dense, r._events, cols)


def _exact_regions(network: Network, lo: Any, hi: Any, cols: IntArray) -> Regions:
    """The regions from the exact partition (:mod:`pwlinear._exact_partition`), which
    decides every comparison exactly where float cannot.  The float path falls back to it
    (rounded) where its bounds cannot decide, and the tests use it as the independent
    oracle of ``exact=True``."""
    from pwlinear._exact_partition import exact_partition

    ep = exact_partition(network, lo, hi, cols)
    return _regions(
        network, ep.edges, ep.slope, ep.intercept, ep.kink, ep.inactive, ep.states,
        ep.events, cols,
    )  # fmt: skip


def breakpoints(
    net: Any,
    interval: Any = None,
    *,
    output: int | None = None,
    exact: bool = False,
    refine: bool = False,
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
    refine : bool, default False
        Every breakpoint the correctly rounded float of the exact one (at the
        cost of ``exact=True``); by default within its certified error bound.

    Examples
    --------
    >>> import pwlinear as pl
    >>> net = pl.shifted_relus([1.0, 2.0, -3.0], [-1e6, 0.5, 3e7])
    >>> pl.breakpoints(net)
    array([-1.e+06,  5.e-01,  3.e+07])
    >>> pl.breakpoints(net, (-100, 100))
    array([0.5])
    """
    return regions(net, interval, output=output, exact=exact, refine=refine).breakpoints


def to_piecewise(
    net: Any,
    interval: Any = None,
    *,
    output: int | None = None,
    exact: bool = False,
    refine: bool = False,
) -> Any:
    """``net`` as a :class:`~pwlinear.PiecewiseLinear` with knots at its breakpoints.

    With an interval, the knots are the breakpoints inside it and the end
    pieces extend linearly beyond it.  With ``exact=True`` every knot, slope
    and intercept is a :class:`~fractions.Fraction`; with ``refine=True`` it is
    the correctly rounded float of one.

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
    r = regions(network, interval, output=output, exact=exact, refine=refine)
    keep = np.r_[0, np.flatnonzero(r.is_breakpoint) + 1]  # the first region of each slope
    knots = r.breakpoints
    # kinks closer than float64 resolution round to one float: a float function has one
    # knot there, so drop the pieces of zero width between them
    dup = np.zeros(knots.size, dtype=bool)
    dup[1:] = knots[1:] == knots[:-1]
    keep = keep[np.r_[True, ~dup[1:], True]] if knots.size else keep
    return PiecewiseLinear(knots[~dup], r.slope[keep], r.intercept[keep])
