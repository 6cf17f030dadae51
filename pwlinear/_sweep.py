"""The certified float partition as a compiled sweep along the line (numba).

Layer by layer, every piece of the line carries the affine maps
:math:`a_j x + c_j` of the layer's pre-activations.  One compiled pass per
layer decides each neuron's state at both ends of every piece against the
rigorous error bounds of :mod:`pwlinear._bounds` (one bound per piece end
first, neuron by neuron only where that one is in doubt), divides out the
crossings of the neurons whose states differ, sorts them inside their piece
and certifies their order.  A second pass lays out the children: edges and
their error bounds, states, and the post-activations
:math:`s \\odot a` and :math:`s \\odot c + o` of each parent's first child
(each neuron's slope and offset on its piece), which one matrix product maps
through the next layer; every further child gets its maps from running sums
of the switches' effects, a rank-one update each (in the last hidden layer,
its output maps).  The bounds of the next layers grow by the running sums'
operations (:func:`pwlinear._bounds._running_scale`), and a piece's own
bounds take each neuron's slopes along the sums from its first sibling.
Running sums lose digits where their updates cancel, so the second hidden
layer's maps come nearly correctly rounded from the exact first layer: under
relu's table the product and running sums carry their rounding errors
(:func:`_compensated_product`, :func:`_compensated_sums`), else each crossing's
map is a compensated product of its own (:func:`_dot2_post`).
Before a layer of :data:`_CONTINUITY_WIDTH` neurons or more, three first
children in four take their intercepts from continuity with the child before
them instead of from the product (1.25 rows of it per parent instead of 2; the
product is most of a wide net's time), with bounds of their own
(:func:`pwlinear._bounds._continuity_factors`); where
those looser bounds leave a piece undecided, the sweep runs again by products
alone.  Either way that is the arithmetic of
:func:`pwlinear.analysis._partition` (``continuity=True`` for the first), so
the same bounds hold and the results agree to the last bit.

Pieces that the network-wide bounds cannot decide are tried again with their
own bounds, on their own (:func:`_resplit`); what is still undecided raises
:class:`SweepUndecided`, and :func:`pwlinear.analysis._partition`, which
settles such pieces exactly, takes over.  Boundaries inherited from earlier
layers whose output slopes the bound cannot tell apart get the difference test of
:func:`pwlinear.analysis._difference_test` in the sweep
(:func:`_difference_kinks`: the slope change across each carried through the
layers on its own, with a bound of its own); what that leaves open goes to the
exact test of :mod:`pwlinear.analysis`.
"""

from __future__ import annotations

import math
import sys
import threading
from functools import partial
from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils
from numba.extending import intrinsic
from numpy.typing import NDArray

from pwlinear import _bounds, _split
from pwlinear._bounds import (
    _CONTINUITY_WIDTH,
    _EVERY,
    _REFINE,
    _U,
    FloatArray,
    IntArray,
    _cached,
    _chains,
    _gamma,
    _n_ops,
    _running_factors,
)
from pwlinear._events import _Events
from pwlinear.network import Network

_G2 = 2 * _U / (1 - 2 * _U)


class SweepUndecided(Exception):
    """The sweep's bounds cannot decide a state or an order: use the settling path."""


_SCRATCH = threading.local()
_SCRATCH_MAX = 1 << 25  # floats (256 MiB) of scratch kept per thread between calls
# slots of the scratch array, in eighths: the first children's post-activations and their
# product (two rows per piece), then the next layer's slopes and intercepts, twice
_SLOTS = np.array([0, 2, 4, 5, 6, 7, 8])


def _scratch_array() -> NDArray[np.float64]:
    """This thread's scratch array for :func:`_scratch`, kept between calls."""
    work: NDArray[np.float64] | None = getattr(_SCRATCH, "work", None)
    if work is None:
        work = np.empty(8 << 10)
        _SCRATCH.work = work
    return work


def _grow_scratch(need: int) -> None:
    """Make this thread's scratch array ``need`` floats long (at most
    :data:`_SCRATCH_MAX`), where the last sweep needed more."""
    need = min(need, _SCRATCH_MAX)
    if _scratch_array().size < need:
        _SCRATCH.work = np.empty(need)


@numba.njit(cache=True)
def _scratch(work: Any, need: Any, slot: int, rows: int, cols: int) -> Any:
    """A ``(rows, cols)`` array with undefined contents, for temporaries that do not
    leave the sweep: a view of slot ``slot`` of the scratch array ``work`` (its eighths
    :data:`_SLOTS`), or a fresh array where the slot is too small; ``need[0]`` records
    the scratch size that would have held it, for :func:`_grow_scratch`.

    Fresh large arrays cost a page fault per 4 KiB page on first touch (and the
    allocator returns freed ones to the system, so every call faults again): on virtual
    machines that took a fifth to a quarter of a deep net's sweep.  Reuse pays the
    faults once.  (One plain array: a typed list of them costs microseconds to pass.)"""
    size = rows * cols
    eighth = work.size // 8
    lo, hi = _SLOTS[slot], _SLOTS[slot + 1]
    if size > (hi - lo) * eighth:
        need[0] = max(need[0], -(-size // (hi - lo)) * 8)
        return np.empty((rows, cols))
    return work[lo * eighth : lo * eighth + size].reshape((rows, cols))


def _madvise_typing(typingctx: Any, addr: Any, size: Any) -> Any:
    """``_madvise(addr, size)``: libc's ``madvise(addr, size, MADV_HUGEPAGE)`` on Linux (a
    hint; nothing elsewhere)."""
    sig = numba.int32(numba.intp, numba.intp)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        i32, word = ir.IntType(32), ir.IntType(8 * np.dtype(np.intp).itemsize)  # void *, size_t
        if not sys.platform.startswith("linux"):
            return ir.Constant(i32, 0)
        fnty = ir.FunctionType(i32, [word, word, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "madvise")
        return builder.call(fn, [args[0], args[1], ir.Constant(i32, _MADV_HUGEPAGE)])

    return sig, codegen


_madvise: Any = intrinsic(_madvise_typing)
_MADV_HUGEPAGE = 14
_HUGE = 1 << 21  # bytes in a transparent huge page
_FEW = 2 * _HUGE // 8  # elements of 8 bytes or fewer that two huge pages always exceed


@numba.njit(cache=True)
def _fresh(n: int, dtype: Any) -> Any:
    """``np.empty(n, dtype)``, on transparent huge pages where it spans two or more.

    A fresh array of megabytes is mapped anew by the allocator on every call and faults
    once per 4 KiB page on first touch (27,000 faults per call on a layer of a million
    neurons).  Aligned to a huge page and advised as numpy advises its own large arrays,
    it faults once per 2 MiB where the system's transparent huge pages are ``madvise``
    or ``always`` (that layer then takes about 0.76 of the time); elsewhere the hint
    does nothing.  (Below :data:`_FEW` elements no itemsize makes two huge pages, and
    no empty array is made to read the itemsize: most of the sweep's arrays are small.)"""
    if n < _FEW:
        return np.empty(n, dtype)
    size = np.empty(0, dtype).itemsize
    if n * size < 2 * _HUGE:
        return np.empty(n, dtype)
    whole = np.empty(n + _HUGE // size, dtype)
    start = whole.ctypes.data
    lo = (start + _HUGE - 1) & ~(_HUGE - 1)
    _madvise(lo, ((start + whole.size * size) & ~(_HUGE - 1)) - lo)
    off = (lo - start) // size
    return whole[off : off + n]


@numba.njit(cache=True)
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


@numba.njit(cache=True)
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


@numba.njit(cache=True, inline="always")
def _extra(extra: tuple[float, float, Any, Any], j: int) -> float:
    """A piece's bound on neuron ``j``'s intercept error beyond the network-wide one, from
    ``extra = (mu, nu, ua, uc)``: :math:`\\mu\\, u_{a,j} + \\nu\\, u_{c,j}` (the intercepts
    that :func:`_running_outputs` carries by continuity, in units of the layer's
    network-wide bounds ``ua, uc`` before scaling; see
    :func:`pwlinear._bounds._continuity_factors`)."""
    mu, nu, ua, uc = extra
    return mu * ua[j] + nu * uc[j]


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
    extra: tuple[float, float, Any, Any],
) -> bool:
    """Every neuron's states at both ends of piece ``q``, one by one; whether all are
    certain.  ``extra``: the piece's intercept bounds beyond ``EC`` (:func:`_extra`)."""
    ok = True
    for j in range(A.shape[1]):
        a, c, ea = A[q, j], C[q, j], EA[row, j]
        ec = EC[row, j] + _extra(extra, j)
        sr, ok_r = _state(a, c, edges[q], edge_err[q], ea, ec, knots, 1)
        sl, ok_l = _state(a, c, edges[q + 1], edge_err[q + 1], ea, ec, knots, -1)
        s_right[q, j], s_left[q, j] = sr, sl
        ok = ok and ok_r and ok_l
    return ok


def _bits_typing(typingctx: Any, x: Any) -> Any:
    """``_bits(x)``: the IEEE 754 bits of the float64 ``x`` as an int64 (a bitcast)."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.IntType(64))

    return numba.int64(numba.float64), codegen


def _float_typing(typingctx: Any, b: Any) -> Any:
    """``_float(b)``: the float64 whose IEEE 754 bits are the int64 ``b`` (a bitcast)."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.DoubleType())

    return numba.float64(numba.int64), codegen


_bits: Any = intrinsic(_bits_typing)
_float: Any = intrinsic(_float_typing)
_MAGNITUDE = (1 << 63) - 1  # the bits of |x|: all but the sign


@numba.njit(cache=True, inline="always")
def _end_bound(a_max: float, x: float, e_x: float, ea: float, rest: float) -> float:
    """The per-end bound of :func:`_relu_like` at a finite end ``x`` within ``e_x``."""
    return 1.01 * (a_max * (e_x + _G2 * abs(x)) + ea * (abs(x) + e_x) + rest)


@numba.njit(cache=True)
def _relu_like(
    A: Any,
    C: Any,
    edges: Any,
    edge_err: Any,
    ea_max: Any,
    ec_max: Any,
    knot: float,
    s_right: Any,
    s_left: Any,
    n_cross: Any,
) -> None:
    """The states of :func:`_piece_states` for one knot, vectorised: on each piece ``q``,
    one bound per end from the piece's largest slope and intercept and its largest error
    bounds ``ea_max[q], ec_max[q]`` covers every neuron.  Writes the number of crossings
    to ``n_cross[q]``, or -1 when some value is within the bound (then
    :func:`_piece_states` looks at each neuron on its own).  (One call for all pieces: a
    call per piece, with its array arguments, cost more than its tests on 64 neurons.)

    Inside the line, one pass finds the states and, for the bounds, the largest
    :math:`|a|, |c|` and the smallest distance to the knot at each end: some neuron is
    within an end's bound exactly when the nearest one is.  These extremes are taken
    over the IEEE bits of the magnitudes, which order non-negative floats as their
    values do, so that they are integer maxima and minima, which the compiler
    vectorises with the rest.  (Float ones it may not reorder: with them this loop took
    twice as long as the two passes it replaces, one for the maxima and one for the
    tests; as it is, about half as long.)  A piece with one infinite end does the same
    at its finite end."""
    n = A.shape[1]
    inf_bits = _bits(math.inf)
    for q in range(A.shape[0]):
        lo, hi = edges[q], edges[q + 1]
        inf_lo, inf_hi = math.isinf(lo), math.isinf(hi)
        e_lo, e_hi = edge_err[q], edge_err[q + 1]
        ea = ea_max[q]
        doubt = False
        count = 0
        if not (inf_lo or inf_hi):  # every piece but the outer two
            a_bits, c_bits, lo_bits, hi_bits = 0, 0, inf_bits, inf_bits
            for j in range(n):
                a, c = A[q, j], C[q, j]
                d_lo = (a * lo + c) - knot
                d_hi = (a * hi + c) - knot
                up_lo, up_hi = d_lo > 0.0, d_hi > 0.0
                s_right[q, j] = up_lo
                s_left[q, j] = up_hi
                count += up_lo != up_hi
                a_bits = max(a_bits, _bits(a) & _MAGNITUDE)
                c_bits = max(c_bits, _bits(c) & _MAGNITUDE)
                lo_bits = min(lo_bits, _bits(d_lo) & _MAGNITUDE)
                hi_bits = min(hi_bits, _bits(d_hi) & _MAGNITUDE)
            a_max, rest = _float(a_bits), ec_max[q] + _G2 * _float(c_bits)
            b_lo, b_hi = (
                _end_bound(a_max, lo, e_lo, ea, rest),
                _end_bound(a_max, hi, e_hi, ea, rest),
            )
            doubt = _float(lo_bits) <= b_lo or _float(hi_bits) <= b_hi
        elif inf_lo and inf_hi:  # the whole line in one piece: the slopes' signs decide
            for j in range(n):
                a = A[q, j]
                up_lo, up_hi = not a > 0.0, a > 0.0
                s_right[q, j] = up_lo
                s_left[q, j] = up_hi
                count += up_lo != up_hi
                doubt |= not abs(a) > ea
        else:  # one end infinite: there the slope's sign decides, in doubt within ea of 0
            x, e_x = (hi, e_hi) if inf_lo else (lo, e_lo)  # the finite end
            rising = (lo if inf_lo else hi) > 0.0  # a rising neuron is above it at +inf
            a_bits, c_bits, x_bits = 0, 0, inf_bits
            for j in range(n):
                a, c = A[q, j], C[q, j]
                d = (a * x + c) - knot
                up_inf, up_x = rising == (a > 0.0), d > 0.0
                s_right[q, j] = up_inf if inf_lo else up_x
                s_left[q, j] = up_x if inf_lo else up_inf
                count += up_inf != up_x
                doubt |= not abs(a) > ea
                a_bits = max(a_bits, _bits(a) & _MAGNITUDE)
                c_bits = max(c_bits, _bits(c) & _MAGNITUDE)
                x_bits = min(x_bits, _bits(d) & _MAGNITUDE)
            a_max, rest = _float(a_bits), ec_max[q] + _G2 * _float(c_bits)
            doubt = doubt or _float(x_bits) <= _end_bound(a_max, x, e_x, ea, rest)
        n_cross[q] = -1 if doubt else count


def _np_sort(keys: Any) -> None:
    """numpy's sort, in place (vectorised; far faster than a compiled radix or merge
    sort)."""
    keys.sort()


@numba.njit(cache=True)
def _argsort(x: Any) -> tuple[Any, Any]:
    """Stable argsort of float64 values (``-0.0`` sorts as ``0.0``), and the values in
    that order: merge sort for some (a piece's few crossings are sorted in place by
    :func:`_insertion_sort` instead), else numpy's sort of
    order-preserving integer keys with each value's index in the low bits, then an
    insertion pass over the values that the truncated keys could not tell apart (they
    differ in those low bits only)."""
    n = x.size
    if n < 512:
        order = np.argsort(x, kind="mergesort")
        return order, x[order]
    order = _fresh(n, np.int64)
    sign = np.uint64(1) << np.uint64(63)
    bits = np.uint64(1)
    while (np.uint64(1) << bits) < np.uint64(n):
        bits += np.uint64(1)
    low = (np.uint64(1) << bits) - np.uint64(1)
    packed = _fresh(n, np.uint64)
    for a in range(n):
        k = np.uint64(_bits(x[a] + 0.0))  # + 0.0 turns -0.0 into 0.0
        packed[a] = ((~k if k & sign else k | sign) & ~low) | np.uint64(a)
    with numba.objmode():
        _np_sort(packed)
    xs = _fresh(n, np.float64)  # the values in sorted order, the one gather of x
    for t in range(n):
        order[t] = np.int64(packed[t] & low)
        xs[t] = x[order[t]]
    for t in range(1, n):  # stable: only a strictly greater value moves up
        v = xs[t]
        if not v < xs[t - 1]:
            continue
        j = order[t]
        b = t - 1
        while b >= 0 and xs[b] > v:
            xs[b + 1] = xs[b]
            order[b + 1] = order[b]
            b -= 1
        xs[b + 1] = v
        order[b + 1] = j
    return order, xs


@numba.njit(cache=True)
def _insertion_sort(
    x: Any, e: Any, ga: Any, gc: Any, i: Any, m: Any, start: int, stop: int
) -> None:
    """Sort ``x[start:stop]`` in place (stable, as :func:`_argsort`) and the other
    arrays with it: for a piece's few crossings, without the work arrays of a gather."""
    for t in range(start + 1, stop):
        v = x[t]
        if not v < x[t - 1]:
            continue
        ve, va, vc, vi, vm = e[t], ga[t], gc[t], i[t], m[t]
        b = t - 1
        while b >= start and x[b] > v:
            x[b + 1], e[b + 1], ga[b + 1], gc[b + 1] = x[b], e[b], ga[b], gc[b]
            i[b + 1], m[b + 1] = i[b], m[b]
            b -= 1
        x[b + 1], e[b + 1], ga[b + 1], gc[b + 1], i[b + 1], m[b + 1] = v, ve, va, vc, vi, vm


@numba.njit(cache=True)
def _permute(v: Any, order: Any, start: int, buf: Any) -> None:
    """``v[start:start + order.size] = v[order]``, through the work array ``buf``."""
    for t in range(order.size):
        buf[t] = v[order[t]]
    v[start : start + order.size] = buf[: order.size]


def _fma_typing(typingctx: Any, x: Any, y: Any, z: Any) -> Any:
    """``_fma(x, y, z)``: ``x * y + z`` rounded once (LLVM's ``llvm.fma``; in software
    where the processor has no fused multiply-add)."""
    sig = numba.float64(numba.float64, numba.float64, numba.float64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        d = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [d], ir.FunctionType(d, [d, d, d]))
        return builder.call(fn, args)

    return sig, codegen


_fma: Any = intrinsic(_fma_typing)


# the numpy path's functions, compiled: the same operations, so the same bits
_two_sum = numba.njit(inline="always")(_split._two_sum)
_sum_error = numba.njit(inline="always")(_split._sum_error)
_numerator = numba.njit(cache=True)(_split._numerator)
_FEW_ROWS = _split._FEW_ROWS


@numba.njit(cache=True)
def _plain(slopes: Any, offsets: Any) -> bool:
    """Whether every slope of an activation's table is 0 or 1 and every offset 0
    (relu's, :func:`pwlinear._split._compensates`): the first layer's post-activations
    and switch effects are then exact, and the second layer's maps carry their rounding
    errors (:func:`_compensated_sums`)."""
    plain = True
    for st in range(slopes.size):
        plain &= (slopes[st] == 0.0 or slopes[st] == 1.0) and offsets[st] == 0.0
    return plain


@numba.njit(cache=True, inline="always")  # (a call per crossing cost more than it)
def _dot2_post(
    A: Any, C: Any, row: int, S: Any, q: int, slopes: Any, offsets: Any, w: Any, b: float
) -> tuple[float, float, float]:
    """:func:`pwlinear._split._dot2` of the weights ``w`` with piece ``q``'s
    post-activations ``slopes[S[q]] * A[row]`` and ``slopes[S[q]] * C[row] +
    offsets[S[q]]`` (plus ``b``): the same operations in the same order, so the same
    bits (a product's rounding error by a fused multiply-add is the one Dekker's
    splitting finds there).  The intercept comes as its sum and the sum's error, for
    :func:`pwlinear._split._numerator`.  (Under relu's table the maps carry their errors
    instead: :func:`_compensated_sums`.)"""
    sa, ka, sc, kc = 0.0, 0.0, 0.0, 0.0
    for t in range(w.size):
        st = S[q, t]
        sl, o, y, at, ct = slopes[st], offsets[st], w[t], A[row, t], C[row, t]
        xa = sl * at  # the post-activations and their rounding errors
        xa_err = _fma(sl, at, -xa)
        xc0 = sl * ct
        xc, sum_err = _two_sum(xc0, o)
        xc_err = _fma(sl, ct, -xc0) + sum_err
        pa, pc = xa * y, xc * y
        sa, err = _two_sum(sa, pa)
        ka = ka + (err + (_fma(xa, y, -pa) + xa_err * y))
        sc, err = _two_sum(sc, pc)
        kc = kc + (err + (_fma(xc, y, -pc) + xc_err * y))
    sc, err = _two_sum(sc, b)
    return sa + ka, sc, kc + err


@numba.njit(cache=True)
def _product(X: Any, WT: Any, out: Any) -> None:
    """``out = X @ WT`` as :func:`pwlinear._split._product` computes it: by BLAS, but
    with a few rows and 8 columns or more each entry summed in order, every product and
    sum rounded (the same bits)."""
    rows, n = X.shape
    if rows > _FEW_ROWS or WT.shape[1] < 8 or n == 0:
        np.dot(X, WT, out)
        return
    for r in range(rows):
        x = X[r, 0]
        for h in range(WT.shape[1]):
            out[r, h] = x * WT[0, h]
        for u in range(1, n):
            x = X[r, u]
            for h in range(WT.shape[1]):
                out[r, h] = out[r, h] + x * WT[u, h]


@numba.njit(cache=True)
def _compensated_product(X: Any, WT: Any, bias: Any, out: Any, lo: Any) -> None:
    """``out = X @ WT`` summed in order as :func:`_product` sums few rows, with the
    bias added to the last row, and the sum of every rounding error in ``lo``, as
    :func:`pwlinear.analysis._compensated_maps` finds them (the same bits): the first
    hidden layer's one piece, whose post-activations are exact under relu's table."""
    rows, n = X.shape
    for r in range(rows):
        x = X[r, 0]
        for h in range(WT.shape[1]):
            v = x * WT[0, h]
            out[r, h] = v
            lo[r, h] = _fma(x, WT[0, h], -v)
        for u in range(1, n):
            x = X[r, u]
            for h in range(WT.shape[1]):
                v = x * WT[u, h]
                a = out[r, h]
                s = a + v
                out[r, h] = s
                lo[r, h] = lo[r, h] + (_fma(x, WT[u, h], -v) + _sum_error(a, v, s))
    r = rows - 1
    for h in range(WT.shape[1]):
        a = out[r, h]
        s = a + bias[h]
        out[r, h] = s
        lo[r, h] = lo[r, h] + _sum_error(a, bias[h], s)


@numba.njit(cache=True)
def _compensated_sums(
    F: Any,
    F_lo: Any,
    ga: Any,
    gc: Any,
    WT: Any,
    i: Any,
    old: Any,
    new: Any,
    slopes: Any,
    offsets: Any,
    A_out: Any,
    C_out: Any,
    C_lo: Any,
) -> None:
    """The second hidden layer's maps on every child of the first layer's one piece,
    nearly correctly rounded: :func:`_running_outputs`' running sums from the first
    child's ``F`` (slopes, then intercepts), with the sum of their rounding errors from
    the first child's ``F_lo`` (each step's product and sum errors), as
    :func:`pwlinear._split._running_errors` adds them, written as their rounded sum
    ``A_out`` for the slopes and as the float ``C_out`` and error ``C_lo`` of
    :func:`_two_sum` for the intercepts (the same bits).  The running rows are kept in
    buffers of their own, which the compiler vectorises (rows of one array it does
    not)."""
    n_out = WT.shape[1]
    a_row, c_row, a_lo, c_lo = np.empty(n_out), np.empty(n_out), np.empty(n_out), np.empty(n_out)
    for h in range(n_out):
        a_row[h], c_row[h], a_lo[h], c_lo[h] = F[0, h], F[1, h], F_lo[0, h], F_lo[1, h]
        A_out[0, h] = a_row[h] + a_lo[h]
        C_out[0, h], C_lo[0, h] = _two_sum(c_row[h], c_lo[h])
    for t in range(i.size):
        ds = slopes[new[t]] - slopes[old[t]]
        da = ds * ga[t]
        dc = ds * gc[t] + (offsets[new[t]] - offsets[old[t]])
        j = i[t]
        r = t + 1
        for h in range(n_out):
            w = WT[j, h]
            v = da * w
            a = a_row[h]
            s = a + v
            e = a_lo[h] + (_fma(da, w, -v) + _sum_error(a, v, s))
            a_row[h], a_lo[h] = s, e
            A_out[r, h] = s + e
            v = dc * w
            c = c_row[h]
            s = c + v
            e = c_lo[h] + (_fma(dc, w, -v) + _sum_error(c, v, s))
            c_row[h], c_lo[h] = s, e
            C_out[r, h], C_lo[r, h] = _two_sum(s, e)


@numba.njit(cache=True, inline="always")
def _crossing_error(
    mag: float, ea: float, ec: float, v: float, lo: float, hi: float, e_lo: float, e_hi: float
) -> float:
    """The error bound of a crossing at ``v`` in the piece ``[lo, hi]`` (ends within
    ``e_lo, e_hi``) of a neuron whose map has slope magnitude ``mag`` and error bounds
    ``ea, ec``: that of :func:`pwlinear._split._split`'s ``crossing_error``; infinite
    where ``mag`` does not exceed ``ea``."""
    if mag > ea:
        inv = 1.01 / (mag - ea)
        err = ec * inv + ((_U * mag + ea) * inv + 2.02 * _U) * abs(v)
    else:
        err = math.inf
    if v == lo:  # rounded onto an end of its piece: within that end's error too
        err += e_lo
    if v == hi:
        err += e_hi
    return err


@numba.njit(cache=True)
def _longest_run(p: Any) -> int:
    """The most switches in one parent: the longest run of equal values in the sorted
    ``p`` (0 when empty), without counting every parent."""
    if p.size == 0 or p[0] == p[-1]:  # (one parent: the first layer's)
        return p.size
    longest, run = 0, 0
    for t in range(p.size):
        run = run + 1 if t and p[t] == p[t - 1] else 1
        longest = max(longest, run)
    return longest


@numba.njit(cache=True)
def _ordered(x: Any, e: Any, start: int, stop: int) -> bool:
    """Whether the sorted crossings ``x[start:stop]`` are certainly in order: each gap
    exceeds the two error bounds ``e``.  (A function of its own: inlined in
    :func:`_split_layer`'s loop, the test ran about ten times slower.)"""
    for t in range(start + 1, stop):
        if not x[t] - x[t - 1] > e[t] + e[t - 1]:
            return False
    return True


@numba.njit(cache=True)
def _split_layer(
    A: Any,
    C: Any,
    edges: Any,
    edge_err: Any,
    EA: Any,
    EC: Any,
    row_of: Any,
    knots: Any,
    certify: bool,
    before: tuple[Any, ...],
    mu: Any,
    nu: Any,
    ua: Any,
    uc: Any,
) -> tuple[Any, ...]:
    """Certified states just right of every piece's left end, and the crossings sorted
    inside each piece with their error bounds.

    ``EA``, ``EC``: rows of per-neuron error bounds of the maps, piece ``q`` taking row
    ``row_of[q]`` (every piece row 0 where ``row_of`` is empty).  Returns ``s_right, p,
    i, m, x, e, ga, gc, bad``: piece, neuron and knot of each crossing, its point and
    bound, the neuron's slope and intercept on its piece, and the pieces that are
    undecided.  The slopes and intercepts are gathered here, in
    crossing order, so that later passes read them in sequence: read by neuron in crossing
    order, they stall on memory in a wide layer.

    ``before``: ``(fresh, A, C, parent, S, slopes, offsets, W, b, C_lo)``, the layer
    before as :class:`pwlinear._split._Before` has it (its maps on the parents, each
    piece's parent and states, its activation's tables, the weights into this layer,
    rows by neuron) and the errors ``C_lo`` of this layer's intercepts where its maps
    are compensated (:func:`_compensated_sums`; else no rows); where ``fresh`` (the
    second hidden layer), the crossing maps are then ``A`` and ``C`` with ``C_lo``, else
    recomputed by :func:`_dot2_post`, as there.  ``mu, nu``: per piece, the factors of
    the intercept bounds beyond ``EC`` on the units ``ua, uc`` (:func:`_extra`).
    """
    fresh, A_b, C_b, parent_b, S_b, slopes_b, offsets_b, W_b, bias_b, C_lo = before
    compensated = C_lo.shape[0] > 0
    P, n = A.shape
    s_right = np.empty((P, n), np.int8)
    s_left = np.empty((P, n), np.int8)
    bad = np.zeros(P, np.bool_)
    count = np.zeros(P + 1, np.int64)
    ea_max = np.empty(EA.shape[0])
    ec_max = np.empty(EA.shape[0])
    for row in range(EA.shape[0]):
        ea_max[row] = EA[row].max()
        ec_max[row] = EC[row].max()
    ua_max, uc_max = ua.max(), uc.max()
    crossings = np.full(P, -1, np.int64)  # per piece, or -1: undecided by _relu_like
    if knots.size == 1:  # each piece's bounds: its row's largest, with its intercepts' extra
        ea_q, ec_q = np.empty(P), np.empty(P)
        for q in range(P):
            row = row_of[q] if row_of.size else 0
            ea_q[q], ec_q[q] = ea_max[row], ec_max[row] + (mu[q] * ua_max + nu[q] * uc_max)
        _relu_like(A, C, edges, edge_err, ea_q, ec_q, knots[0], s_right, s_left, crossings)
    for q in range(P):
        row = row_of[q] if row_of.size else 0
        n_cross = crossings[q]
        if n_cross < 0:
            extra = (mu[q], nu[q], ua, uc)
            ok = _piece_states(A, C, q, row, edges, edge_err, EA, EC, knots, s_right, s_left, extra)
            if certify and not ok:
                bad[q] = True
            n_cross = 0
            for j in range(n):
                n_cross += abs(s_left[q, j] - s_right[q, j])
        count[q + 1] = count[q] + n_cross
    total = count[P]
    p, i, m = _fresh(total, np.int64), _fresh(total, np.int64), _fresh(total, np.int64)
    buf = np.empty(0)
    x, e = _fresh(total, np.float64), _fresh(total, np.float64)
    ga, gc = _fresh(total, np.float64), _fresh(total, np.float64)
    for q in range(P):
        start, stop = count[q], count[q + 1]
        if start == stop:
            continue
        row = row_of[q] if row_of.size else 0
        lo, hi = edges[q], edges[q + 1]
        t = start
        for j in range(n):
            sr, sl = s_right[q, j], s_left[q, j]
            if sr == sl:
                continue
            a, c = A[q, j], C[q, j]
            c_hi, c_lo = c, 0.0
            if fresh and compensated:  # nearly correctly rounded, intercepts with errors
                c_lo = C_lo[q, j]
            elif fresh:
                a, c_hi, c_lo = _dot2_post(
                    A_b, C_b, parent_b[q], S_b, q, slopes_b, offsets_b, W_b[j], bias_b[j]
                )
                c = c_hi + c_lo
            mag, ea, ec = abs(a), EA[row, j], EC[row, j] + _extra((mu[q], nu[q], ua, uc), j)
            for k in range(min(sr, sl), max(sr, sl)):
                # certain states differ, so |a| > ea >= 0; the bound is that of
                # pwlinear._split._split's crossing_error
                kn = knots[k]
                v = (
                    _numerator(kn, c_hi, c_lo) / a
                    if a != 0.0
                    else (math.inf if kn > c else -math.inf)
                )
                v = min(max(v, lo), hi)
                err = _crossing_error(mag, ea, ec, v, lo, hi, edge_err[q], edge_err[q + 1])
                if certify and not mag > ea:
                    bad[q] = True
                p[t], i[t], m[t], x[t], e[t], ga[t], gc[t] = q, j, k, v, err, a, c
                t += 1
        if stop - start < 2:
            continue
        # sort by position (stable), then certify the order
        if stop - start <= 16:  # a few: an insertion sort of every array at once
            _insertion_sort(x, e, ga, gc, i, m, start, stop)
        else:
            order, x[start:stop] = _argsort(x[start:stop])
            order += start
            if buf.size < order.size:
                buf = _fresh(order.size, np.float64)
            # exact maps (the first layer's): each bound is a function of the crossing's
            # point and slope, found again after the sort instead of gathered
            exact = ea_max[row] == 0.0 and ec_max[row] == 0.0 and mu[q] == 0.0 and nu[q] == 0.0
            if not exact:  # one array at a time: each gather's reads stay within the
                _permute(e, order, start, buf)  # reach of the TLB
            _permute(ga, order, start, buf)
            _permute(gc, order, start, buf)
            if exact:
                for t in range(start, stop):
                    e[t] = _crossing_error(abs(ga[t]), 0.0, 0.0, x[t], lo, hi, edge_err[q],
                                           edge_err[q + 1])  # fmt: skip
            if knots.size == 1 and stop - start == n:  # every neuron crosses once, in
                for t in range(start, stop):  # order, so i was 0, 1, ...: no gather
                    i[t] = order[t - start] - start
            else:
                _permute(i, order, start, buf.view(np.int64))
            if knots.size > 1:  # else every knot index is 0
                _permute(m, order, start, buf.view(np.int64))
        if certify and not _ordered(x, e, start, stop):
            bad[q] = True
    return s_right, p, i, m, x, e, ga, gc, bad


@numba.njit(cache=True)
def _resplit(
    rows: Any,
    A: Any,
    C: Any,
    edges: Any,
    edge_err: Any,
    EA2: Any,
    EC2: Any,
    knots: Any,
    certify: bool,
    before: tuple[Any, ...],
    mu: Any,
    nu: Any,
    ua: Any,
    uc: Any,
    s_right: Any,
    p: Any,
    i: Any,
    m: Any,
    x: Any,
    e: Any,
    bad: Any,
) -> bool:
    """:func:`_split_layer` again on the pieces ``rows`` alone, each with its own bounds
    (row ``1 + r`` of ``EA2, EC2``), written into the layer's results ``s_right, p, i, m,
    x, e, bad``.  Bounds change the crossings' error bounds and what is certain, not the
    states or crossings themselves; where a piece's do change (a state on a knot), nothing
    is written and it returns False, for the whole layer to be split again."""
    fresh, A_b, C_b, parent_b, S_b, slopes_b, offsets_b, W_b, bias_b, C_lo = before
    compensated = C_lo.shape[0] > 0
    own = np.zeros(0, np.int64)  # the piece's own row of bounds only
    found = []
    for r in range(rows.size):
        q = rows[r]
        before_q = (fresh, A_b, C_b, parent_b[q : q + 1] if fresh else parent_b,
                    S_b[q : q + 1] if fresh else S_b, slopes_b, offsets_b, W_b, bias_b,
                    C_lo[q : q + 1] if compensated else C_lo)  # fmt: skip
        got = _split_layer(
            A[q : q + 1], C[q : q + 1], edges[q : q + 2], edge_err[q : q + 2],
            EA2[r + 1 : r + 2], EC2[r + 1 : r + 2], own, knots, certify, before_q,
            mu[q : q + 1], nu[q : q + 1], ua, uc,
        )  # fmt: skip
        start, stop = np.searchsorted(p, q), np.searchsorted(p, q, "right")
        same = got[1].size == stop - start and (got[0][0] == s_right[q]).all()
        for u, v in ((got[2], i), (got[3], m)):
            same = same and (u == v[start:stop]).all()
        if not (same and (got[4] == x[start:stop]).all()):
            return False
        found.append((q, start, stop, got[5], got[8][0]))
    for q, start, stop, e_q, bad_q in found:
        e[start:stop] = e_q
        bad[q] = bad_q
    return True


@numba.njit(cache=True, inline="always")
def _copy_words(dst: Any, r: int, src: Any, q: int, w: int) -> None:
    """Row ``r`` of ``w`` words of the flat ``dst`` = row ``q`` of ``src``: int8 rows
    copied through int64 views (a byte loop over int8 arrays that may alias is not
    vectorised; on rows of 512 the words are about 15 times faster)."""
    for h in range(w):
        dst[r * w + h] = src[q * w + h]


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
    ga: Any,
    gc: Any,
    edges: Any,
    edge_err: Any,
    slopes: Any,
    offsets: Any,
    active: Any,
    inactive: Any,
    every_child: bool,
    post: Any,
    n_knots: int,
    every: int,
) -> tuple[Any, ...]:
    """The pieces after splitting at the sorted crossings: the post-activations of each
    parent's first child stacked as ``[slopes; intercepts]`` for one matrix product
    (written to ``post``: a row of slopes for each of the ``P`` parents, then one of
    intercepts for every ``every``-th parent, whose first child's intercepts
    :func:`_running_outputs` takes from it), edges and their error bounds, parents,
    inactive counts, states (of every child, when ``every_child``), and each crossing's
    old and new state.  Across a crossing only the flipping neuron changes:
    :func:`_running_outputs` carries the later children.  ``slopes, offsets, active``:
    the activation's tables, of ``n_knots + 1`` pieces (padded beyond)."""
    P, n = A.shape
    E = p.size
    R = P + E
    R_s = R if every_child else 0
    S2 = _fresh(R_s * n, np.int8).reshape((R_s, n))
    edges2, err2 = _fresh(R + 1, np.float64), _fresh(R + 1, np.float64)
    parent, inactive2 = _fresh(R, np.int64), _fresh(R, np.int64)
    old, new = _fresh(E, np.int64), _fresh(E, np.int64)
    words = n % 8 == 0  # rows of whole words: copied as such (_copy_words)
    S2_w = S2.reshape(-1).view(np.int64) if words else np.empty(0, np.int64)
    s_right_w = s_right.reshape(-1).view(np.int64) if words else np.empty(0, np.int64)
    s = np.empty(n, np.int8)
    r = 0
    t = 0
    edges2[0], err2[0] = edges[0], edge_err[0]
    two = 1 if slopes.size > 1 else 0  # (an identity has one piece)
    s0, s1, o0, o1 = slopes[0], slopes[two], offsets[0], offsets[two]
    off0, off1 = 1 - active[0], 1 - active[two]
    for q in range(P):
        off = inactive[q]
        rc = P + q // every  # the row of its intercepts, if it has one
        if n_knots == 1:  # two pieces: selects instead of table lookups, vectorised
            for j in range(n):
                up = s_right[q, j] != 0
                sl = s1 if up else s0
                post[q, j] = sl * A[q, j]
                if q % every == 0:
                    post[rc, j] = sl * C[q, j] + (o1 if up else o0)
                off += off1 if up else off0
        else:
            for j in range(n):
                sj = s_right[q, j]
                sl = slopes[sj]
                post[q, j] = sl * A[q, j]
                if q % every == 0:
                    post[rc, j] = sl * C[q, j] + offsets[sj]
                off += 1 - active[sj]
        parent[r] = q
        inactive2[r] = off
        if every_child and words:
            _copy_words(S2_w, r, s_right_w, q, n // 8)
        elif every_child:
            s[:] = s_right[q]
            S2[r] = s
        while t < E and p[t] == q:
            j = i[t]
            up = ga[t] > 0.0
            so = m[t] if up else m[t] + 1
            sn = m[t] + 1 if up else m[t]
            edges2[r + 1], err2[r + 1] = x[t], e[t]
            r += 1
            off += active[so] - active[sn]
            parent[r] = q
            inactive2[r] = off
            if every_child and words:
                _copy_words(S2_w, r, S2_w, r - 1, n // 8)
                S2[r, j] = sn
            elif every_child:
                s[j] = sn
                S2[r] = s
            old[t], new[t] = so, sn
            t += 1
        edges2[r + 1], err2[r + 1] = edges[q + 1], edge_err[q + 1]
        r += 1
    return edges2, err2, parent, inactive2, S2, old, new


@numba.njit(cache=True)
def _running_outputs(
    FA: Any,
    FC: Any,
    ga: Any,
    gc: Any,
    WT: Any,
    p: Any,
    i: Any,
    old: Any,
    new: Any,
    slopes: Any,
    offsets: Any,
    A_out: Any,
    C_out: Any,
    every: int,
    edges: Any,
) -> None:
    """The next layer's slopes and intercepts, written to ``A_out, C_out`` (``P + E``
    rows), on every child of a layer's pieces (the outputs, on every region of the last
    hidden layer): each parent's first child from the product ``FA, FC``, then running
    sums of each switch's effect
    :math:`W_{:,i}\\,\\Delta s\\, a_i` and :math:`W_{:,i}(\\Delta s\\, c_i + \\Delta o)`, a
    rank-one update -- as :func:`pwlinear._events._segmented_cumsum` sums them.

    ``FC`` has the intercepts of every ``every``-th parent's first child only; the other
    first children take theirs from continuity at their left end :math:`x_0` (``edges``
    of the children): :math:`c = c_- - x_0 (a - a_-)` from the child before (both
    sides' maps agree there), so about 1.25 matrix rows per parent instead of 2."""
    P = FA.shape[0]
    E = p.size
    n_out = WT.shape[1]
    if n_out >= 8:  # rows of 64 bytes or more: one pass, each switch's row of W^T read
        t = 0  # where its effect is added
        r = 0
        for q in range(P):
            if q % every == 0:
                for h in range(n_out):
                    A_out[r, h] = FA[q, h]
                    C_out[r, h] = FC[q // every, h]
            else:
                x0 = edges[r]
                for h in range(n_out):
                    A_out[r, h] = FA[q, h]
                    C_out[r, h] = C_out[r - 1, h] - x0 * (FA[q, h] - A_out[r - 1, h])
            r += 1
            while t < E and p[t] == q:
                ds = slopes[new[t]] - slopes[old[t]]
                da = ds * ga[t]
                dc = ds * gc[t] + (offsets[new[t]] - offsets[old[t]])
                j = i[t]
                for h in range(n_out):
                    w = WT[j, h]
                    A_out[r, h] = A_out[r - 1, h] + da * w
                    C_out[r, h] = C_out[r - 1, h] + dc * w
                r += 1
                t += 1
        return
    for t in range(E):  # short rows: the switches' weights, by neuron in crossing order,
        for h in range(n_out):  # in a loop of their own, so that many reads are in flight
            A_out[t + p[t] + 1, h] = WT[i[t], h]
    first = np.ones(P + E, np.bool_)  # the regions that begin a parent
    for t in range(E):  # each switch's effect, in the row of the region it begins
        r = t + p[t] + 1
        first[r] = False
        ds = slopes[new[t]] - slopes[old[t]]
        da = ds * ga[t]
        dc = ds * gc[t] + (offsets[new[t]] - offsets[old[t]])
        for h in range(n_out):
            C_out[r, h] = dc * A_out[r, h]
            A_out[r, h] = da * A_out[r, h]
    q = 0
    for r in range(P + E):  # then the running sums
        if first[r]:  # (element by element: a row's view would cost two refcounts)
            for h in range(n_out):
                A_out[r, h] = FA[q, h]
                C_out[r, h] = FC[q, h]
            q += 1
            continue
        for h in range(n_out):
            A_out[r, h] = A_out[r - 1, h] + A_out[r, h]
            C_out[r, h] = C_out[r - 1, h] + C_out[r, h]


_continuity_factors = numba.njit(cache=True)(_bounds._continuity_factors)
_difference_step = numba.njit(cache=True)(_bounds._difference_step)


@numba.njit(cache=True)
def _difference_kinks(
    bs: Any,
    kink: Any,
    a0: Any,
    net: tuple[Any, ...],
    chain: Any,
    parents: Any,
    first: Any,
    parent: Any,
    s_right: Any,
    p: Any,
    i: Any,
    new: Any,
    cols: Any,
    g: float,
) -> Any:
    """:func:`pwlinear.analysis._difference_test` on the boundaries ``bs`` of earlier
    layers (between regions ``b`` and ``b + 1``, children of different parents), in the
    sweep: sets ``kink`` where the slope difference exceeds ``g`` times its absolute
    recursion, and returns the boundaries it leaves open (a nonzero bound, no kink found)
    for the exact test.  The states on either side: those of the pieces that the regions
    descend from (:func:`_compose` of ``parent``), and in the last hidden layer, the
    first child's ``s_right`` of each parent, with all its switches on the left side (a
    region before such a boundary is its parent's last)."""
    wt, w_off, _, _, widths, _, _, slopes, _, _, _, _ = net
    L = widths.size - 2
    m = bs.size
    n = widths[1]
    A = np.empty((m, n))
    for r in range(m):
        A[r] = a0
    A_abs, D, D_abs = np.abs(A), np.zeros((m, n)), np.zeros((m, n))
    left, right = parent[bs], parent[bs + 1]  # pieces of the last hidden layer
    # the earlier layers' states side by side, then the last layer's
    early_l = _compose(left, L - 1, chain, parents, first)[0]
    early_r = _compose(right, L - 1, chain, parents, first)[0]
    last_l, last_r = s_right[left], s_right[right]
    for r in range(m):
        t = np.searchsorted(p, left[r])
        while t < p.size and p[t] == left[r]:
            last_l[r, i[t]] = new[t]
            t += 1
    col = 0
    for j in range(L):
        n_in, n_out = widths[j + 1], widths[j + 2]
        st_l = early_l[:, col : col + n_in] if j < L - 1 else last_l
        st_r = early_r[:, col : col + n_in] if j < L - 1 else last_r
        col += n_in
        SL, SR = np.empty((m, n_in)), np.empty((m, n_in))
        for r in range(m):
            for h in range(n_in):
                SL[r, h], SR[r, h] = slopes[j, st_l[r, h]], slopes[j, st_r[r, h]]
        WT = wt[w_off[j + 1] : w_off[j + 2]].reshape((n_in, n_out))
        D, A, D_abs, A_abs = _difference_step(D, A, D_abs, A_abs, SL, SR, WT, np.abs(WT))
    n_open = 0
    still = np.empty(m, np.int64)
    for r in range(m):
        found, zero = False, True
        for c in cols:
            found |= abs(D[r, c]) > g * D_abs[r, c]
            zero &= D_abs[r, c] == 0.0
        if found:
            kink[bs[r]] = True
        elif not zero:
            still[n_open] = bs[r]
            n_open += 1
    return still[:n_open]


@numba.njit(cache=True)
def _jumps(A: Any, first: Any, every: int, inv_ua: Any) -> Any:
    """Per parent, the largest slope change across its first child's left end in units
    ``1 / inv_ua`` (:func:`pwlinear._bounds._continuity_factors`; 0 on every
    ``every``-th parent, which continuity does not reach)."""
    jump = np.zeros(first.size)
    for q in range(first.size):
        if q % every:
            r = first[q]
            for h in range(inv_ua.size):
                jump[q] = max(jump[q], abs(A[r, h] - A[r - 1, h]) * inv_ua[h])
    return jump


@numba.njit(cache=True)
def _gamma_jit(n: int) -> float:
    """:func:`pwlinear._bounds._gamma`, compiled."""
    nu = n * 2.0**-53
    return nu / (1.0 - nu)


@numba.njit(cache=True)
def _scale_jit(f: float, n_ops: int, sums: int) -> float:
    """:func:`pwlinear._bounds._running_scale`, compiled: the factor on a layer's bounds
    after running sums of ``sums`` rounded operations, with factor ``f``."""
    if sums == 0:
        return 1.0
    return f * _gamma_jit(n_ops + 4 + sums) / _gamma_jit(n_ops + 4) * (1.0 + 1e-12)


@numba.njit(cache=True)
def _path(table: Any, f: int, s: int) -> float:
    """:func:`pwlinear._bounds._path_table` for one neuron: ``|table[f]|`` plus the total
    variation of ``table`` between entries ``f`` and ``s``."""
    out = abs(table[f])
    for k in range(min(f, s), max(f, s)):
        out += abs(table[k + 1] - table[k])
    return out


@numba.njit(cache=True)
def _compose(rows: Any, layer: int, chain: Any, parents: Any, first: Any) -> tuple[Any, Any]:
    """The states of hidden layers ``0 .. layer - 1`` side by side on the pieces ``rows``
    of hidden layer ``layer``, and those of each piece's first sibling at every split
    (for :func:`_own_bounds`; the states of every region leave the sweep as
    :func:`_ancestors` has them).

    ``chain[j]``: the states of layer ``j`` on the children of its split;
    ``parents[j]``: each child's parent there; ``first[j]``: each parent's first child.
    Each layer keeps only its own states, and pieces are composed by following their
    parents back, so that no layer copies the states of the layers before it."""
    width = 0
    for j in range(layer):
        width += chain[j].shape[1]
    states = np.empty((rows.size, width), np.int8)
    firsts = np.empty((rows.size, width), np.int8)
    anc = rows.copy()
    col = width
    for j in range(layer - 1, -1, -1):
        S, par, fst = chain[j], parents[j], first[j]
        n = S.shape[1]
        col -= n
        for r in range(rows.size):  # row slices: an element loop over int8 arrays
            a = anc[r]  # that may alias copies a byte at a time (about 2.5x slower)
            states[r, col : col + n] = S[a]
            firsts[r, col : col + n] = S[fst[par[a]]]
            anc[r] = par[a]
    return states, firsts


@numba.njit(cache=True)
def _ancestors(rows: Any, layer: int, chain: Any, parents: Any) -> tuple[Any, Any, Any]:
    """What :func:`_compose` composes, for numpy to gather: the row of ``chain[j]`` that
    holds layer ``j``'s states on each piece ``rows`` of hidden layer ``layer``
    (``anc[j]``), and the chain's arrays flat, ``chain[j]`` at ``flat[offs[j]:offs[j + 1]]``
    (numpy's row gather is several times faster than a compiled copy of int8 rows)."""
    anc = _fresh(layer * rows.size, np.int64).reshape((layer, rows.size))
    offs = np.zeros(layer + 1, np.int64)
    for j in range(layer):
        offs[j + 1] = offs[j] + chain[j].size
    flat = _fresh(offs[layer], np.int8)
    below = rows
    for j in range(layer - 1, -1, -1):
        anc[j] = below
        part, to = chain[j].reshape(-1), flat[offs[j] : offs[j + 1]]
        if part.size % 8 == 0:  # as words (see _copy_words)
            _copy_words(to.view(np.int64), 0, part.view(np.int64), 0, part.size // 8)
        else:
            to[:] = part
        below = parents[j][below]
    return anc, flat, offs


@numba.njit(cache=True)
def _own_bounds(
    rows: Any,
    states: Any,
    firsts: Any,
    layer: int,
    net: tuple[Any, ...],
    a0: Any,
    c0: Any,
    g: float,
) -> tuple[Any, Any]:
    """:func:`pwlinear._bounds._local_bounds` for pieces ``rows``: :math:`\\gamma` times the
    absolute chains through each piece's own activation slopes, taken along the running
    sums from the states ``firsts`` of its first sibling (row ``r`` of ``states`` and
    ``firsts`` belongs to piece ``rows[r]``)."""
    wt, w_off, bias, b_off, widths, _, _, slopes, offsets, _, _, _ = net
    n = widths[layer + 1]
    EA = np.empty((rows.size, n))
    EC = np.empty((rows.size, n))
    for r in range(rows.size):
        a_abs = np.abs(a0)
        c_abs = np.abs(c0)
        col = 0
        for j in range(layer):
            n_in, n_out = widths[j + 1], widths[j + 2]
            WT = wt[w_off[j + 1] : w_off[j + 2]].reshape((n_in, n_out))
            st = states[r, col : col + n_in]
            fs = firsts[r, col : col + n_in]
            col += n_in
            na = np.zeros(n_out)
            nc = np.abs(bias[b_off[j + 1] : b_off[j + 2]])
            for h in range(n_in):
                sl = _path(slopes[j], fs[h], st[h])
                va = sl * a_abs[h]
                vc = sl * c_abs[h] + _path(offsets[j], fs[h], st[h])
                for o in range(n_out):
                    w = abs(WT[h, o])
                    na[o] += va * w
                    nc[o] += vc * w
            a_abs, c_abs = na, nc
        EA[r] = g * a_abs
        EC[r] = g * c_abs
    return EA, EC


@numba.njit(cache=True)
def _sweep(
    flat: tuple[Any, Any],
    own: Any,
    g_own: float,
    lo: float,
    hi: float,
    reaches: Any,
    cols: Any,
    certify: bool,
    every: int,
    work: Any,
) -> tuple[Any, ...]:
    """The whole partition in one call.  ``flat``: the two arrays of :func:`_flat`;
    ``own``: as :func:`_own` joins them, the first hidden layer's slopes and intercepts
    ``a0, c0`` (the net's own, or those of a segment through input space), the
    network-wide bounds ``ea_all, ec_all`` of every hidden neuron, concatenated, and
    ``kink_chain``, twice the all-active absolute chain of each output slope, which the
    bound on a slope difference across a boundary of an earlier layer multiplies;
    ``every``: where a layer of :data:`_CONTINUITY_WIDTH` neurons or more follows (and
    is not the output), the first children of all parents but every ``every``-th take
    their intercepts from continuity (:func:`_running_outputs`; 1: none do); ``work``:
    the scratch array of :func:`_scratch_array`.

    Returns ``(status, retried, loose, need)`` (status 0: done; 1: a state or an order
    that even a piece's own bounds cannot decide; retried: pieces split again with their
    own bounds; loose: boundaries whose error bound exceeds :data:`_REFINE` of their
    size; need: the scratch size that would have held every temporary),
    the edges, output slopes and intercepts, the breakpoint flags and the boundaries of
    earlier layers left to the exact tests, inactive counts, the states of every hidden
    layer but the last (as :func:`_ancestors` has them), and the last layer's switch
    events (states at each parent's left end, parent of each region, region each switch
    begins, neuron, old and new state), and a bound on each edge's rounding error."""
    net = _unflat(flat[0], flat[1])
    wt, w_off, bias, b_off, widths, knots, n_knots, slopes, offsets, active, running, w_rows = net
    L = widths.size - 2  # hidden layers
    n = widths[1]
    n_h = np.sum(widths[1:-1])
    a0, c0 = own[:n], own[n : 2 * n]
    ea_all, ec_all = own[2 * n : 2 * n + n_h], own[2 * n + n_h : 2 * (n + n_h)]
    kink_chain = own[2 * (n + n_h) :]
    A = a0.reshape((1, n))  # read only
    C = c0.reshape((1, n))
    edges = np.array([lo, hi])
    edge_err = np.zeros(2)
    inactive = np.zeros(1, np.int64)
    chain = numba.typed.List.empty_list(numba.int8[:, ::1])  # per layer, as _compose
    parents = numba.typed.List.empty_list(numba.int64[::1])  # reads them
    first = numba.typed.List.empty_list(numba.int64[::1])
    h_off = 0
    retried = 0
    n_ops = 3 + np.sum(widths[1:-1] + 2)  # rounded operations of the chain (one input)
    sums = 0  # and of the running sums of the layers so far
    need = np.zeros(1, np.int64)  # the scratch size that would have held every temporary
    # the first layer, for recomputing the second one's crossing maps (_split_layer)
    no_before = (False, A, C, np.zeros(1, np.int64), np.zeros((1, 1), np.int8), slopes[0],
                 offsets[0], np.zeros((1, 1)), np.zeros(1), np.zeros((0, 1)))  # fmt: skip
    before = no_before
    no_rows = np.zeros(0, np.int64)  # every piece the network-wide bounds (_split_layer)
    mu, nu = np.zeros(1), np.zeros(1)  # intercept bounds beyond those (_continuity_factors)
    inv_g = (1.0 + 1e-12) / g_own
    for k in range(L):
        n, n_next = widths[k + 1], widths[k + 2]
        kn = knots[k, : n_knots[k]]
        scale = _scale_jit(running[k], n_ops, sums)
        ua, uc = ea_all[h_off : h_off + n], ec_all[h_off : h_off + n]
        EA = scale * ua.reshape((1, n))
        EC = scale * uc.reshape((1, n))
        h_off += n
        if not certify:
            EA[:] = 0.0
            EC[:] = 0.0
        s_right, p, i, m, x, e, ga, gc, bad = _split_layer(
            A, C, edges, edge_err, EA, EC, no_rows, kn, certify, before, mu, nu, ua, uc
        )
        if bad.any() and k > 0:  # those pieces again, with bounds of their own
            retried += int(np.count_nonzero(bad))
            rows = np.nonzero(bad)[0]
            states, firsts = _compose(rows, k, chain, parents, first)
            own_a, own_c = _own_bounds(rows, states, firsts, k, net, a0, c0, scale * g_own)
            # both bound the error, so the smaller does: own bounds take each neuron's
            # slopes along the running sums, which can exceed the network's largest
            EA2, EC2 = np.empty((rows.size + 1, n)), np.empty((rows.size + 1, n))
            EA2[0], EC2[0] = EA[0], EC[0]
            EA2[1:], EC2[1:] = np.minimum(own_a, EA), np.minimum(own_c, EC)
            if not _resplit(
                rows, A, C, edges, edge_err, EA2, EC2, kn, certify, before, mu, nu, ua, uc,
                s_right, p, i, m, x, e, bad,
            ):  # fmt: skip
                row_of = np.zeros(A.shape[0], np.int64)
                row_of[rows] = np.arange(1, rows.size + 1)
                s_right, p, i, m, x, e, ga, gc, bad = _split_layer(
                    A, C, edges, edge_err, EA2, EC2, row_of, kn, certify, before, mu, nu, ua, uc
                )
        if bad.any():
            none = np.zeros(0, np.int64)
            S0 = np.zeros((0, 0), np.int8)
            return (
                (1, retried, 0, need[0]), edges, A, C, bad, none, none,
                (np.zeros((0, 0), np.int64), np.zeros(0, np.int8), none), S0, none, none,
                none, none, none, edge_err,
            )  # fmt: skip
        P = A.shape[0]
        # intercepts by continuity on most first children, before the last hidden layer
        ev = every if k < L - 1 and n_next >= _CONTINUITY_WIDTH else 1
        n_rows = P + (P + ev - 1) // ev
        post = _scratch(work, need, 0, n_rows, n)
        edges2, err2, parent, inactive, S2, old, new = _children(
            A, C, s_right, p, i, m, x, e, ga, gc, edges, edge_err,
            slopes[k], offsets[k], active[k], inactive, k < L - 1, post, kn.size, ev,
        )  # fmt: skip
        WT = wt[w_off[k + 1] : w_off[k + 2]].reshape((n, n_next))
        both = _scratch(work, need, 1, n_rows, n_next)
        # under relu's table the second layer's maps nearly correctly rounded, and its
        # intercepts' errors for its crossings (_compensated_sums)
        compensated = k == 0 and k < L - 1 and _plain(slopes[0], offsets[0])
        F_lo = np.empty((2 if compensated else 0, n_next))
        if compensated:  # (one piece, so one parent: no continuity)
            _compensated_product(post, WT, bias[b_off[1] : b_off[2]], both, F_lo)
        else:
            _product(post, WT, both)
            both[P:] += bias[b_off[k + 1] : b_off[k + 2]]
        FA = both[:P]
        FC = both[P:]
        edges, edge_err = edges2, err2
        if k < L - 1:  # the last layer's states are its switch events
            chain.append(S2)
            parents.append(parent)
            fst = np.empty(P, np.int64)
            for r in range(parent.size - 1, -1, -1):
                fst[parent[r]] = r
            first.append(fst)
            # the next layer's maps, in scratch arrays other than A's and C's
            A_out = _scratch(work, need, 2 + k % 2, parent.size, n_next)
            C_out = _scratch(work, need, 4 + k % 2, parent.size, n_next)
        else:  # the outputs, which leave the sweep
            A_out = _fresh(parent.size * n_next, np.float64).reshape((parent.size, n_next))
            C_out = _fresh(parent.size * n_next, np.float64).reshape((parent.size, n_next))
        if compensated:  # slot 0's post-activations are spent
            C_lo = _scratch(work, need, 0, parent.size, n_next)
            _compensated_sums(
                both, F_lo, ga, gc, WT, i, old, new, slopes[0], offsets[0], A_out, C_out, C_lo
            )
        else:
            C_lo = F_lo  # (no rows: no errors)
            _running_outputs(
                FA, FC, ga, gc, WT, p, i, old, new, slopes[k], offsets[k], A_out, C_out, ev,
                edges,
            )  # fmt: skip
        longest = _longest_run(p)  # switches in one parent
        if k < L - 1:
            sums += longest + 2
            if certify and ev == 1:  # no continuity: _continuity_factors reads mu, nu only
                mo, no = _continuity_factors(1, mu, nu, 0.0, 0.0, 0.0, mu[:0], mu[:0], mu[:0])
                mu, nu = mo[parent], no[parent]
            elif certify:
                ua_next = ea_all[h_off : h_off + n_next]
                inv_ua = np.where(ua_next > 0.0, 1.0 / ua_next, 0.0)
                f = running[k + 1]
                mo, no = _continuity_factors(
                    ev, mu, nu, f, _scale_jit(f, n_ops, sums), inv_g, np.abs(edges[fst]),
                    edge_err[fst], _jumps(A_out, fst, ev, inv_ua),
                )  # fmt: skip
                mu, nu = mo[parent], no[parent]
            else:
                mu, nu = np.zeros(parent.size), np.zeros(parent.size)
            before = no_before
            if k == 0:  # the first layer's maps are exact: the second's crossings from them
                W1, b1 = w_rows.reshape((n_next, n)), bias[b_off[1] : b_off[2]]
                before = (True, A, C, parent, S2, slopes[0], offsets[0], W1, b1, C_lo)
            A, C = A_out, C_out
            continue
        region = _fresh(p.size, np.int64)  # the region each switch begins
        # breakpoints: a single switch that changes the slope and reaches an output
        kink = _fresh(parent.size - 1, np.bool_)
        kink[:] = False
        for t in range(p.size):
            region[t] = t + p[t] + 1
            kink[region[t] - 1] = reaches[i[t]] and slopes[k, new[t]] != slopes[k, old[t]]
        # boundaries of earlier layers: the bound of pwlinear.analysis._partition on both
        # sides' output slopes, gamma of the chain's rounded operations (a first layer of
        # one input column) and the running sums', times 2 + 2k for the switches' terms
        g = _gamma_jit(n_ops + sums + 2 * longest + 4)
        kink_bound = g * (2 + 2 * max(n_knots[k], 1)) * kink_chain
        n_open = 0
        undecided = _fresh(parent.size, np.int64)
        for b in range(parent.size - 1):  # a boundary of an earlier layer
            if parent[b + 1] == parent[b]:
                continue
            for c in cols:
                d = abs(A_out[b + 1, c] - A_out[b, c])
                if d > kink_bound[c] or (not certify and d > 0.0):
                    kink[b] = True
            if certify and not kink[b]:
                undecided[n_open] = b
                n_open += 1
        if n_open:  # the slope difference carried through the layers on its own
            g_diff = _gamma_jit(2 * n_ops + 4) * (1 + max(n_knots[k], 1))
            undecided = _difference_kinks(
                undecided[:n_open], kink, a0, net, chain, parents, first, parent, s_right, p,
                i, new, cols, g_diff,
            )  # fmt: skip
            n_open = undecided.size
        anc, flat_states, offs = _ancestors(parent, k, chain, parents)
        loose = 0  # boundaries whose bound exceeds _REFINE of their size
        for b in range(1, edges.size - 1):
            loose += edge_err[b] > _REFINE * abs(edges[b])
        return (
            (0, retried, loose, need[0]), edges, A_out, C_out, kink,
            undecided[:n_open], inactive, (anc, flat_states, offs), s_right, parent, region, i, old,
            new, edge_err,
        )  # fmt: skip
    raise AssertionError("the sweep needs a hidden layer")


@numba.njit(cache=True)
def _sweep_many(
    flat: tuple[Any, Any],
    own: Any,
    g_own: float,
    reaches: Any,
    cols: Any,
    work: Any,
) -> tuple[Any, Any]:
    """:func:`_sweep` on ``[0, 1]`` for every row of ``own`` (the first layers of
    segments with their bounds, as :func:`_own` joins them): all the breakpoints, flat,
    and how many each segment has (-1 for a segment that needs the settling path, or a
    breakpoint whose error bound exceeds :data:`_REFINE` of its size)."""
    S = own.shape[0]
    counts = np.zeros(S, np.int64)
    found = []
    for s in range(S):
        out = _sweep(flat, own[s], g_own, 0.0, 1.0, reaches, cols, True, _EVERY, work)
        points = out[1][1:-1][out[4]]
        loose = out[-1][1:-1][out[4]] > _REFINE * np.abs(points)
        if out[0][0] or out[5].size or loose.any():  # settled or refined one by one
            counts[s] = -1
            continue
        counts[s] = points.size
        found.append(points)
    every_point = np.empty(counts[counts > 0].sum())
    t = 0
    for points in found:
        every_point[t : t + points.size] = points
        t += points.size
    return every_point, counts


def segment_args(net: Network, a0: FloatArray, c0: FloatArray) -> tuple[Any, ...]:
    """What :func:`_sweep` takes of ``net`` along lines whose first layers are the rows of
    ``a0, c0``: the flat arrays of :func:`_flat`, per row the network-wide bounds of every
    hidden neuron (the first layer's maps are exact) and twice the output slopes' absolute
    chains (with room for rounding; the sweep multiplies them by the :math:`\\gamma` of its
    running sums), and the factor of the bounds of a piece's own
    (:func:`pwlinear._bounds._local_bounds`).

    The bounds are those of :func:`pwlinear._bounds._layer_bounds`, :math:`\\gamma_{N+4}`
    times the all-active absolute chains, with the rounded operations :math:`N` of a
    first layer with one input column."""
    g = float(_gamma(_n_ops(net) + 1 - net.n_inputs + 4))
    chains, out_chain = _chains(net, np.abs(a0), np.abs(c0))
    ea = np.concatenate([np.zeros_like(a0)] + [1.01 * g * a for a, _ in chains[1:]], axis=1)
    ec = np.concatenate([np.zeros_like(c0)] + [1.01 * g * c for _, c in chains[1:]], axis=1)
    return _cached(net, "sweep_flat", _flat), ea, ec, 1.01 * g, 2.03 * out_chain


def _own(a0: Any, c0: Any, ea: Any, ec: Any, kink_chain: Any) -> FloatArray:
    """:func:`_sweep`'s ``own`` (rows of it, for 2-d arguments): the first layer's slopes
    and intercepts, the network-wide bounds of every hidden neuron and the kink chains,
    joined (an array argument costs the kernel's dispatch and unboxing about 0.1 us)."""
    return np.ascontiguousarray(np.concatenate([a0, c0, ea, ec, kink_chain], axis=-1))


def _flat(net: Network) -> tuple[FloatArray, IntArray]:
    """The network as the kernel's two flat arrays, one of floats and one of integers
    (an array argument costs the kernel's dispatch and unboxing about 0.1 us: these
    were twelve), which :func:`_unflat` views as their parts: every ``W.T`` and bias
    concatenated with their offsets, the widths, the activations' knots, slopes, offsets
    and active flags padded to the most knots, the factors of
    :func:`pwlinear._bounds._running_factors`, and the weights into the second hidden
    layer as ``W`` (rows by neuron, for :func:`_dot2_post`; empty with one hidden
    layer).  The integers begin with where each part begins (:func:`_unflat`)."""
    wts = [np.ascontiguousarray(W.T, dtype=np.float64).reshape(-1) for W, _ in net.layers]
    bs = [np.asarray(b, dtype=np.float64) for _, b in net.layers]
    acts = net.activations
    k_max = max([a.knots.size for a in acts], default=0)
    knots = np.zeros((len(acts), max(k_max, 1)))
    tables = [np.zeros((len(acts), k_max + 1)) for _ in range(3)]
    for j, a in enumerate(acts):
        knots[j, : a.knots.size] = a.knots
        for t, v in zip(tables, (a.slopes, a.offsets, a.active)):
            t[j, : v.size] = v
    w_rows = np.asarray(net.layers[1][0] if len(acts) > 1 else (), dtype=np.float64)
    floats = [
        *wts, *bs, knots, tables[0], tables[1],
        _cached(net, "running_factors", _running_factors), w_rows,
    ]  # fmt: skip
    ints = [
        np.cumsum([0] + [w.size for w in wts]),
        np.cumsum([0] + [b.size for b in bs]),
        np.array(net.widths),
        np.array([a.knots.size for a in acts]),
        tables[2],
    ]
    n_w = len(wts) + len(bs)  # where each part begins, then the tables' widths
    f_at = np.cumsum([0] + [v.size for v in floats])[[0, len(wts), n_w, n_w + 1, n_w + 2,
                                                      n_w + 3, n_w + 4, n_w + 5]]  # fmt: skip
    i_at = _HEADER + np.cumsum([0] + [v.size for v in ints])
    head = np.concatenate([f_at, [knots.shape[1], tables[0].shape[1]], i_at])
    return (
        np.concatenate([v.reshape(-1) for v in floats]).astype(np.float64),
        np.concatenate([head] + [v.reshape(-1) for v in ints]).astype(np.int64),
    )


_HEADER = 16  # of _flat's integers: 8 float offsets, 2 widths of tables, 6 int offsets


@numba.njit(cache=True)
def _unflat(floats: Any, ints: Any) -> tuple[Any, ...]:
    """:func:`_flat`'s arrays as the network's parts (views): ``wt, w_off, bias, b_off,
    widths, knots, n_knots, slopes, offsets, active, running, w_rows``."""
    f, k_w, t_w, i = ints[:8], ints[8], ints[9], ints[10:_HEADER]
    L = (f[3] - f[2]) // k_w
    return (
        floats[f[0] : f[1]], ints[i[0] : i[1]], floats[f[1] : f[2]], ints[i[1] : i[2]],
        ints[i[2] : i[3]], floats[f[2] : f[3]].reshape((L, k_w)), ints[i[3] : i[4]],
        floats[f[3] : f[4]].reshape((L, t_w)), floats[f[4] : f[5]].reshape((L, t_w)),
        ints[i[4] : i[5]].reshape((L, t_w)), floats[f[5] : f[6]], floats[f[6] : f[7]],
    )  # fmt: skip


def _kernel_args(net: Network) -> tuple[Any, ...]:
    """What :func:`_sweep` takes of the network along its own first layer: the arrays of
    :func:`_flat`, ``own`` (:func:`_own` of :func:`segment_args`) and the factor of a
    piece's own bounds, with the widths of the hidden layers whose states the sweep
    returns (all but the last), whether a hidden layer after the second has
    :data:`_CONTINUITY_WIDTH` neurons or more (a layer that continuity can come before),
    and :func:`_reaches` of every output; computed once per network."""
    W0, b0 = net.layers[0]
    a0, c0 = (np.asarray(v, dtype=np.float64) for v in (W0[:, 0], b0))
    flat, ea, ec, g_own, kink_chain = segment_args(net, a0[None, :], c0[None, :])
    own = _own(a0, c0, ea[0], ec[0], kink_chain[0])
    wide = max(net.hidden_widths[2:], default=0) >= _CONTINUITY_WIDTH
    reaches = _reaches(net, np.arange(net.n_outputs))
    return flat, own, g_own, net.hidden_widths[:-1], wide, reaches


def partition_sweep(
    net: Network,
    lo: float,
    hi: float,
    cols: IntArray,
    certify: bool = True,
    continuity: bool = True,
) -> tuple[Any, ...]:
    """The certified float partition by the compiled sweep, with the results of
    :func:`pwlinear.analysis._partition`: edges, output slopes and intercepts, breakpoint
    flags, inactive counts, dense states (as a function that computes them, where no
    boundary needed them), the last hidden layer's switch events, and a
    bound on each edge's rounding error (None where no bound exceeds :data:`_REFINE` of
    its edge: then no boundary needs refining).

    Intercepts by continuity (:func:`_running_outputs`) loosen the bounds of the layers
    after them; where that leaves something undecided, the sweep runs again with
    products only, the arithmetic of :func:`pwlinear.analysis._partition` by default.
    Raises :class:`SweepUndecided` where the exact settling path is needed.
    """
    args = _cached(net, "sweep_args", _kernel_args)
    flat, own, g_own, widths, wide, reaches = args
    if cols.size < net.n_outputs:  # one output (else every one)
        key = f"sweep_reaches_{int(cols[0])}"
        reaches = _cached(net, key, lambda n: _reaches(n, cols))
    lo, hi = float(lo), float(hi)
    work = _scratch_array()
    for every in (_EVERY, 1) if continuity and wide else (1,):
        out = _sweep(flat, own, g_own, lo, hi, reaches, cols, certify, every, work)
        info, edges, A, C, kink, open_b, inactive, states, s0, parent, region, *change, err = out
        if info[3] > work.size:
            _grow_scratch(int(info[3]))
        if not info[0]:
            break
    else:
        raise SweepUndecided("a state or an order within its piece's own bound")
    anc, flat_states, offs = states
    dense: Any = partial(_dense, anc, flat_states, offs, widths)  # most callers never read them
    events = _Events(s0, parent, region, *change)
    if open_b.size:  # what the sweep's difference test left open: exact arithmetic
        from pwlinear.analysis import _settle_exactly

        dense = dense()
        _settle_exactly(net, cols, kink, list(dense), events, None, open_b)
    return edges, A, C, kink, inactive, dense, events, err if info[2] else None


def _dense(
    anc: Any, flat_states: Any, offs: Any, widths: tuple[int, ...]
) -> tuple[NDArray[Any], ...]:
    """The states of every hidden layer but the last on every region, from the sweep's
    :func:`_ancestors`."""
    return tuple(
        flat_states[offs[j] : offs[j + 1]].reshape(-1, w)[anc[j]] for j, w in enumerate(widths)
    )


def _reaches(net: Network, cols: IntArray) -> NDArray[np.bool_]:
    """Which neurons of the last hidden layer have a nonzero weight into an output of
    ``cols``."""
    out: NDArray[np.bool_] = (net.layers[-1][0][cols] != 0).any(axis=0)
    return out
