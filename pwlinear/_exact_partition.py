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
from pwlinear._limbs import Limbs, _work, product, rowdot
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

    def exact_many(self, p: IntArray, i: IntArray, k: IntArray) -> Obj:
        """Exact crossings ``(p, i, k)``, converting only those entries."""
        if p.size == 0:
            return np.empty(0, dtype=object)
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
    """The Fractions ``ints * scale`` as an object array of the same shape."""
    values = dyadic_fractions(ints.reshape(-1), scale.numerator, scale.denominator)
    return np.fromiter(values, dtype=object, count=len(values)).reshape(ints.shape)


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
        act = cast(_Act, act)
        if li == 0:  # the first layer's maps are one row: products of states only
            A, sa, C, sc, row = _second_layer(net, states[0])
            continue
        x, sc, row = _next_inputs(act, states[li], A, C, sc, row, layers[li + 1])
        both, m = product(x, layers[li + 1].Wb), x.shape[1] // 2
        A, sa, C = both[:m], act.s_scale * sa * layers[li + 1].w_scale, both[m:]


def _second_layer(
    net: Network, s: NDArray[Any]
) -> tuple[Limbs, Fraction, Limbs, Fraction, IntArray]:
    r"""The second hidden layer's (or the output layer's) maps on its pieces, with their
    scales and each region's piece, from the first hidden layer's states ``s``.

    The first layer's maps are the same on every region, :math:`a = W_1`, :math:`c = b_1`
    (the input's column), so the next layer's are products of the states' slopes
    :math:`S` and offsets :math:`O` with fixed matrices (:func:`_second_rows`):

    .. math:: A = S (a \circ W_2^T), \qquad C = S (c \circ W_2^T) + O W_2^T + b_2,

    one product with one row per piece, against two rows per piece of
    :func:`_next_inputs` (whose slopes and intercepts pass the states as a mask).
    """
    _, acts = _limb_net(net)
    act = acts[0]
    start = np.concatenate(([True], (s[1:] != s[:-1]).any(axis=1)))
    first = s[start].astype(np.intp)
    rows, sa, sc = _second_rows(net)
    inputs = [act.slopes[first].L]
    if not act.offsets.is_zero():
        inputs.append(act.offsets[first].L)
    n = max(v.shape[0] for v in inputs)
    x = np.zeros((n, first.shape[0], rows.shape[0]))
    at = 0
    for v in inputs:
        x[: v.shape[0], :, at : at + v.shape[2]] = v
        at += v.shape[2]
    x[0, :, at] = 1.0  # the biases' input
    both, width = product(x, rows), rows.shape[1] // 2
    return both[:, :width], sa, both[:, width:], sc, np.cumsum(start) - 1


def _second_rows(net: Network) -> tuple[Limbs, Fraction, Fraction]:
    r"""The fixed matrices of :func:`_second_layer` as one integer matrix, with the scales of
    its slopes and intercepts: rows for the states' slopes, then (where the first
    activation has offsets) for its offsets, then for the biases; the columns give
    :math:`A` then :math:`C` (the intercepts' parts multiplied onto their common scale)."""
    cached = net._cache.get("exact_second_rows")
    if cached is None:
        layers, acts = _limb_net(net)
        act, first, layer = acts[0], layers[0], layers[1]
        Wt = Limbs(layer.Wt.L)
        t_c = act.s_scale * first.b_scale * layer.w_scale  # the scales of S (c W^T), O W^T, b
        t_o, t_b = act.o_scale * layer.w_scale, layer.b_scale
        offsets = not act.offsets.is_zero()
        sc = _fgcd(_fgcd(t_c, t_b), t_o) if offsets else _fgcd(t_c, t_b)
        parts = [  # (row block, column block) of each nonzero part
            (0, 0, Wt * Limbs(first.Wt.L[:, 0, :, None])),
            (0, 1, (Wt * Limbs(first.b.L[:, :, None])).scale((t_c / sc).numerator)),
            (2, 1, Limbs(layer.b.L[:, None, :]).scale((t_b / sc).numerator)),
        ]
        if offsets:
            parts.append((1, 1, Wt.scale((t_o / sc).numerator)))
        n_in, width = Wt.shape
        starts = [0, n_in, n_in * (1 + offsets)]
        L = np.zeros((max(v.L.shape[0] for *_, v in parts), starts[2] + 1, 2 * width), np.int64)
        for r, c, v in parts:
            L[: v.L.shape[0], starts[r] : starts[r] + v.shape[0], c * width : (c + 1) * width] = v.L
        sa = act.s_scale * first.w_scale * layer.w_scale
        cached = net._cache["exact_second_rows"] = (Limbs(L), sa, sc)
    return cached  # type: ignore[no-any-return]


def _next_inputs(
    act: _Act, s: NDArray[Any], A: Limbs, C: Limbs, sc: Fraction, row: IntArray, layer: _Layer
) -> tuple[NDArray[np.float64], Fraction, IntArray]:
    """The inputs of :func:`_affine_inputs` for the next layer ``layer`` on its pieces, their
    intercepts' scale, and each region's piece, from this layer's maps ``A, C`` (intercept
    scale ``sc``) with regions' rows ``row`` and states ``s``."""
    # a piece of the next layer's maps begins wherever this layer's states change
    start = np.concatenate(([True], (row[1:] != row[:-1]) | (s[1:] != s[:-1]).any(axis=1)))
    first = np.flatnonzero(start)
    rows = row[first]
    post_a, post_c, mask, s1 = _post(
        act, s[first].astype(np.intp), _rows(A, rows, "a"), _rows(C, rows, "c"), sc
    )
    x, s2 = _affine_inputs(post_a, post_c, mask, s1, layer)
    return x, s2, np.cumsum(start) - 1


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
    """Exact region ends, slopes and intercepts of outputs ``cols`` of ``n`` regions whose
    hidden states ``states`` (one ``(n, width)`` array per hidden layer) are known, and
    whether those slopes change at each boundary: the boundaries of
    :func:`exact_boundaries`, from one pass of :func:`_layer_maps` that ends at the
    output layer, or at the layer before the last hidden one where :func:`_last_two`
    takes the last two layers together for fewer products.  ``lo`` and ``hi`` are the
    outer ends."""
    b = np.arange(n - 1)
    layer, j, k = _causes(states, b)
    edges = np.empty(n + 1, dtype=object)
    edges[0], edges[-1] = lo, hi
    last = len(states) - 1  # the last hidden layer
    for li, (act, A, sa, C, sc, row) in enumerate(_layer_maps(net, states, n)):
        if act is None:
            A, C = A[row][:, cols], C[row][:, cols]
            break
        q = np.flatnonzero(layer == li)
        if q.size:  # (the first layer's are the same on every region: computed once)
            edges[q + 1] = (
                _first_crossings(net)[j[q], k[q]]
                if li == 0
                else _crossings_at(act, A, sa, C, sc, row[q + 1], j[q], k[q])
            )
        if li == last - 1 and _fewer_products(net, A, C, row, states[li], states[last], cols):
            q = np.flatnonzero(layer == last)
            A, sa, C, sc, xs = _last_two(net, act, states[li], A, sa, C, sc, row, states[last],
                                         cols, row_q=q + 1, j=j[q], k=k[q])  # fmt: skip
            edges[q + 1] = xs
            break
        if li == last and li and cols.size == 1:  # (one output: dots beat a product)
            A, sa, C, sc = _outputs(net, act, states[li], A, sa, C, sc, row, cols)
            break
    else:
        raise AssertionError("no output layer")
    a = A.to_ints()  # one scale: the slopes change where their integers do
    kink = np.asarray((a[1:] != a[:-1]).any(axis=1), dtype=bool)
    return edges, _as_fractions(a, sa), _as_fractions(C.to_ints(), sc), kink


def _outputs(
    net: Network, act: _Act, s: NDArray[Any], A: Limbs, sa: Fraction, C: Limbs, sc: Fraction,
    row: IntArray, cols: IntArray,
) -> tuple[Limbs, Fraction, Limbs, Fraction]:  # fmt: skip
    r"""Slopes and intercepts (with their scales) of outputs ``cols`` on every region from
    the last hidden layer's maps ``A, C`` (regions' rows ``row``, states ``s``): the dot
    products of :func:`_masked_dots` of the output weights with the post-activation maps,
    :math:`V S_r a` and :math:`V (S_r c + O_r) + b`.

    For one output this is faster than the product of :func:`_through` (about 1.15x on
    1x64x64x1: the states need not mask the maps), for several it is slower (one small
    matrix product per region and output)."""
    out = _limb_net(net)[0][-1]
    V = Limbs(out.Wt.L[:, :, cols].transpose(0, 2, 1)[:, None])
    A_out, sa_out, terms = _masked_dots(V, act, s, A, sa, C, sc, row)
    C_out, sc_out = _sum_scaled(
        [(v, t * out.w_scale) for v, t in terms] + [(out.b[cols], out.b_scale)]
    )
    return A_out, sa_out * out.w_scale, C_out, sc_out


def _first_crossings(net: Network) -> Obj:
    """The crossings :math:`(k - c)/a` of the first hidden layer's neurons (rows) with its
    activation's knots (columns), None where :math:`a = 0`: its maps are the same on every
    region, so its crossings are computed once per network."""
    out = net._cache.get("exact_first_crossings")
    if out is None:
        layers, acts = _limb_net(net)
        A, C = _first_layer(layers[0], 1)
        width, knots = A.shape[1], acts[0].knots.shape[0]
        j, k = np.nonzero(np.repeat(A.sign()[0][:, None] != 0, knots, axis=1))
        out = np.full((width, knots), None, dtype=object)
        out[j, k] = _crossings_at(
            acts[0], A, layers[0].w_scale, C, layers[0].b_scale, np.zeros_like(j), j, k
        )
        net._cache["exact_first_crossings"] = out
    return cast(Obj, out)


def _fewer_products(
    net: Network, A: Limbs, C: Limbs, row: IntArray, s: NDArray[Any], s_last: NDArray[Any],
    cols: IntArray,
) -> bool:  # fmt: skip
    """Whether :func:`_last_two` pays: from the maps ``A, C`` of the layer before the last
    hidden one (states ``s``), the layer by layer pass computes two rows of the last hidden
    layer's maps per piece (one for each change of ``row`` or ``s``) for each pair of limbs
    of those maps and the weights, :func:`_last_two` one row per region and output for
    each limb of its states' slopes and of :func:`_output_rows`; below
    :data:`_FUSED_MIN` multiply-adds the fixed costs of its dot products dominate."""
    layers, acts = _limb_net(net)
    Wb = layers[-2].Wb.L
    pieces = 1 + np.count_nonzero((row[1:] != row[:-1]) | (s[1:] != s[:-1]).any(axis=1))
    by_layer = 2 * pieces * max(A.L.shape[0], C.L.shape[0]) * Wb.shape[0]
    if by_layer * Wb.shape[1] * Wb.shape[2] < _FUSED_MIN:
        return False
    limbs = acts[-1].slopes.L.shape[0] * _output_rows(net, cols).L.shape[0]
    return bool(s_last.shape[0] * cols.size * limbs < _FUSED_SHARE * by_layer)


# measured (interleaved, against the layer by layer pass): _last_two is 1.46x faster on
# 1x64x64x64x1 and 2.4x on 1x128x128x128x1 (a fifth of the rows times limbs), as fast on
# 1x32x32x32x1 (a quarter), 0.93-0.95x at a half (1x128x128x1, 1x256x256x1, 1x64x64x64x4)
_FUSED_SHARE = 0.35
_FUSED_MIN = 1 << 21


def _output_rows(net: Network, cols: IntArray) -> Limbs:
    """:math:`M_{jc} = V_{cj} (W_j, b_j)`: the last hidden layer's rows of weights and bias
    (``Wb`` transposed), times each output ``c`` of ``cols``'s weight ``V_{cj}`` on it,
    as ``(width, cols, inputs + 1)`` limbs (computed once per network and outputs)."""
    key = "exact_output_rows_" + ",".join(map(str, cols.tolist()))
    M = net._cache.get(key)
    if M is None:
        layers, _ = _limb_net(net)
        rows = Limbs(layers[-2].Wb.L.transpose(0, 2, 1)[:, :, None, :])
        M = rows * Limbs(layers[-1].Wt.L[:, :, cols][..., None])
        net._cache[key] = M
    return cast(Limbs, M)


def _last_two(
    net: Network, act: _Act, s: NDArray[Any], A: Limbs, sa: Fraction, C: Limbs, sc: Fraction,
    row: IntArray, s_last: NDArray[Any], cols: IntArray, row_q: IntArray, j: IntArray,
    k: IntArray,
) -> tuple[Limbs, Fraction, Limbs, Fraction, Obj]:  # fmt: skip
    r"""The last hidden layer's crossings ``(row_q, j, k)`` and the slopes and intercepts
    (with their scales) of outputs ``cols`` on every region, from the maps ``A, C`` of the
    layer before (states ``s``, regions' rows ``row``) and the last one's states
    ``s_last``, without that layer's maps.

    Region :math:`r` has the output slopes and intercepts of the layer before's maps
    through

    .. math:: u_r = \sum_j S_{rj} V_{cj} (W_j, b_j),

    its states' slopes :math:`S_r` times :func:`_output_rows`: one product with one row
    per region instead of two rows of the last hidden layer's maps per piece, then the
    dot products of :func:`_masked_dots` (plus the output biases and the activation's
    offsets).  The crossings are those dot products for one neuron's weights each.
    """
    layers, acts = _limb_net(net)
    layer, out, act_l = layers[-2], layers[-1], acts[-1]
    xs = np.empty(0, dtype=object)
    if row_q.size:  # the crossings need that layer's maps at one neuron each
        w = Limbs(layer.Wt.L[:, :, j].transpose(0, 2, 1)[:, :, None])
        a_q, sa_q, terms = _masked_dots(w, act, s[row_q], A, sa, C, sc, row[row_q])
        terms = [(v, t * layer.w_scale) for v, t in terms]
        c_q, sc_q = _sum_scaled([*terms, (layer.b[j][:, None], layer.b_scale)])
        xs = _crossings_at(
            act_l, a_q, sa_q * layer.w_scale, c_q, sc_q, np.arange(row_q.size),
            np.zeros_like(j), k,
        )  # fmt: skip
    M = _output_rows(net, cols)
    lm, width, nc, inputs = M.L.shape
    u = product(act_l.slopes[s_last].L.astype(np.float64), Limbs(M.L.reshape(lm, width, -1)))
    u = Limbs(u.L.reshape(-1, s_last.shape[0], nc, inputs))
    A_out, sa_out, terms = _masked_dots(u[..., :-1], act, s, A, sa, C, sc, row)
    scale = act_l.s_scale * out.w_scale  # of u, times the layer's weights' or biases'
    sa_out *= scale * layer.w_scale
    terms = [(v, t * scale * layer.w_scale) for v, t in terms]
    terms.append((u[..., -1], scale * layer.b_scale))
    if not act_l.offsets.is_zero():
        offsets = act_l.offsets[s_last].L.astype(np.float64)
        terms.append((product(offsets, Limbs(out.Wt.L[:, :, cols])), act_l.o_scale * out.w_scale))
    terms.append((out.b[cols], out.b_scale))
    C_out, sc_out = _sum_scaled(terms)
    return A_out, sa_out, C_out, sc_out, xs


def _masked_dots(
    w: Limbs, act: _Act, s: NDArray[Any], A: Limbs, sa: Fraction, C: Limbs, sc: Fraction,
    rows: IntArray,
) -> tuple[Limbs, Fraction, list[tuple[Limbs, Fraction]]]:  # fmt: skip
    r"""Dot products of weights ``w`` (scale 1; entries ``(e, outputs, width)``) with the
    post-activation maps of a layer whose maps are ``A, C`` on pieces ``rows`` and whose
    states are ``s`` (entries ``(e, width)``): :math:`w \cdot S a` with its scale, and the
    terms (integers with scales) of :math:`w \cdot (S c + O)`.

    The states' slopes mask the weights (for a relu, zeros them) rather than the maps,
    so the maps' rows are only gathered."""
    S = act.slopes[s][:, None, :]
    ws = (w * S).L.astype(np.float64)
    A_w = rowdot(ws, A.L[:, rows, None].astype(np.float64))
    terms = [(rowdot(ws, C.L[:, rows, None].astype(np.float64)), act.s_scale * sc)]
    if not act.offsets.is_zero():
        offsets = act.offsets[s][:, None, :].L.astype(np.float64)
        terms.append((rowdot(w.L.astype(np.float64), offsets), act.o_scale))
    return A_w, act.s_scale * sa, terms


def _sum_scaled(terms: list[tuple[Limbs, Fraction]]) -> tuple[Limbs, Fraction]:
    """The sum of integers ``v`` at scales ``t`` for ``(v, t)`` in ``terms`` (broadcasting),
    as integers at their common scale, and that scale."""
    scale = terms[0][1]
    for _, t in terms[1:]:
        scale = _fgcd(scale, t)
    parts, shifts = [], []
    for v, t in terms:  # each factor an odd int (mostly 1: float scales) times 2**e
        f = (t / scale).numerator
        e = (f & -f).bit_length() - 1
        parts.append(v.scale(f >> e))
        shifts.append(e)
    return Limbs.shifted_sum(parts, shifts), scale


def _rows(x: Limbs, rows: IntArray, slot: str) -> Limbs:
    """``x[rows]`` in a work array (valid until the next call with ``slot``)."""
    out = _work("rows_" + slot, (x.L.shape[0], rows.size, *x.L.shape[2:]), np.int64)
    return Limbs(np.take(x.L, rows, axis=1, out=out, mode="clip"))


def _crossings_at(
    act: _Act, A: Limbs, sa: Fraction, C: Limbs, sc: Fraction, rows: IntArray, j: IntArray,
    k: IntArray,
) -> Obj:  # fmt: skip
    """The exact crossings :math:`(k - c)/a` of neurons ``j`` of map rows ``rows`` with
    their knots ``k``."""
    if act.knots.is_zero():  # relu: (0 - c) / a
        s0, num = sc, -C[rows, j]
    else:
        s0 = _fgcd(act.k_scale, sc)
        num = _rescale(act.knots[k], act.k_scale, s0) - _rescale(C[rows, j], sc, s0)
    return _ratios(s0 / sa, num, A[rows, j])


def _ratios(r: Fraction, num: Limbs, den: Limbs) -> Obj:
    """``r * num / den`` entry by entry, as an object array of Fractions."""
    values = ratios(num.to_ints(), den.to_ints(), r.numerator, r.denominator)
    return np.fromiter(values, dtype=object, count=len(values))


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
    ``mask`` if given: one product of :func:`_affine_inputs` and the weights."""
    x, s2 = _affine_inputs(post_a, post_c, mask, s1, layer)
    both, n = product(x, layer.Wb), post_a.shape[0]
    return both[:n], sa * layer.w_scale, both[n:], s2


def _affine_inputs(
    post_a: Limbs, post_c: Limbs, mask: NDArray[np.int64] | None, s1: Fraction, layer: _Layer
) -> tuple[NDArray[np.float64], Fraction]:
    """The product's input: float64 limbs ``x`` of shape ``(limbs, 2 n, k + 1)`` whose
    rows are ``post_a`` then ``post_c`` times an integer factor (both times ``mask`` if
    given), with one more column, 0 on the slope rows and an integer on the intercept
    rows, that meets the biases (the last row of ``layer.Wb``).  So ``x @ layer.Wb``
    is the slopes (at the slopes' scale times ``layer.w_scale``) over the intercepts, at
    the returned scale."""
    n, k = post_a.shape
    s2 = _fgcd(s1 * layer.w_scale, layer.b_scale)
    c_scale = (s1 * layer.w_scale) / s2  # integer factors onto the common scale s2
    one = Limbs.from_int((layer.b_scale / s2).numerator)
    if c_scale != 1:
        if mask is not None:
            post_a, post_c = post_a * Limbs(mask[None]), post_c * Limbs(mask[None])
        post_c, mask = post_c.scale(c_scale.numerator), None
    x = _work("x", (max(post_a.L.shape[0], post_c.L.shape[0], one.L.shape[0]), 2 * n, k + 1))
    for rows, L in ((slice(0, n), post_a.L), (slice(n, 2 * n), post_c.L)):  # float64 limbs
        if mask is None:
            x[: L.shape[0], rows, :k] = L
        else:
            np.multiply(L, mask, out=x[: L.shape[0], rows, :k], casting="unsafe")
        x[L.shape[0] :, rows, :k] = 0.0  # (every entry is written once)
    x[:, :, k] = 0.0
    x[: one.L.shape[0], n:, k] = one.L[:, None]
    return x, s2


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
    xs = cr.exact_many(p[starts], i[starts], k[starts])
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
