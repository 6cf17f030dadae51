"""The certified float partition as a compiled sweep along the line (numba).

Layer by layer, every piece of the line carries the affine maps
:math:`a_j x + c_j` of the layer's pre-activations.  One compiled pass per
layer decides each neuron's state at both ends of every piece against the
rigorous error bounds of :mod:`pwlinear._bounds` (one bound per piece end
first, neuron by neuron only where that one is in doubt), divides out the
crossings of the neurons whose states differ, sorts them inside their piece
and certifies their order.  A second pass lays out the children: edges and
their error bounds, states, and the post-activations
:math:`s \\odot a` and :math:`s \\odot c + o` of every child (each neuron's
slope and offset on its piece), which one matrix product maps through the
next layer -- the arithmetic of
:func:`pwlinear.analysis._partition`, so the same bounds hold.

Pieces that the network-wide bounds cannot decide are tried again with their
own bounds; what is still undecided raises :class:`SweepUndecided`, and
:func:`pwlinear.analysis._partition`, which settles such pieces exactly,
takes over.  Boundaries inherited from earlier layers whose output slopes
the bound cannot tell apart go to the exact tests of :mod:`pwlinear.analysis`.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from pwlinear._bounds import (
    _U,
    FloatArray,
    IntArray,
    _abs_chain_max,
    _cached,
    _gamma,
    _layer_bounds,
    _local_bounds,
    _n_ops,
)
from pwlinear.network import Network

_G2 = 2 * _U / (1 - 2 * _U)


class SweepUndecided(Exception):
    """The sweep's bounds cannot decide a state or an order: use the settling path."""


@numba.njit(cache=True, inline="always")
def _side(v: float, err: float, knots: Any) -> tuple[int, bool, bool]:
    """Knots strictly below the exact value within ``err`` of ``v``, whether certain, and
    whether ``v`` is on a knot with a zero error bound."""
    side = 0
    sure = True
    on = False
    for k in range(knots.size):
        d = v - knots[k]
        if d > 0.0:
            side += 1
        if not abs(d) > 1.01 * err:
            sure = False
        if d == 0.0:
            on = True
    return side, sure, on and err == 0.0


@numba.njit(cache=True, inline="always")
def _state(
    a: float, c: float, x: float, ex: float, ea: float, ec: float, knots: Any, toward: int
) -> tuple[int, bool]:
    """State of the neuron :math:`a x + c` at the end ``x`` of a piece, on the piece's side
    (``toward`` = +1 at a left end, -1 at a right end), and whether it is certain.  The
    bound is that of :func:`pwlinear._split._end_states`."""
    slope_known = abs(a) > ea or (a == 0.0 and ea == 0.0)
    if math.isinf(x):
        if a == 0.0:  # a constant: where c lies
            side, sure, on = _side(c, ec + _G2 * abs(c), knots)
            return side, sure or on
        rising = (x > 0.0) == (a > 0.0)
        return (knots.size if rising else 0), slope_known
    ax = abs(x)
    err = abs(a) * (ex + _G2 * ax) + ea * (ax + ex) + ec + _G2 * abs(c)
    side, sure, on = _side(a * x + c, err, knots)
    if on:  # exactly on a knot: the state the slope moves it to
        if toward * a > 0.0:
            side += 1
        sure = sure or slope_known
    return side, sure


@numba.njit(cache=True)
def _piece_states(
    A: Any,
    C: Any,
    q: int,
    row: int,
    edges: Any,
    edge_err: Any,
    EA: Any,
    EC: Any,
    knots: Any,
    s_right: Any,
    s_left: Any,
) -> bool:
    """Every neuron's states at both ends of piece ``q``, one by one; whether all are certain."""
    ok = True
    for j in range(A.shape[1]):
        a, c, ea, ec = A[q, j], C[q, j], EA[row, j], EC[row, j]
        sr, ok_r = _state(a, c, edges[q], edge_err[q], ea, ec, knots, 1)
        sl, ok_l = _state(a, c, edges[q + 1], edge_err[q + 1], ea, ec, knots, -1)
        s_right[q, j], s_left[q, j] = sr, sl
        ok = ok and ok_r and ok_l
    return ok


@numba.njit(cache=True)
def _piece_relu_like(
    A: Any,
    C: Any,
    q: int,
    edges: Any,
    edge_err: Any,
    ea_max: float,
    ec_max: float,
    knot: float,
    s_right: Any,
    s_left: Any,
) -> int:
    """The states of :func:`_piece_states` for one knot and finite ends, vectorised: one
    bound per end from the piece's largest slope and intercept (and the largest error
    bounds) covers every neuron.  Returns the number of crossings, or -1 when some value
    is within the bound (then :func:`_piece_states` looks at each neuron on its own)."""
    n = A.shape[1]
    a_max = 0.0
    c_max = 0.0
    for j in range(n):
        a_max = max(a_max, abs(A[q, j]))
        c_max = max(c_max, abs(C[q, j]))
    lo, hi = edges[q], edges[q + 1]
    e_lo, e_hi = edge_err[q], edge_err[q + 1]
    rest = ec_max + _G2 * c_max
    b_lo = 1.01 * (a_max * (e_lo + _G2 * abs(lo)) + ea_max * (abs(lo) + e_lo) + rest)
    b_hi = 1.01 * (a_max * (e_hi + _G2 * abs(hi)) + ea_max * (abs(hi) + e_hi) + rest)
    doubt = 0
    n_cross = 0
    for j in range(n):
        a, c = A[q, j], C[q, j]
        d_lo = (a * lo + c) - knot
        d_hi = (a * hi + c) - knot
        up_lo = d_lo > 0.0
        up_hi = d_hi > 0.0
        s_right[q, j] = up_lo
        s_left[q, j] = up_hi
        n_cross += up_lo != up_hi
        doubt += (abs(d_lo) <= b_lo) | (abs(d_hi) <= b_hi)
    return -1 if doubt else n_cross


@numba.njit(cache=True)
def _split_layer(
    A: Any,
    C: Any,
    edges: Any,
    edge_err: Any,
    EA: Any,
    EC: Any,
    knots: Any,
    certify: bool,
) -> tuple[Any, ...]:
    """Certified states just right of every piece's left end, and the crossings sorted
    inside each piece with their error bounds.

    ``EA``, ``EC``: per-neuron error bounds of the maps, one row for all pieces or one per
    piece.  Returns ``s_right, p, i, m, x, e, bad``: piece, neuron and knot of each
    crossing, its point and bound, and the pieces that are undecided.
    """
    P, n = A.shape
    U = 2.0**-53
    s_right = np.empty((P, n), np.int8)
    s_left = np.empty((P, n), np.int8)
    bad = np.zeros(P, np.bool_)
    count = np.zeros(P + 1, np.int64)
    ea_max = np.empty(EA.shape[0])
    ec_max = np.empty(EA.shape[0])
    for row in range(EA.shape[0]):
        ea_max[row] = EA[row].max()
        ec_max[row] = EC[row].max()
    for q in range(P):
        row = 0 if EA.shape[0] == 1 else q
        n_cross = -1
        if knots.size == 1 and not (math.isinf(edges[q]) or math.isinf(edges[q + 1])):
            n_cross = _piece_relu_like(
                A, C, q, edges, edge_err, ea_max[row], ec_max[row], knots[0], s_right, s_left
            )
        if n_cross < 0:
            ok = _piece_states(A, C, q, row, edges, edge_err, EA, EC, knots, s_right, s_left)
            if certify and not ok:
                bad[q] = True
            n_cross = 0
            for j in range(n):
                n_cross += abs(s_left[q, j] - s_right[q, j])
        count[q + 1] = count[q] + n_cross
    total = count[P]
    p = np.empty(total, np.int64)
    i = np.empty(total, np.int64)
    m = np.empty(total, np.int64)
    x = np.empty(total)
    e = np.empty(total)
    for q in range(P):
        start, stop = count[q], count[q + 1]
        if start == stop:
            continue
        row = 0 if EA.shape[0] == 1 else q
        lo, hi = edges[q], edges[q + 1]
        t = start
        for j in range(n):
            sr, sl = s_right[q, j], s_left[q, j]
            if sr == sl:
                continue
            a, c = A[q, j], C[q, j]
            mag, ea, ec = abs(a), EA[row, j], EC[row, j]
            for k in range(min(sr, sl), max(sr, sl)):
                # certain states differ, so |a| > ea >= 0; the bound is that of
                # pwlinear._split._split's crossing_error
                v = (knots[k] - c) / a if a != 0.0 else (math.inf if knots[k] > c else -math.inf)
                v = min(max(v, lo), hi)
                if mag > ea:
                    inv = 1.01 / (mag - ea)
                    err = ec * inv + ((U * mag + ea) * inv + 2.02 * U) * abs(v)
                else:
                    err = math.inf
                    if certify:
                        bad[q] = True
                if v == lo:  # rounded onto an end of its piece: within that end's error too
                    err += edge_err[q]
                if v == hi:
                    err += edge_err[q + 1]
                p[t], i[t], m[t], x[t], e[t] = q, j, k, v, err
                t += 1
        if stop - start > 1:  # sort by position (stable), then certify the order
            order = np.argsort(x[start:stop], kind="mergesort") + start
            i[start:stop] = i[order]
            m[start:stop] = m[order]
            x[start:stop] = x[order]
            e[start:stop] = e[order]
            if certify:
                for t in range(start + 1, stop):
                    if not x[t] - x[t - 1] > e[t] + e[t - 1]:
                        bad[q] = True
    return s_right, p, i, m, x, e, bad


@numba.njit(cache=True)
def _children(
    A: Any,
    C: Any,
    s_right: Any,
    p: Any,
    i: Any,
    m: Any,
    x: Any,
    e: Any,
    edges: Any,
    edge_err: Any,
    slopes: Any,
    offsets: Any,
    active: Any,
    inactive: Any,
    want_states: bool,
) -> tuple[Any, ...]:
    """The pieces after splitting at the sorted crossings: their post-activations stacked
    as ``[slopes; intercepts]`` for one matrix product, edges and their error bounds,
    parents, inactive counts, states (when ``want_states``), and each crossing's old and
    new state.  Across a crossing only the flipping neuron changes."""
    P, n = A.shape
    E = p.size
    R = P + E
    post = np.empty((2 * R, n))
    S2 = np.empty((R if want_states else 0, n), np.int8)
    edges2 = np.empty(R + 1)
    err2 = np.empty(R + 1)
    parent = np.empty(R, np.int64)
    inactive2 = np.empty(R, np.int64)
    old = np.empty(E, np.int64)
    new = np.empty(E, np.int64)
    s = np.empty(n, np.int8)
    r = 0
    t = 0
    edges2[0], err2[0] = edges[0], edge_err[0]
    for q in range(P):
        s[:] = s_right[q]
        off = inactive[q]
        for j in range(n):
            sl = slopes[s[j]]
            post[r, j] = sl * A[q, j]
            post[R + r, j] = sl * C[q, j] + offsets[s[j]]
            off += 1 - active[s[j]]
        parent[r] = q
        inactive2[r] = off
        if want_states:
            S2[r] = s
        while t < E and p[t] == q:
            j = i[t]
            up = A[q, j] > 0.0
            so = m[t] if up else m[t] + 1
            sn = m[t] + 1 if up else m[t]
            edges2[r + 1], err2[r + 1] = x[t], e[t]
            r += 1
            post[r] = post[r - 1]
            post[R + r] = post[R + r - 1]
            post[r, j] = slopes[sn] * A[q, j]
            post[R + r, j] = slopes[sn] * C[q, j] + offsets[sn]
            s[j] = sn
            off += active[so] - active[sn]
            parent[r] = q
            inactive2[r] = off
            if want_states:
                S2[r] = s
            old[t], new[t] = so, sn
            t += 1
        edges2[r + 1], err2[r + 1] = edges[q + 1], edge_err[q + 1]
        r += 1
    return post, edges2, err2, parent, inactive2, S2, old, new


def _tables(net: Network) -> list[tuple[Any, ...]]:
    """Per hidden layer, the contiguous arrays the kernels take, and the error bounds of
    its maps as one row each (:func:`pwlinear._bounds._layer_bounds`)."""
    out = []
    for act, (ea, ec, _) in zip(net.activations, _cached(net, "layer_bounds", _layer_bounds)):
        out.append(
            (
                np.ascontiguousarray(act.knots, dtype=np.float64),
                np.ascontiguousarray(act.slopes, dtype=np.float64),
                np.ascontiguousarray(act.offsets, dtype=np.float64),
                act.active.astype(np.int64),
                np.ascontiguousarray(ea, dtype=np.float64)[None, :],
                np.ascontiguousarray(ec, dtype=np.float64)[None, :],
            )
        )
    return out


def _split_certified(
    net: Network,
    layer: int,
    A: FloatArray,
    C: FloatArray,
    edges: FloatArray,
    edge_err: FloatArray,
    dense: list[NDArray[Any]],
    certify: bool,
) -> tuple[Any, ...]:
    """:func:`_split_layer` with the network-wide bounds; the undecided pieces are split
    again with their own bounds, and what is still undecided raises."""
    knots, _, _, _, EA, EC = _cached(net, "sweep_tables", _tables)[layer]
    if not certify:
        EA, EC = np.zeros_like(EA), np.zeros_like(EC)
    res = _split_layer(A, C, edges, edge_err, EA, EC, knots, certify)
    bad = np.flatnonzero(res[-1])
    if bad.size == 0:
        return res
    if layer == 0:  # exact maps: no tighter bounds
        raise SweepUndecided("a state or an order in the first layer")
    EA, EC = np.repeat(EA, A.shape[0], axis=0), np.repeat(EC, A.shape[0], axis=0)
    EA[bad], EC[bad] = _local_bounds(net, dense, bad)
    res = _split_layer(A, C, edges, edge_err, EA, EC, knots, certify)
    if res[-1].any():
        raise SweepUndecided("a state or an order within its piece's own bound")
    return res


def partition_sweep(
    net: Network, lo: float, hi: float, cols: IntArray, certify: bool = True
) -> tuple[Any, ...]:
    """The certified float partition by the compiled sweep, with the results of
    :func:`pwlinear.analysis._partition`: edges, output slopes and intercepts, breakpoint
    flags, inactive counts, dense states and the last hidden layer's switch events.

    Raises :class:`SweepUndecided` where the exact settling path is needed.
    """
    from pwlinear._events import _Events, _small_int

    W0, b0 = net.layers[0]
    A = np.ascontiguousarray(W0[:, 0][None, :], dtype=np.float64)
    C = np.ascontiguousarray(b0[None, :], dtype=np.float64)
    edges = np.array([lo, hi], dtype=np.float64)
    edge_err = np.zeros(2)
    inactive = np.zeros(1, dtype=np.int64)
    dense: list[NDArray[Any]] = []
    tables = _cached(net, "sweep_tables", _tables)
    last = len(tables) - 1
    for li, (_, slopes, offsets, active, _, _) in enumerate(tables):
        s_right, p, i, m, x, e, _ = _split_certified(net, li, A, C, edges, edge_err, dense, certify)
        post, edges, edge_err, parent, inactive, states, old, new = _children(
            A, C, s_right, p, i, m, x, e, edges, edge_err,
            slopes, offsets, active, inactive, li < last,
        )  # fmt: skip
        W, b = net.layers[li + 1]
        both = post @ W.T
        R = edges.size - 1
        A, C = both[:R], both[R:]
        C += b
        dense = [d[parent] for d in dense]
        if li < last:
            dense.append(states)
    region = np.arange(p.size) + p + 1  # the region each switch of the last layer begins
    events = _Events(
        s0=_small_int(s_right), parent=parent, region=region, neuron=i, old=old, new=new
    )
    kink = _kinks(net, cols, A, parent, events, tables[-1][1], dense, certify)
    return edges, A, C, kink, inactive, tuple(dense), events


def _kinks(
    net: Network,
    cols: IntArray,
    A_out: FloatArray,
    parent: IntArray,
    events: Any,
    slopes: FloatArray,
    dense: list[NDArray[Any]],
    certify: bool,
) -> NDArray[np.bool_]:
    """Which boundaries are breakpoints.

    One switch of the last hidden layer changes the output slope by exactly
    :math:`\\Delta s\\, a_i W_{:,i}` with :math:`a_i \\ne 0` (its states differ for certain):
    a kink when the activation's slope changes and the neuron reaches an output.  A boundary
    of an earlier layer: the two output slopes, each within
    :math:`\\gamma_{N+4}|W_L|\\bar s \\cdots |w_1|` of the exact one, then the exact tests of
    :mod:`pwlinear.analysis` where that cannot tell them apart.
    """
    from pwlinear.analysis import _difference_test, _settle_exactly

    kink = np.zeros(A_out.shape[0] - 1, dtype=bool)
    reaches = (net.layers[-1][0][cols] != 0).any(axis=0)
    ev = events
    kink[ev.region - 1] = reaches[ev.neuron] & (slopes[ev.new] != slopes[ev.old])
    inherited = np.flatnonzero(parent[1:] != parent[:-1])
    if inherited.size == 0:
        return kink
    dA = np.abs(A_out[inherited + 1][:, cols] - A_out[inherited][:, cols])
    if not certify:
        kink[inherited] = (dA > 0).any(axis=1)
        return kink
    bound = 2.03 * float(_gamma(_n_ops(net) + 4)) * _cached(net, "abs_chain_max", _abs_chain_max)
    sure = (dA > bound[cols]).any(axis=1)
    kink[inherited[sure]] = True
    open_b = inherited[~sure]
    if open_b.size:
        decided, is_kink = _difference_test(net, cols, dense, events, open_b)
        kink[open_b[decided]] = is_kink[decided]
        open_b = open_b[~decided]
    if open_b.size:
        none = np.zeros(0, dtype=np.intp)
        _settle_exactly(net, cols, kink, dense, events, none, none, none, none, open_b)
    return kink
