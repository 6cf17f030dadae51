"""The activation-region partition in exact rational arithmetic.

Every float64 weight is a dyadic rational, so on each piece of the line the
slope and intercept of every neuron are sums of products of weights: integers
times one scale per layer.  They are kept as int64 limbs (:class:`~pwlinear._limbs.Limbs`)
with a :class:`~fractions.Fraction` scale per layer: no per-entry fractions, no
growing denominators, and exact products by float64 BLAS.  Only crossing points
:math:`t = (k - c)/a` are true rationals; comparisons between them are settled by
a floating-point filter and, where it cannot decide, by exact cross-multiplication.

:func:`exact_from_states` computes the exact values of a partition whose structure
is known (the certified float one); :func:`exact_partition` finds the structure
itself, where the float partition cannot decide it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from typing import Any, TypeVar, cast

import numpy as np
from numpy.typing import NDArray

from pwlinear._exact import dyadic_fractions, ratios, scaled_integers, to_float
from pwlinear._limbs import Limbs, _work, product
from pwlinear.activations import Activation
from pwlinear.network import Network

Obj = NDArray[np.object_]
IntArray = NDArray[np.intp]
T = TypeVar("T", Limbs, Obj)

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


def _rescale(x: T, scale: Fraction, to: Fraction) -> T:
    """Integers ``x`` (limbs or Python ints) at ``scale`` re-expressed at the finer ``to``."""
    f = scale / to
    if f.denominator != 1:
        raise AssertionError("rescale to a coarser scale")
    if f == 1:
        return x
    return cast(T, x.scale(f.numerator) if isinstance(x, Limbs) else x * f.numerator)


@dataclass(frozen=True)
class _Act:
    """An activation's knots, slopes and offsets as integers with scales (as limbs, and
    the slopes and offsets also as Python ints for the last layer's few switches)."""

    knots: Limbs
    k_scale: Fraction
    slopes: Limbs
    slope_ints: Obj
    s_scale: Fraction
    offsets: Limbs
    offset_ints: Obj
    o_scale: Fraction
    active: NDArray[np.bool_]

    @classmethod
    def of(cls, act: Activation) -> _Act:
        kn, _, of = act.exact
        ki, ks = scaled_integers(kn)
        si, ss = act.integer_slopes
        oi, os_ = scaled_integers(of)
        return cls(
            Limbs.from_ints(ki), ks, Limbs.from_ints(si), si, ss, Limbs.from_ints(oi), oi, os_,
            act.active,
        )  # fmt: skip


@dataclass(frozen=True)
class _Layer:
    """A layer's transposed weights and its biases as limbs, with their scales."""

    Wt: Limbs
    w_scale: Fraction
    b: Limbs
    b_scale: Fraction
    W: Obj  # the weights as Python ints (for the last layer's few switches)
    Wb: Limbs  # the transposed weights with the biases as one more row


def _limb_net(net: Network) -> tuple[tuple[_Layer, ...], tuple[_Act, ...]]:
    """The network's layers and activations as limbs, computed once per network."""
    cached = net._cache.get("limbs")
    if cached is None:
        layers = []
        for W, sw, b, sb in net.integer_layers():
            Wt, bl = Limbs.from_ints(W.T), Limbs.from_ints(b)
            layers.append(_Layer(Wt, sw, bl, sb, W, Limbs.concatenate([Wt, bl[None, :]])))
        cached = (tuple(layers), tuple(_Act.of(a) for a in net.activations))
        net._cache["limbs"] = cached
    return cached  # type: ignore[no-any-return]


class _Crossings:
    """Crossings ``t = r * N / A`` of affine maps ``A x + C`` (one row per piece) with the
    knots, ``N = knots - C``, and their floats ``f`` within :math:`6 u`."""

    def __init__(self, A: Limbs, sa: Fraction, C: Limbs, sc: Fraction, act: _Act) -> None:
        s0 = _fgcd(act.k_scale, sc)
        self.N = _rescale(act.knots, act.k_scale, s0) - _rescale(C, sc, s0)[..., None]
        self.A = A
        self.rows: IntArray | None = None  # the rows of N and A of each piece
        self.r = s0 / sa
        self.sign_a = A.sign()
        self.zero = np.broadcast_to((self.sign_a == 0)[..., None], self.N.shape)
        self.f = self._floats()

    def _floats(self) -> NDArray[np.float64]:
        """``r * N / A`` as floats: a product and a quotient of floats each within
        :math:`1.01 u` (five roundings in all); entries out of the normal float range are
        correctly rounded from the exact value instead."""
        rf = to_float(self.r)
        with np.errstate(all="ignore"):
            f = rf * (self.N.to_float() / self.A.to_float()[..., None])
            bad = ~np.isfinite(f) | (np.abs(f) < 2.0**-1000)
            if rf == 0 or not math.isfinite(rf):
                bad[:] = True
            bad &= ~self.zero
            if bad.any():
                bad &= (self.N.sign() != 0) | ~np.isfinite(f)
            f[self.zero] = np.nan
        for idx in np.argwhere(bad):
            f[tuple(idx)] = to_float(self.exact(tuple(idx)))
        return f  # type: ignore[no-any-return]

    def take(self, rows: IntArray) -> _Crossings:
        """The crossings of the pieces ``rows`` (sub-pieces inherit their parent's maps)."""
        out = object.__new__(_Crossings)
        out.r, out.N, out.A = self.r, self.N, self.A
        out.rows = rows if self.rows is None else self.rows[rows]
        out.sign_a, out.zero, out.f = self.sign_a[rows], self.zero[rows], self.f[rows]
        return out

    def exact(self, idx: tuple[Any, ...]) -> Fraction:
        p = idx[0] if self.rows is None else self.rows[idx[0]]
        num = self.r.numerator * self.N.item((p, *idx[1:]))
        return Fraction(num, self.r.denominator * self.A.item((p, idx[1])))

    def exact_many(self, p: IntArray, i: IntArray, k: IntArray) -> list[Fraction]:
        """Exact crossings ``(p, i, k)``, converting only those entries."""
        if p.size == 0:
            return []
        if self.rows is not None:
            p = self.rows[p]
        return _ratios(self.r, self.N[p, i, k], self.A[p, i])

    def compare(
        self,
        edges: Obj,
        edges_f: NDArray[np.float64],
        piece: IntArray,
        known: tuple[IntArray, IntArray, IntArray, NDArray[np.int8]] | None = None,
    ) -> NDArray[np.int8]:
        """sign(t - edge[piece]) for every crossing (0 where the map is constant); the
        signs ``known[3]`` of crossings ``known[:3]`` are taken as given."""
        e_f = edges_f[piece][:, None, None]
        t_f = self.f
        with np.errstate(invalid="ignore"):
            sure = np.abs(t_f - e_f) > 8 * _U * (np.abs(t_f) + np.abs(e_f)) + 1e-300
            sign = np.sign(t_f - e_f).astype(np.int8)
        last = edges.size - 1  # the ends may be ±inf floats, every other edge is a Fraction
        e_inf = np.zeros(piece.size, dtype=bool)
        for end in (0, last):
            if isinstance(edges[end], float):
                e_inf |= piece == end
        if e_inf.any():  # every crossing is finite: below +inf, above -inf
            sure[e_inf] = True
            sign[e_inf] = -np.sign(edges_f[piece][e_inf]).astype(np.int8)[:, None, None]
        sign[self.zero] = 0
        if known is not None:
            sure[known[:3]] = True
            sign[known[:3]] = known[3]
        todo = np.argwhere(~sure & ~self.zero)
        for p, i, k in todo:
            t = self.exact((p, i, k))
            e = edges[piece[p]]
            sign[p, i, k] = (t > e) - (t < e)
        return sign


def _states(
    cr: _Crossings, C: Limbs, sc: Fraction, act: _Act, left_sign: NDArray[np.int8]
) -> IntArray:
    """Exact state of each neuron just right of each piece's left edge.

    ``left_sign`` is sign(t - left) for every crossing of the piece's own map.
    """
    crossed = np.count_nonzero(left_sign <= 0, axis=-1)
    k = act.knots.shape[0]
    state = np.where(cr.sign_a > 0, crossed, k - crossed)
    flat = np.nonzero(cr.sign_a == 0)
    if flat[0].size and k:  # constant maps sit where c is (the left piece at a knot)
        s0 = _fgcd(act.k_scale, sc)
        c = _rescale(C[flat], sc, s0)[..., None]
        state[flat] = np.count_nonzero(
            (c - _rescale(act.knots, act.k_scale, s0)).sign() > 0, axis=-1
        )
    return state.astype(np.intp)  # type: ignore[no-any-return]


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
    out.reshape(-1)[:] = dyadic_fractions(ints.reshape(-1), scale.numerator, scale.denominator)
    return out


def _edge(v: float) -> Any:
    return v if math.isinf(v) else Fraction(v)


def _first_layer(layer: _Layer, n: int) -> tuple[Limbs, Limbs]:
    """The first layer's maps on ``n`` pieces: slopes ``W[:, 0]`` and intercepts ``b``."""
    A = np.repeat(layer.Wt.L[:, :1], n, axis=1)  # row 0 of W.T is the input's column of W
    C = np.repeat(layer.b.L[:, None], n, axis=1)
    return Limbs(A), Limbs(C)


def exact_partition(
    net: Network, lo: float | Fraction, hi: float | Fraction, cols: IntArray
) -> ExactPartition:
    """The partition of ``[lo, hi]`` (floats may be infinite) in exact arithmetic."""
    layers, acts = _limb_net(net)
    A, C = _first_layer(layers[0], 1)
    sa, sc = layers[0].w_scale, layers[0].b_scale
    edges = np.array(
        [
            _edge(float(lo)) if not isinstance(lo, Fraction) else lo,
            _edge(float(hi)) if not isinstance(hi, Fraction) else hi,
        ],
        dtype=object,
    )
    edges_f = np.array([to_float(e) for e in edges])
    states: list[NDArray[Any]] = []
    inactive = np.zeros(1, dtype=np.intp)

    for li, act in enumerate(acts[:-1]):
        n = edges.size - 1
        cr = _Crossings(A, sa, C, sc, act)
        right = cr.compare(edges, edges_f, np.arange(1, n + 1))
        left = cr.compare(edges, edges_f, np.arange(n))
        p, i, k = np.nonzero((left > 0) & (right < 0))
        # each crossing lies inside its piece: a float sort with exact runs orders them
        order, same = _exact_order(cr.f[p, i, k], partial(_exact_at, cr, p, i, k))
        p, i, k = p[order], i[order], k[order]
        first = ~same
        xs = cr.exact_many(p[first], i[first], k[first])
        n_new = np.bincount(p[first], minlength=n)
        parent = np.repeat(np.arange(n), n_new + 1)
        at = np.cumsum(first) + p  # the index of each crossing's edge among the new edges
        is_new = np.zeros(n + 1 + len(xs), dtype=bool)
        is_new[at[first]] = True
        new_edges = np.empty(is_new.size, dtype=object)
        new_edges[is_new] = xs
        new_edges[~is_new] = edges
        new_f = np.empty(is_new.size)
        new_f[is_new] = [to_float(x) for x in xs]
        new_f[~is_new] = edges_f
        A, C = A[parent], C[parent]
        cr_new = cr.take(parent)
        # a crossing that made an edge is known exactly against every sub-piece's left edge
        child0 = np.cumsum(n_new + 1) - (n_new + 1)
        reps = (n_new + 1)[p]
        q = np.repeat(child0[p] - np.cumsum(reps) + reps, reps) + np.arange(reps.sum())
        e = np.repeat(at, reps)
        known = (q, np.repeat(i, reps), np.repeat(k, reps), np.sign(e - q).astype(np.int8))
        left_new = cr_new.compare(new_edges, new_f, np.arange(new_edges.size - 1), known)
        s = _states(cr_new, C, sc, act, left_new)
        states = [st[parent] for st in states]
        inactive = inactive[parent] + np.count_nonzero(~act.active[s], axis=1)
        states.append(s)
        edges, edges_f = new_edges, new_f
        A, sa, C, sc = _through(act, s, layers[li + 1], A, sa, C, sc)

    if not acts:  # an affine map: one region
        return ExactPartition(
            edges=edges,
            slope=_as_fractions(A.to_ints(), sa),
            intercept=_as_fractions(C.to_ints(), sc),
            kink=np.zeros(0, dtype=bool),
            inactive=inactive,
            states=(),
            events=None,
        )
    return _last_layer(layers[-1], acts[-1], A, sa, C, sc, edges, edges_f, states, inactive, cols)


def _layer_maps(
    net: Network, states: Sequence[NDArray[Any]], n: int
) -> Iterator[tuple[_Act | None, Limbs, Fraction, Limbs, Fraction, IntArray]]:
    """Per layer from the first hidden one to the one after ``states``, its activation
    (None for the output layer), the exact slopes and intercepts of its pre-activations
    with their scales, and each region's row in them, for ``n`` regions whose layers
    below have ``states`` (one ``(n, width)`` array per layer).

    On a region every layer's maps follow from the states below it by exact products;
    neighbouring regions that share those states share their maps, computed once.
    """
    layers, acts = _limb_net(net)
    A, C = _first_layer(layers[0], 1)
    sa, sc = layers[0].w_scale, layers[0].b_scale
    row = np.zeros(n, dtype=np.intp)
    for li in range(len(states) + 1):
        act = acts[li] if li < len(acts) else None
        yield act, A, sa, C, sc, row
        if li == len(states):
            return
        s = states[li]
        # a piece of the next layer's maps begins wherever this layer's states change
        start = np.concatenate(([True], (row[1:] != row[:-1]) | (s[1:] != s[:-1]).any(axis=1)))
        first = np.flatnonzero(start)
        rows = row[first]
        A, sa, C, sc = _through(
            cast(_Act, act), s[first].astype(np.intp), layers[li + 1], _rows(A, rows, "a"),
            sa, _rows(C, rows, "c"), sc,
        )  # fmt: skip
        row = np.cumsum(start) - 1


def _causes(states: Sequence[NDArray[Any]], b: IntArray) -> tuple[IntArray, ...]:
    """For each boundary ``b`` (between regions ``b`` and ``b + 1``): the lowest layer
    whose states change there, its first neuron that changes, and the knot it crosses."""
    layer = np.full(b.size, -1)
    j = np.zeros(b.size, dtype=np.intp)
    k = np.zeros(b.size, dtype=np.intp)
    for li, s in enumerate(states):
        change = s[b + 1] != s[b]
        q = np.flatnonzero((layer < 0) & change.any(axis=1))
        layer[q], j[q] = li, change[q].argmax(axis=1)
        k[q] = np.minimum(s[b[q], j[q]], s[b[q] + 1, j[q]])  # the knot between
    if (layer < 0).any():
        raise AssertionError("a region boundary where no neuron changes state")
    return layer, j, k


def exact_maps(net: Network, states: list[NDArray[Any]], layer: int, n: int) -> tuple[Obj, Obj]:
    """Exact slopes and intercepts (Fraction object arrays, one row per piece) of the
    pre-activations of hidden layer ``layer`` on ``n`` pieces whose earlier layers have
    ``states`` (one ``(n, width)`` array per layer before ``layer``)."""
    *_, (_, A, sa, C, sc, row) = _layer_maps(net, states[:layer], n)
    return _as_fractions(A[row].to_ints(), sa), _as_fractions(C[row].to_ints(), sc)


def exact_boundaries(net: Network, states: Sequence[NDArray[Any]], b: IntArray) -> Obj:
    """The exact region boundaries ``b`` (between regions ``b`` and ``b + 1``) of regions
    whose hidden states are ``states``: each the crossing :math:`(k - c)/a` of a neuron of
    the lowest layer that switches there, from the maps on the region to its right (the
    layers below do not change there).  Only those regions' maps are computed."""
    out = np.empty(b.size, dtype=object)
    if b.size == 0:
        return out
    layer, j, k = _causes(states, b)
    right = [s[b + 1] for s in states[: layer.max()]]
    for li, (act, A, sa, C, sc, row) in enumerate(_layer_maps(net, right, b.size)):
        q = np.flatnonzero(layer == li)
        if q.size:
            out[q] = _crossings_at(cast(_Act, act), A, sa, C, sc, row[q], j[q], k[q])
    return out


def exact_from_states(
    net: Network, states: tuple[NDArray[Any], ...], n: int, lo: Any, hi: Any, cols: IntArray
) -> tuple[Obj, Obj, Obj, NDArray[np.bool_]]:
    """Exact region ends, output slopes and output intercepts of ``n`` regions whose
    hidden states ``states`` (one ``(n, width)`` array per hidden layer) are known, and
    whether the slopes of outputs ``cols`` change at each boundary: the boundaries of
    :func:`exact_boundaries`, from one pass of :func:`_layer_maps` that ends at the
    output layer.  ``lo`` and ``hi`` are the outer ends."""
    b = np.arange(n - 1)
    layer, j, k = _causes(states, b)
    edges = np.empty(n + 1, dtype=object)
    edges[0], edges[-1] = lo, hi
    for li, (act, A, sa, C, sc, row) in enumerate(_layer_maps(net, states, n)):
        if act is None:
            a = A[row].to_ints()  # one scale: the slopes change where their integers do
            kink = np.asarray((a[1:, cols] != a[:-1, cols]).any(axis=1), dtype=bool)
            return edges, _as_fractions(a, sa), _as_fractions(C[row].to_ints(), sc), kink
        q = np.flatnonzero(layer == li)
        if q.size:
            edges[q + 1] = _crossings_at(act, A, sa, C, sc, row[q + 1], j[q], k[q])
    raise AssertionError("no output layer")


def _rows(x: Limbs, rows: IntArray, slot: str) -> Limbs:
    """``x[rows]`` in a work array (valid until the next call with ``slot``)."""
    out = _work("rows_" + slot, (x.L.shape[0], rows.size, *x.L.shape[2:]), np.int64)
    return Limbs(np.take(x.L, rows, axis=1, out=out, mode="clip"))


def _crossings_at(
    act: _Act, A: Limbs, sa: Fraction, C: Limbs, sc: Fraction, rows: IntArray, j: IntArray,
    k: IntArray,
) -> list[Fraction]:  # fmt: skip
    """The exact crossings :math:`(k - c)/a` of neurons ``j`` of map rows ``rows`` with
    their knots ``k``."""
    if act.knots.is_zero():  # relu: (0 - c) / a
        s0, num = sc, -C[rows, j]
    else:
        s0 = _fgcd(act.k_scale, sc)
        num = _rescale(act.knots[k], act.k_scale, s0) - _rescale(C[rows, j], sc, s0)
    return _ratios(s0 / sa, num, A[rows, j])


def _ratios(r: Fraction, num: Limbs, den: Limbs) -> list[Fraction]:
    """``r * num / den`` entry by entry, as Fractions."""
    return ratios(num.to_ints(), den.to_ints(), r.numerator, r.denominator)


def _post(
    act: _Act, s: NDArray[Any], A: Limbs, C: Limbs, sc: Fraction
) -> tuple[Limbs, Limbs, NDArray[np.int64] | None, Fraction]:
    """Post-activation maps ``S A`` and ``S C + O`` for the states ``s``, and the scale of
    the intercepts.  Where every slope is 0 or ±1 and there are no offsets (relu, abs), the
    maps are returned as ``A, C`` with the slopes as a mask, applied as the product's
    input is laid out."""
    S = act.slopes[s]
    s1 = _fgcd(act.s_scale * sc, act.o_scale)
    plain = act.offsets.is_zero() and s1 == act.s_scale * sc
    if plain and S.L.shape[0] == 1 and np.abs(S.L).max(initial=0) <= 1:
        return A, C, S.L[0], s1
    post_c = _rescale(S * C, act.s_scale * sc, s1)
    if not act.offsets.is_zero():
        post_c = post_c + _rescale(act.offsets[s], act.o_scale, s1)
    return S * A, post_c, None, s1


def _through(
    act: _Act, s: NDArray[Any], layer: _Layer, A: Limbs, sa: Fraction, C: Limbs, sc: Fraction
) -> tuple[Limbs, Fraction, Limbs, Fraction]:
    """Maps of the next layer's pre-activations, :math:`A' = W (S A)` and
    :math:`C' = W (S C + O) + b`, for the activation states ``s``; scaled integers."""
    post_a, post_c, mask, s1 = _post(act, s, A, C, sc)
    return _affine(post_a, post_c, mask, s1, layer, act.s_scale * sa)


def _affine(
    post_a: Limbs,
    post_c: Limbs,
    mask: NDArray[np.int64] | None,
    s1: Fraction,
    layer: _Layer,
    sa: Fraction,
) -> tuple[Limbs, Fraction, Limbs, Fraction]:
    """Slopes :math:`W a` and intercepts :math:`W c + b` of a layer applied to maps with
    slopes ``post_a`` (scale ``sa``) and intercepts ``post_c`` (scale ``s1``), both times
    ``mask`` if given: one product, the biases joining it as one more input, constant on
    the intercept rows."""
    n, k = post_a.shape
    s2 = _fgcd(s1 * layer.w_scale, layer.b_scale)
    c_scale = (s1 * layer.w_scale) / s2  # integer factors onto the common scale s2
    one = Limbs.from_int((layer.b_scale / s2).numerator)
    if c_scale != 1:
        if mask is not None:
            post_a, post_c = post_a * Limbs(mask[None]), post_c * Limbs(mask[None])
        post_c, mask = post_c.scale(c_scale.numerator), None
    na, nc = post_a.L.shape[0], post_c.L.shape[0]
    x = _work("x", (max(na, nc, one.L.shape[0]), 2 * n, k + 1))  # float64 limbs for BLAS
    x[:] = 0.0
    if mask is None:
        x[:na, :n, :k] = post_a.L
        x[:nc, n:, :k] = post_c.L
    else:
        np.multiply(post_a.L, mask, out=x[:na, :n, :k], casting="unsafe")
        np.multiply(post_c.L, mask, out=x[:nc, n:, :k], casting="unsafe")
    x[: one.L.shape[0], n:, k] = one.L[:, None]
    both = product(x, layer.Wb)
    return both[:n], sa * layer.w_scale, both[n:], s2


def _exact_at(cr: _Crossings, p: IntArray, i: IntArray, k: IntArray, j: int) -> Fraction:
    """The exact crossing ``(p[j], i[j], k[j])``."""
    return cr.exact((p[j], i[j], k[j]))


def _exact_order(approx: NDArray[np.float64], exact: Any) -> tuple[IntArray, NDArray[np.bool_]]:
    """Order of values known as floats ``approx`` (within 6 ulps) and exactly via ``exact(j)``;
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
    out_layer: _Layer,
    act: _Act,
    A: Limbs,
    sa: Fraction,
    C: Limbs,
    sc: Fraction,
    edges: Obj,
    edges_f: NDArray[np.float64],
    states: list[NDArray[Any]],
    inactive: IntArray,
    cols: IntArray,
) -> ExactPartition:
    """The last hidden layer as sorted switch events with exact running sums."""
    from pwlinear._events import _accumulate, _Events

    sw = out_layer.w_scale
    n = edges.size - 1
    cr = _Crossings(A, sa, C, sc, act)
    left = cr.compare(edges, edges_f, np.arange(n))
    right = cr.compare(edges, edges_f, np.arange(1, n + 1))
    s0 = _states(cr, C, sc, act, left)
    p, i, k = np.nonzero((left > 0) & (right < 0))
    order, same = _exact_order(cr.f[p, i, k], partial(_exact_at, cr, p, i, k))
    p, i, k = p[order], i[order], k[order]
    first = ~same
    starts = np.flatnonzero(first)
    xs = np.array([*cr.exact_many(p[starts], i[starts], k[starts]), None], dtype=object)[:-1]
    up = cr.sign_a[p, i] > 0
    old = np.where(up, k, k + 1)
    new = np.where(up, k + 1, k)
    # the switches' own changes, in Python ints (one row per switch)
    a_pi, c_pi = A[p, i].to_ints(), C[p, i].to_ints()
    W_out = out_layer.W
    dS = act.slope_ints[new] - act.slope_ints[old]
    dA = (dS * a_pi)[:, None] * W_out[:, i].T
    post_a, post_c, mask, s1 = _post(act, s0, A, C, sc)
    a0, _, c0, s2 = _affine(post_a, post_c, mask, s1, out_layer, act.s_scale * sa)
    d_post = _rescale(dS * c_pi, act.s_scale * sc, s1) + _rescale(
        act.offset_ints[new] - act.offset_ints[old], act.o_scale, s1
    )
    A0, C0 = a0.to_ints(), c0.to_ints()
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
