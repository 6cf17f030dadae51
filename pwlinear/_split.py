"""Certified splitting of pieces where pre-activations cross activation knots.

On a piece every neuron of a layer is an affine map :math:`a x + c`; its
state at each end of the piece follows from the sign of the map's value
there, checked against a rigorous error bound.  A neuron crosses a knot
inside the piece exactly when its states at the two ends differ, so only the
crossing points of the neurons that cross are divided out.  What float
cannot decide is settled in exact arithmetic, piece by piece.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pwlinear._bounds import _U, FloatArray, IntArray, _local_bounds
from pwlinear._exact import to_float
from pwlinear.network import Network


class _Undecided(Exception):
    """A float comparison of the partition fell inside its error bound."""


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
    V = A * x[:-1, None]
    V += C
    V_end = A[-1] * x[-1] + C[-1]
    if knots.size == 1:
        k0 = knots[0]
        d, d_end = (V - k0, V_end - k0) if k0 != 0 else (V, V_end)
        side, side_end = (d > 0).view(np.int8), (d_end > 0).view(np.int8)
        dist, dist_end = np.abs(d, out=d), np.abs(d_end)  # d is not needed any more
    else:
        d, d_end = V[..., None] - knots, V_end[..., None] - knots
        side = np.count_nonzero(d > 0, axis=-1).astype(np.int8)
        side_end = np.count_nonzero(d_end > 0, axis=-1).astype(np.int8)
        dist = np.abs(d).min(axis=-1, initial=np.inf)
        dist_end = np.abs(d_end).min(axis=-1, initial=np.inf)
    doubt = np.zeros(n + 1, dtype=bool)
    if scale is None:
        doubt[:-1] = (dist == 0).any(axis=1)
        doubt[-1] = (dist_end == 0).any()
    else:
        a_max, ea_max, ec_max, c_max = scale
        ax = np.abs(x)
        rest = 1.01 * (ea_max * (ax + edge_err) + ec_max + _G2 * c_max)
        slope_term = 1.01 * (edge_err + _G2 * ax)
        bound = a_max * slope_term + rest
        doubt[:-1] = (dist <= bound[:-1, None]).any(axis=1)
        doubt[-1] = (dist_end <= bound[-1]).any()
        if np.count_nonzero(doubt) > 0.05 * n + 2:
            # the a priori largest slope is far too large in deep layers: use each
            # vertex's own, at the cost of one more pass
            a_row = np.maximum(A.max(axis=1), -A.min(axis=1))
            bound = np.append(a_row, a_row[-1]) * slope_term + rest
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


def _extra_ec(extra: Any, rows: IntArray | None = None) -> Any:
    """Intercept error bounds beyond the network-wide ones on pieces ``rows`` (all where
    None), :math:`\\mu u_a + \\nu u_c` for ``extra = (mu, nu, ua, uc)`` (per piece
    ``mu, nu``; per neuron the units ``ua, uc``), where a layer's intercepts came from
    continuity (:func:`pwlinear._bounds._continuity_factors`); 0 for ``extra`` None."""
    if extra is None:
        return 0.0
    mu, nu, ua, uc = extra
    if rows is not None:
        mu, nu = mu[rows], nu[rows]
    return mu[:, None] * ua[None, :] + nu[:, None] * uc[None, :]


@dataclass(frozen=True)
class _Pieces:
    """What settling one hidden layer's undecided comparisons needs: the network, the
    layer, the earlier layers' states on each piece, and the edges with what made each
    one (layer, neuron, knot; -1 for the ends of the interval), the states of each
    piece's first sibling in the earlier layers, and the factor on the bounds from the
    running sums before (:func:`pwlinear._bounds._running_scale`)."""

    net: Network
    layer: int
    dense: list[NDArray[Any]]
    edges: FloatArray
    cause: IntArray
    firsts: list[NDArray[Any]]  # per earlier layer, the states of each piece's first sibling
    scale: float = 1.0  # of the bounds, for the running sums of the layers before
    extra: Any = None  # intercept bounds beyond those, (mu, nu, ua, uc): see _extra_ec

    def local_bounds(self, rows: IntArray) -> tuple[FloatArray, FloatArray]:
        ea, ec = _local_bounds(self.net, self.dense, self.firsts, rows)
        ea, ec = (ea, ec) if self.scale == 1.0 else (self.scale * ea, self.scale * ec)
        return ea, ec + _extra_ec(self.extra, rows)

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
            for j in range(rows.size):  # the few undecided pieces; neurons at once
                x, a, c = ends[end * rows.size + j], a_all[j], c_all[j]
                if isinstance(x, float):  # an infinite end: the slope's sign, or a constant
                    v = np.where(a > 0, x, np.where(a < 0, -x, c))
                    rising = np.zeros(a.shape, dtype=bool)
                else:
                    v = a * x + c
                    rising = np.asarray(a * toward > 0, dtype=bool)
                side = sum((np.asarray(v > kn, dtype=np.int8) for kn in knots), np.int8(0))
                on = np.zeros(a.shape, dtype=bool)
                for kn in knots:
                    on |= np.asarray(v == kn, dtype=bool)
                out[end, j] = side + (rising & on)
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


_SPLIT = 134217729.0  # 2**27 + 1: Dekker's splitting of a float into two halves


def _two_sum(a: Any, b: Any) -> tuple[Any, Any]:
    """Knuth's TwoSum: the float ``s = a + b`` and its exact error ``a + b - s`` (floats or
    arrays; the sweep compiles this same function)."""
    s = a + b
    bp = s - a
    return s, (a - (s - bp)) + (b - bp)


def _sum_error(a: Any, b: Any, s: Any) -> Any:
    """The exact error ``a + b - s`` of the float sum ``s = a + b``: :func:`_two_sum`'s,
    given ``s`` (floats or arrays; the sweep compiles this same function)."""
    bp = s - a
    return (a - (s - bp)) + (b - bp)


def _numerator(k: Any, c: Any, c_lo: Any) -> Any:
    """:math:`k - (c + c_{lo})` rounded once but for a tiny error: :math:`k - c` split into
    its float and its error (:func:`_two_sum`, written out so that the sweep can compile
    this function too), the error joined to :math:`-c_{lo}` first.  With ``c_lo`` 0 it is
    the float :math:`k - c` (same bits); a knot that cancels most of a compensated
    intercept keeps its digits."""
    s = k - c
    bp = s - k
    return s + (((k - (s - bp)) + (-c - bp)) - c_lo)


def _product_error(X: FloatArray, Y: FloatArray, P: FloatArray) -> FloatArray:
    """The exact rounding errors :math:`XY - P` of the products ``P = X * Y`` (Dekker's
    splitting, exact unless a product nears the underflow range or a factor the overflow
    range; those few are computed exactly): what a fused multiply-add finds, bit for bit."""
    cx = _SPLIT * X
    xh = cx - (cx - X)
    xl = X - xh
    cy = _SPLIT * Y
    yh = cy - (cy - Y)
    yl = Y - yh
    E = ((xh * yh - P) + xh * yl + xl * yh) + xl * yl
    big = 2.0**995
    odd = (np.abs(P) < 2.0**-900) & (X != 0) & (Y != 0) | (np.abs(X) > big) | (np.abs(Y) > big)
    for idx in np.argwhere(odd):  # x y - p rounded once, as a fused multiply-add
        at = tuple(idx)
        E[at] = to_float(Fraction(X[at]) * Fraction(Y[at]) - Fraction(P[at]))
    return E  # type: ignore[no-any-return]


def _dot2(
    X: FloatArray,
    Y: FloatArray,
    init: FloatArray | None = None,
    split: bool = False,
    X_err: FloatArray | None = None,
) -> Any:
    """Row by row, :math:`\\sum_t (X_t + X^{err}_t) Y_t` (plus ``init``), as accurate as if
    summed in twice the precision and then rounded (Ogita, Rump and Oishi's Dot2): every
    product split into its float and its exact rounding error
    (:func:`_product_error`), every sum into its float and its error (Knuth's TwoSum),
    in order, with the errors (and :math:`X^{err}_t Y_t`, for factors that are
    themselves rounded) added at the end.  Its error is at most about
    :math:`u|r| + \\gamma_n^2 \\sum_t |X_t Y_t|`, within the bound of a plain sum.  With
    ``split``, the sum and its error unadded.

    The compiled sweep does the same operations one row at a time, with each product's
    error from a fused multiply-add: the same error, so the same bits."""
    P = X * Y
    E = _product_error(X, Y, P)
    if X_err is not None:
        E = E + X_err * Y
    s = np.zeros(X.shape[0])
    comp = np.zeros(X.shape[0])
    for t in range(X.shape[1]):
        s, err = _two_sum(s, P[:, t])
        comp = comp + (err + E[:, t])
    if init is not None:
        s, err = _two_sum(s, init)
        comp = comp + err
    return (s, comp) if split else s + comp


_FEW_ROWS = 4  # products of this many rows or fewer are summed in order (_product)


def _product(X: FloatArray, WT: FloatArray) -> FloatArray:
    """:math:`X W^T` (``WT`` C-contiguous), by BLAS; but with at most :data:`_FEW_ROWS`
    rows and 8 columns or more (the first hidden layer's product, on one piece) each
    entry summed in order, :math:`(x_0 w_0 + x_1 w_1) + \\dots`, every product and sum
    rounded, as the sweep's :func:`pwlinear._sweep._product` sums them (BLAS takes two
    to four times as long there).  In blocks of about a million terms."""
    rows, n = X.shape
    if rows > _FEW_ROWS or WT.shape[1] < 8 or n == 0:
        return X @ WT  # type: ignore[no-any-return]
    out = X[:, 0, None] * WT[0]
    step = max(1, (1 << 20) // (rows * WT.shape[1]))
    for u in range(1, n, step):
        terms = X[:, u : u + step, None] * WT[u : u + step]
        terms[:, 0] += out
        out = np.add.accumulate(terms, axis=1)[:, -1]
    return out


def _compensated_product(X: FloatArray, WT: FloatArray) -> tuple[FloatArray, FloatArray]:
    """:math:`X W^T` (``X`` of a few rows, one or more columns) with each entry summed in
    order as :func:`_product` sums few rows, and the sum of its rounding errors: each
    product's exact error (:func:`_product_error`) and each sum's (:func:`_sum_error`),
    added in order, :math:`e_0 + (e_1 + e'_1) + \\dots` -- Ogita, Rump and Oishi's Dot2,
    whose float and error together are nearly correctly rounded -- as the sweep's
    :func:`pwlinear._sweep._compensated_product` adds them (the same bits).  In blocks
    of about a million terms."""
    rows, n = X.shape
    x, w = np.broadcast_arrays(X[:, 0, None], WT[0])
    out = x * w
    lo = _product_error(x, w, out)
    step = max(1, (1 << 20) // (rows * WT.shape[1]))
    for u in range(1, n, step):
        x, w = np.broadcast_arrays(X[:, u : u + step, None], WT[u : u + step])
        terms = x * w
        sums = np.add.accumulate(np.concatenate([out[:, None], terms], axis=1), axis=1)
        err = _product_error(x, w, terms) + _sum_error(sums[:, :-1], terms, sums[:, 1:])
        lo = np.add.accumulate(np.concatenate([lo[:, None], err], axis=1), axis=1)[:, -1]
        out = sums[:, -1]
    return out, lo


def _running_errors(
    hi: FloatArray, lo0: FloatArray, d: FloatArray, w: FloatArray, steps: FloatArray
) -> FloatArray:
    """The rounding errors of one parent's running sums ``hi[r] = hi[r - 1] + steps[r -
    1]`` (rows), whose steps are the products ``d[:, None] * w``: from ``lo0`` (the first
    row's), each step's product and sum errors added in order, ``lo[r] = lo[r - 1] +
    (e + e')``, as the sweep's :func:`pwlinear._sweep._compensated_sums` adds them.  With
    exact ``d`` and ``w``, ``hi + lo`` is as accurate as Dot2 of every term since the
    first row's product."""
    d2, w2 = np.broadcast_arrays(d[:, None], w)
    err = _product_error(d2, w2, steps)
    err += _sum_error(hi[:-1], steps, hi[1:])
    return np.cumsum(np.concatenate([lo0, err]), axis=0)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class _Before:
    """The first hidden layer on the second one's pieces: its activation's slopes and
    offsets, its maps ``A, C`` on each piece's parent, the parent of each piece and its
    states there, and the weights ``W, b`` into the second layer; and under relu's table
    (:func:`_compensates`), the second layer's maps ``A2, C2`` on its pieces, nearly
    correctly rounded, with the intercepts' errors ``C2_lo`` (``compensated``).

    The second layer's maps come from a product on each parent's first child and running
    sums of rank-one updates on its later children, which lose digits where the updates
    cancel.  :meth:`maps` gives the map of a crossing neuron nearly correctly rounded
    from the first layer's maps, which are exact, so nearly so are its crossings
    (:func:`_numerator` keeps the digits a knot cancels): with relu's table the
    post-activations are exact, and the running sums carry their rounding errors
    (:func:`_compensated_product` on the one piece of the first layer, then
    :func:`_running_errors` along its children), so that the second layer's maps are
    their rounded sums, as in the sweep; else the map is one product of the neuron's
    weights with the piece's post-activations by :func:`_dot2`.  Deeper, the parents'
    maps carry the rounding of the layers below, which a more accurate product cannot
    remove: there the running sums stay."""

    slopes: FloatArray
    offsets: FloatArray
    A: FloatArray
    C: FloatArray
    parent: IntArray
    s: NDArray[Any]
    W: FloatArray
    b: FloatArray
    compensated: tuple[FloatArray, FloatArray, FloatArray] | None = None

    def maps(self, p: IntArray, i: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Slopes and intercepts of neurons ``i`` on pieces ``p``, :math:`W_i (S A)` and
        :math:`W_i (S C + O) + b_i`, the intercepts as sums and their errors."""
        if self.compensated is not None:
            A2, C2, C2_lo = self.compensated
            return A2[p, i], C2[p, i], C2_lo[p, i]
        st, rows, w = self.s[p], self.parent[p], self.W[i]
        slope, offset, A, C = self.slopes[st], self.offsets[st], self.A[rows], self.C[rows]
        # the post-activations and their rounding errors (a leaky slope's product, an
        # offset's sum), so that the products count them too
        xa = slope * A
        a = _dot2(xa, w, X_err=_product_error(slope, A, xa))
        xc0 = slope * C
        xc, sum_err = _two_sum(xc0, offset)
        xc_err = _product_error(slope, C, xc0) + sum_err
        c_hi, c_lo = _dot2(xc, w, self.b[i], split=True, X_err=xc_err)
        return a, c_hi, c_lo


def _compensates(slopes: FloatArray, offsets: FloatArray) -> bool:
    """Whether the second hidden layer's maps are compensated, nearly correctly rounded
    (:class:`_Before`): where the first layer's activation table is relu's (every slope 0
    or 1, every offset 0), whose post-activations and switch effects are exact."""
    return bool(np.isin(slopes, (0.0, 1.0)).all() and not offsets.any())


def _split(
    A: FloatArray,
    C: FloatArray,
    edges: FloatArray,
    edge_err: FloatArray,
    knots: FloatArray,
    bounds: tuple[Any, Any, Any] | None,
    pieces: _Pieces,
    before: _Before | None = None,
) -> tuple[
    NDArray[np.int8],
    NDArray[np.int8],
    IntArray,
    IntArray,
    IntArray,
    FloatArray,
    FloatArray,
    IntArray,
    FloatArray,
    FloatArray,
]:
    """Where the pre-activations ``A x + C`` of each piece cross the activation's knots.

    Returns the states just right of each piece's left end and just left of its right end,
    and the crossings sorted by position: piece, neuron, knot, point, error bound, tie rank
    and the neuron's slope and intercept on the piece (from ``before`` where given: see
    :class:`_Before`; within the same bounds).  A
    neuron crosses inside a piece exactly when its states at the two ends differ, so only
    the crossing points themselves are divided out.  With ``bounds`` every state and the
    order of the crossings in each piece are certified: first for whole vertices, then
    neuron by neuron with the network-wide bounds, then with each piece's own bounds, and
    what those cannot decide is settled exactly, piece by piece (``pieces``).  Exactly
    equal crossings get equal ``tie`` ranks (the caller groups or rejects them).
    """
    lo, hi = edges[:-1], edges[1:]
    scale = None if bounds is None else bounds[2]
    s_right, s_left, doubt = _vertex_states(A, C, edges, edge_err, knots, scale)
    ea: Any = None
    ec: Any = None
    if bounds is not None:  # per neuron for all pieces; per piece once some have their own
        ea, ec = bounds[0], bounds[1]

    def at(v: FloatArray, rows: IntArray, neurons: IntArray | None = None) -> FloatArray:
        if neurons is not None:
            return v[rows, neurons] if v.ndim == 2 else v[neurons]  # type: ignore[no-any-return]
        return v[rows] if v.ndim == 2 else np.broadcast_to(v, (rows.size, v.size))

    def decide(rows: IntArray, own: bool) -> NDArray[np.bool_]:
        """Recompute the states of pieces ``rows``; which of them are still uncertain."""
        nonlocal ea, ec
        b = None
        if bounds is not None:
            b = (at(ea, rows), at(ec, rows))
            if own:  # both bound the error: the smaller does (a piece's own bounds take the
                # slopes along the running sums, which can exceed the network's largest)
                own_a, own_c = pieces.local_bounds(rows)
                b = (np.minimum(own_a, b[0]), np.minimum(own_c, b[1]))
        args = (A[rows], C[rows])
        s_right[rows], ok_r = _end_states(*args, lo[rows], edge_err[:-1][rows], knots, b, 1)
        s_left[rows], ok_l = _end_states(*args, hi[rows], edge_err[1:][rows], knots, b, -1)
        if own and b is not None:
            ea, ec = (np.broadcast_to(v, A.shape).copy() for v in (ea, ec))
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
    if before is None:
        a, c = A[p, i], C[p, i]
        c_hi, c_lo = c, np.zeros(c.size)
    else:
        a, c_hi, c_lo = before.maps(p, i)
        c = c_hi + c_lo
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = np.clip(_numerator(knots[m], c_hi, c_lo) / a, lo[p], hi[p])
    order = np.lexsort((x, p))
    p, i, m, x, a, c = p[order], i[order], m[order], x[order], a[order], c[order]
    tie = np.zeros(x.size, dtype=np.intp)
    if bounds is None:
        return s_right, s_left, p, i, m, x, np.zeros(x.size), tie, a, c

    def crossing_error() -> FloatArray:
        """Bounds on the crossings' errors.

        :math:`t = (k - c)/a` computed from :math:`|c - \\hat c| \\le e_c` and
        :math:`|a - \\hat a| \\le e_a < |\\hat a|` is within
        :math:`(e_n + |n| e_a / |a|)/(|a| - e_a) + 2u|t|` of the exact crossing, where
        :math:`n = k - c` and :math:`e_n = e_c + u|n|`; with :math:`|n| \\le |t||a|(1 + u)`
        that is at most :math:`\\alpha + \\beta |t|`, :math:`\\alpha = 1.01 e_c/(|a| - e_a)`,
        :math:`\\beta = 1.01 (u|a| + e_a)/(|a| - e_a) + 2.02u`.
        """
        mag, e_a, e_c = np.abs(a), at(ea, p, i), at(ec, p, i)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.01 / (mag - e_a)
            e = e_c * inv + ((_U * mag + e_a) * inv + 2.02 * _U) * np.abs(x)
        e[~(mag > e_a)] = np.inf
        # a crossing rounded onto an end of its piece is within that end's error too
        for end, err in ((lo[p], edge_err[p]), (hi[p], edge_err[p + 1])):
            on_end = x == end
            if on_end.any():
                e[on_end] += err[on_end]
        return e  # type: ignore[no-any-return]

    def unordered(e: FloatArray) -> IntArray:
        """Pieces with a crossing whose bound fails, or two too close to order."""
        bad = np.flatnonzero((np.diff(x) <= e[1:] + e[:-1]) & (p[1:] == p[:-1])) + 1
        failed = np.isinf(e)
        if bad.size == 0 and not failed.any():
            return bad
        return np.unique(np.concatenate((p[failed], p[bad])))

    e = crossing_error()
    rows = unordered(e)
    if rows.size:
        fresh = rows[~is_local[rows]]
        if fresh.size and decide(fresh, own=True).any():
            raise _Undecided("a state certain with network-wide bounds but not with local ones")
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
        x[sel] = np.clip([to_float(q) for q in exact], lo[p[sel]], hi[p[sel]])
        e[sel] = 2.02 * _U * np.abs(x[sel]) + 1e-300
        e[sel] += np.where(x[sel] == lo[p[sel]], edge_err[p[sel]], 0)
        e[sel] += np.where(x[sel] == hi[p[sel]], edge_err[p[sel] + 1], 0)
        order = np.lexsort((tie, x, p))
        p, i, m, x, e, tie = p[order], i[order], m[order], x[order], e[order], tie[order]
        a, c = a[order], c[order]
    return s_right, s_left, p, i, m, x, e, tie, a, c


def _insert(
    edges: FloatArray, x: FloatArray, p: IntArray
) -> tuple[FloatArray, IntArray, IntArray, IntArray]:
    """Edges with the sorted points ``x`` (inside pieces ``p``) inserted: the new edges, the
    parent piece of each new piece, the index of the piece that begins at each point, and the
    index of each old edge."""
    n_pieces = edges.size - 1
    per_piece = np.bincount(p, minlength=n_pieces)
    at_point = np.arange(x.size) + p + 1
    at_edge = np.arange(n_pieces + 1)
    at_edge[1:] += np.cumsum(per_piece)
    new = np.empty(edges.size + x.size)
    new[at_edge] = edges
    new[at_point] = x
    parent = np.repeat(np.arange(n_pieces), per_piece + 1)
    return new, parent, at_point, at_edge
