"""The activation-region partition in exact rational arithmetic.

Every float64 weight is a dyadic rational, so on each piece of the line the
slope and intercept of every neuron are sums of products of weights: integers
times one scale per layer.  They are kept as Python-int object arrays with a
:class:`~fractions.Fraction` scale (no per-entry fractions, no growing
denominators).  Only crossing points :math:`t = (k - c)/a` are true
rationals; comparisons between them are settled by a floating-point filter
and, where it cannot decide, by exact cross-multiplication.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pwlinear._exact import int_matmul, scaled_integers
from pwlinear.activations import Activation
from pwlinear.network import Network

Obj = NDArray[np.object_]
IntArray = NDArray[np.intp]

_U = 2.0**-53


def _fgcd(a: Fraction, b: Fraction) -> Fraction:
    """Largest positive rational ``g`` with ``a / g`` and ``b / g`` integers."""
    if a == 0:
        return abs(b) or Fraction(1)
    if b == 0:
        return abs(a)
    n = math.gcd(a.numerator, b.numerator)
    d = a.denominator * b.denominator // math.gcd(a.denominator, b.denominator)
    return Fraction(n, d)


def _rescale(x: Obj, scale: Fraction, to: Fraction) -> Obj:
    """Integers ``x`` at ``scale`` re-expressed at the finer scale ``to``."""
    f = scale / to
    if f.denominator != 1:
        raise AssertionError("rescale to a coarser scale")
    return x * f.numerator if f != 1 else x


@dataclass(frozen=True)
class _Act:
    """An activation's knots, slopes and offsets as integers with scales."""

    knots: Obj
    k_scale: Fraction
    slopes: Obj
    s_scale: Fraction
    offsets: Obj
    o_scale: Fraction
    active: NDArray[np.bool_]

    @classmethod
    def of(cls, act: Activation) -> _Act:
        kn, sl, of = act.exact
        ki, ks = scaled_integers(kn)
        si, ss = scaled_integers(sl)
        oi, os_ = scaled_integers(of)
        return cls(ki, ks, si, ss, oi, os_, act.active)


class _Crossings:
    """Crossings ``t = r * N / D`` of affine maps with knots, with float approximations."""

    def __init__(self, A: Obj, sa: Fraction, C: Obj, sc: Fraction, act: _Act) -> None:
        s0 = _fgcd(act.k_scale, sc)
        N = _rescale(act.knots, act.k_scale, s0)[None, None, :] - _rescale(C, sc, s0)[..., None]
        D = np.broadcast_to(A[..., None], N.shape)
        self.r = s0 / sa
        self.N, self.D = N, D
        zero = D == 0
        self.zero = zero
        approx = np.zeros(N.shape)
        nz = ~zero
        if nz.any():
            with np.errstate(over="ignore"):
                approx[nz] = _scaled_ratio(self.r, N[nz], D[nz])
        approx[zero] = np.nan
        self.f = approx

    def take(self, rows: IntArray) -> _Crossings:
        """The crossings of the pieces ``rows`` (sub-pieces inherit their parent's maps)."""
        out = object.__new__(_Crossings)
        out.r = self.r
        out.N, out.D, out.zero, out.f = self.N[rows], self.D[rows], self.zero[rows], self.f[rows]
        return out

    def exact(self, idx: tuple[Any, ...]) -> Fraction:
        return Fraction(self.r.numerator * int(self.N[idx]), self.r.denominator * int(self.D[idx]))

    def compare(
        self, edges: Obj, edges_f: NDArray[np.float64], piece: IntArray
    ) -> NDArray[np.int8]:
        """sign(t - edge[piece]) for every crossing (0 where the map is constant)."""
        e_f = edges_f[piece][:, None, None]
        t_f = self.f
        with np.errstate(invalid="ignore"):
            sure = np.abs(t_f - e_f) > 8 * _U * (np.abs(t_f) + np.abs(e_f)) + 1e-300
            sign = np.sign(t_f - e_f).astype(np.int8)
        sign[self.zero] = 0
        todo = np.argwhere(~sure & ~self.zero)
        for p, i, k in todo:
            t = self.exact((p, i, k))
            e = edges[piece[p]]
            sign[p, i, k] = (t > e) - (t < e)
        return sign


def to_float(v: Any) -> float:
    """``float(v)`` correctly rounded, with overflow to ``±inf`` instead of an error."""
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def _scaled_ratio(r: Fraction, n: Obj, d: Obj) -> NDArray[np.float64]:
    """Floats of ``r * n / d`` for int arrays ``n``, ``d`` (within a few ulps; correctly
    rounded where a float intermediate would overflow or underflow)."""
    rf = to_float(r)
    if rf != 0 and math.isfinite(rf):
        try:  # one vectorised pass of int true divisions, each correctly rounded
            with np.errstate(over="raise", under="raise"):
                fast = rf * np.true_divide(n, d).astype(np.float64)
            if np.all(np.isfinite(fast)) and not np.any((fast == 0) & (n != 0)):
                return fast  # type: ignore[no-any-return]
        except (OverflowError, FloatingPointError):
            pass
    out = np.empty(n.shape)
    flat_n, flat_d, flat = n.reshape(-1), d.reshape(-1), out.reshape(-1)
    fast_ok = rf != 0 and math.isfinite(rf)
    for j in range(flat.size):
        v = 0.0
        if fast_ok:
            try:
                v = rf * (flat_n[j] / flat_d[j])
            except OverflowError:
                v = math.nan
        if not fast_ok or not math.isfinite(v) or (v == 0 and flat_n[j] != 0):
            v = to_float(Fraction(r.numerator * int(flat_n[j]), r.denominator * int(flat_d[j])))
        flat[j] = v
    return out


def _states(
    cr: _Crossings, A: Obj, C: Obj, sc: Fraction, act: _Act, left_sign: NDArray[np.int8]
) -> IntArray:
    """Exact state of each neuron just right of each piece's left edge.

    ``left_sign`` is sign(t - left) for every crossing of the piece's own map.
    """
    crossed = np.count_nonzero(left_sign <= 0, axis=-1)
    k = act.knots.size
    s0 = _fgcd(act.k_scale, sc)
    c = _rescale(C, sc, s0)
    kn = _rescale(act.knots, act.k_scale, s0)
    flat = (
        np.count_nonzero(kn[None, None, :] < c[..., None], axis=-1)
        if k
        else np.zeros(C.shape, dtype=np.intp)
    )
    pos, neg = A > 0, A < 0
    return np.where(pos, crossed, np.where(neg, k - crossed, flat)).astype(np.intp)


@dataclass
class ExactPartition:
    """Edges (Fractions, with float ±inf ends), output slopes and intercepts (Fractions),
    kink flags, inactive counts, dense states per hidden layer, and last-layer states."""

    edges: Obj
    slope: Obj
    intercept: Obj
    kink: NDArray[np.bool_]
    inactive: IntArray
    states: tuple[NDArray[Any], ...]
    events: Any = None


def _as_fractions(ints: Obj, scale: Fraction) -> Obj:
    out = np.empty(ints.shape, dtype=object)
    out.reshape(-1)[:] = [Fraction(int(v)) * scale for v in ints.reshape(-1)]
    return out


def _edge(v: float) -> Any:
    return v if math.isinf(v) else Fraction(v)


def exact_partition(
    net: Network, lo: float | Fraction, hi: float | Fraction, cols: IntArray
) -> ExactPartition:
    """The partition of ``[lo, hi]`` (floats may be infinite) in exact arithmetic."""
    layers = net.integer_layers()
    acts = [_Act.of(a) for a in net.activations]
    W0, sw0, b0, sb0 = layers[0]
    A: Obj = W0[:, 0][None, :].copy()
    sa = sw0
    C: Obj = b0[None, :].copy()
    sc = sb0
    edges = np.array(
        [
            _edge(float(lo)) if not isinstance(lo, Fraction) else lo,
            _edge(float(hi)) if not isinstance(hi, Fraction) else hi,
        ],
        dtype=object,
    )
    states: list[NDArray[Any]] = []
    inactive = np.zeros(1, dtype=np.intp)

    for li, act in enumerate(acts[:-1]):
        edges_f = np.array([to_float(e) for e in edges])
        n = edges.size - 1
        cr = _Crossings(A, sa, C, sc, act)
        right = cr.compare(edges, edges_f, np.arange(1, n + 1))
        left = cr.compare(edges, edges_f, np.arange(n))
        p_idx, i_idx, k_idx = np.nonzero((left > 0) & (right < 0))
        xs = [cr.exact((p, i, k)) for p, i, k in zip(p_idx, i_idx, k_idx)]
        if xs:
            # exact merge of the old edges with the distinct new points (each inside its piece)
            tagged = sorted([(e, 1) for e in edges[1:-1]] + [(x, 0) for x in set(xs)])
            new_edges = np.array([edges[0], *(v for v, _ in tagged), edges[-1]], dtype=object)
            parent = np.cumsum([1, *(o for _, o in tagged)]) - 1
        else:
            new_edges, parent = edges, np.arange(n)
        A, C = A[parent], C[parent]
        new_f = np.array([to_float(e) for e in new_edges])
        cr_new = cr.take(parent)
        left_new = cr_new.compare(new_edges, new_f, np.arange(new_edges.size - 1))
        s = _states(cr_new, A, C, sc, act, left_new)
        states = [st[parent] for st in states]
        inactive = inactive[parent] + np.count_nonzero(~act.active[s], axis=1)
        states.append(s)
        edges = new_edges
        A, sa, C, sc = _through(act, s, layers[li + 1], A, sa, C, sc)

    if not acts:  # an affine map: one region
        return ExactPartition(
            edges=edges,
            slope=_as_fractions(A, sa),
            intercept=_as_fractions(C, sc),
            kink=np.zeros(0, dtype=bool),
            inactive=inactive,
            states=(),
            events=None,
        )
    return _last_layer(net, layers[-1], acts[-1], A, sa, C, sc, edges, states, inactive, cols)


def exact_maps(net: Network, states: list[NDArray[Any]], layer: int, n: int) -> tuple[Obj, Obj]:
    """Exact slopes and intercepts (Fraction object arrays, one row per piece) of the
    pre-activations of hidden layer ``layer`` on ``n`` pieces whose earlier layers have
    ``states`` (one ``(n, width)`` array per layer before ``layer``)."""
    layers = net.integer_layers()
    W0, sa, b0, sc = layers[0]
    A: Obj = np.broadcast_to(W0[:, 0], (n, W0.shape[0])).copy()
    C: Obj = np.broadcast_to(b0, (n, b0.shape[0])).copy()
    for li in range(layer):
        act = _Act.of(net.activations[li])
        s = np.asarray(states[li], dtype=np.intp)
        A, sa, C, sc = _through(act, s, layers[li + 1], A, sa, C, sc)
    return _as_fractions(A, sa), _as_fractions(C, sc)


def _through(
    act: _Act, s: NDArray[Any], layer: Any, A: Obj, sa: Fraction, C: Obj, sc: Fraction
) -> tuple[Obj, Fraction, Obj, Fraction]:
    """Maps of the next layer's pre-activations, :math:`A' = W (S A)` and
    :math:`C' = W (S C + O) + b`, for the activation states ``s``; scaled integers."""
    W, sw, b, sb = layer
    S = act.slopes[s]
    s1 = _fgcd(act.s_scale * sc, act.o_scale)
    post_c = _rescale(S * C, act.s_scale * sc, s1) + _rescale(act.offsets[s], act.o_scale, s1)
    both = int_matmul(np.concatenate([S * A, post_c]), W.T)  # one product for both maps
    A, C = both[: A.shape[0]], both[A.shape[0] :]
    s2 = _fgcd(s1 * sw, sb)
    C = _rescale(C, s1 * sw, s2) + _rescale(b[None, :], sb, s2)
    return A, act.s_scale * sa * sw, C, s2


def _exact_order(approx: NDArray[np.float64], exact: Any) -> tuple[IntArray, NDArray[np.bool_]]:
    """Order of values known as floats ``approx`` (within 4 ulps) and exactly via ``exact(j)``;
    also which sorted entries equal their predecessor exactly.  Only runs of floats too close
    to order are compared exactly."""
    order = np.argsort(approx, kind="stable")
    a = approx[order]
    close = np.zeros(a.size, dtype=bool)
    with np.errstate(invalid="ignore"):
        close[1:] = np.abs(np.diff(a)) <= 8 * _U * (np.abs(a[1:]) + np.abs(a[:-1])) + 1e-300
    same = np.zeros(a.size, dtype=bool)
    if close.any():
        run_start = np.flatnonzero(~close)
        ends = np.r_[run_start, a.size]
        for lo_, hi_ in zip(ends[:-1], ends[1:]):
            if hi_ - lo_ < 2:
                continue
            idx = list(order[lo_:hi_])
            vals = {j: exact(j) for j in idx}
            idx.sort(key=vals.__getitem__)
            order[lo_:hi_] = idx
            for q in range(lo_ + 1, hi_):
                same[q] = vals[order[q]] == vals[order[q - 1]]
    return order, same


def _last_layer(
    net: Network,
    out_layer: Any,
    act: _Act,
    A: Obj,
    sa: Fraction,
    C: Obj,
    sc: Fraction,
    edges: Obj,
    states: list[NDArray[Any]],
    inactive: IntArray,
    cols: IntArray,
) -> ExactPartition:
    """The last hidden layer as sorted switch events with exact running sums."""
    from pwlinear._events import _accumulate, _Events

    W_out, sw, b_out, sb = out_layer
    edges_f = np.array([to_float(e) for e in edges])
    n = edges.size - 1
    cr = _Crossings(A, sa, C, sc, act)
    left = cr.compare(edges, edges_f, np.arange(n))
    right = cr.compare(edges, edges_f, np.arange(1, n + 1))
    s0 = _states(cr, A, C, sc, act, left)
    p, i, k = np.nonzero((left > 0) & (right < 0))
    order, same = _exact_order(cr.f[p, i, k], lambda j: cr.exact((p[j], i[j], k[j])))
    p, i, k = p[order], i[order], k[order]
    first = ~same
    starts = np.flatnonzero(first)
    xs = np.array([cr.exact((p[j], i[j], k[j])) for j in starts] + [None], dtype=object)[:-1]
    up = A[p, i] > 0
    old = np.where(up, k, k + 1)
    new = np.where(up, k + 1, k)
    dS = act.slopes[new] - act.slopes[old]
    s1 = _fgcd(act.s_scale * sc, act.o_scale)
    dA = (dS * A[p, i])[:, None] * W_out[:, i].T
    d_post = _rescale(dS * C[p, i], act.s_scale * sc, s1) + _rescale(
        act.offsets[new] - act.offsets[old], act.o_scale, s1
    )
    S0 = act.slopes[s0]
    A0 = int_matmul(S0 * A, W_out.T)
    post0 = _rescale(S0 * C, act.s_scale * sc, s1) + _rescale(act.offsets[s0], act.o_scale, s1)
    s2 = _fgcd(s1 * sw, sb)
    C0 = _rescale(int_matmul(post0, W_out.T), s1 * sw, s2) + _rescale(b_out[None, :], sb, s2)
    dC = _rescale(d_post[:, None] * W_out[:, i].T, s1 * sw, s2)
    n_groups, _, A_out, C_out, inactive = _accumulate(
        act.active, s0, old, new, starts, p[starts], n, (A0, dA), (C0, dC), inactive
    )
    # the new edges: old ones and the group positions, merged in order (each inside its piece)
    region_parent = np.repeat(np.arange(n), n_groups + 1)
    event_region = np.cumsum(first) + p
    new_edges = np.empty(n + 1 + starts.size, dtype=object)
    is_group = np.zeros(new_edges.size, dtype=bool)
    is_group[event_region[starts]] = True
    new_edges[is_group] = xs
    new_edges[~is_group] = edges
    kink = np.asarray(A_out[1:][:, cols] != A_out[:-1][:, cols], dtype=bool).any(axis=1)
    events = _Events(
        s0=s0.astype(np.int32),
        parent=region_parent,
        region=event_region,
        neuron=i,
        old=old,
        new=new,
    )
    return ExactPartition(
        edges=new_edges,
        slope=_as_fractions(A_out, act.s_scale * sa * sw),
        intercept=_as_fractions(C_out, s2),
        kink=np.asarray(kink, dtype=bool),
        inactive=inactive,
        states=tuple(st[region_parent] for st in states),
        events=events,
    )
