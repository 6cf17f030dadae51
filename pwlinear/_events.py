"""Switch events: crossings sorted along the line and the running sums of their effects.

The last hidden layer is handled as a sorted list of switch events, so that
one hidden layer costs a sort; crossings of exact first-layer maps that float
cannot order are placed exactly.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from pwlinear._bounds import _U, FloatArray, IntArray
from pwlinear._exact import to_float


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


def _segmented_cumsum(
    first: NDArray[Any], steps: NDArray[Any], step_parent: IntArray, n_steps: IntArray
) -> NDArray[Any]:
    """Running sums restarted in each parent: parent ``p`` yields ``first[p]`` then
    ``first[p] + steps[g0]``, ... over its own steps, all parents concatenated (float or
    exact integers alike).  Each row is the row before it plus its step, added in the
    order of :func:`pwlinear._sweep._running_outputs`; level by level (the k-th step of
    every parent at once), so that memory stays that of the result."""
    n = first.shape[0]
    out = np.empty((n + steps.shape[0],) + first.shape[1:], dtype=np.result_type(first, steps))
    start = np.cumsum(n_steps + 1) - (n_steps + 1)  # the row of each parent's first
    rows = np.arange(step_parent.size) + step_parent + 1  # the row of each step
    rank = rows - start[step_parent]  # 1 for a parent's first step, ...
    out[start] = first
    out[rows] = steps
    if n == 1:  # one parent (always so for one hidden layer): a plain running sum
        if out.ndim == 2 and out.shape[1] == 1:  # numpy sums (n, 1) columns slowly
            return np.cumsum(out[:, 0])[:, None]
        return np.cumsum(out, axis=0)  # type: ignore[no-any-return]
    order = np.argsort(rank, kind="stable")
    cuts = np.searchsorted(rank[order], np.arange(1, int(rank.max(initial=0)) + 2))
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        at = rows[order[lo:hi]]
        out[at] = out[at - 1] + out[at]
    return out


def _continuity_sums(
    first: NDArray[Any],
    steps: NDArray[Any],
    step_parent: IntArray,
    parent: IntArray,
    A: NDArray[Any],
    edges: NDArray[Any],
    every: int,
) -> NDArray[Any]:
    """The next layer's intercepts on every child when only every ``every``-th parent's
    first child has them from the product (``first``, one row each): the other first
    children from continuity with the child before them at their left end :math:`x_0`,
    :math:`c = c_- - x_0 (a - a_-)` (``A``: the slopes on every child; ``edges``: the
    children's), and every child after them by the running sums of ``steps``; all as
    :func:`pwlinear._sweep._running_outputs` adds them, so the same bits: one running sum
    over each block of ``every`` parents (``parent``: each child's)."""
    rows = np.arange(step_parent.size) + step_parent + 1  # the row of each step
    inc = np.empty((parent.size,) + steps.shape[1:], dtype=steps.dtype)
    inc[rows] = steps
    starts = np.flatnonzero(np.r_[True, parent[1:] != parent[:-1]])  # first children
    cont = starts[np.arange(starts.size) % every != 0]
    inc[cont] = -(edges[cont][:, None] * (A[cont] - A[cont - 1]))
    block = parent // every
    later = np.flatnonzero(np.r_[False, block[1:] == block[:-1]])  # all but block starts
    n_later = np.bincount(block[later], minlength=first.shape[0])
    return _segmented_cumsum(first, inc[later], block[later], n_later)


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


class _Events(NamedTuple):
    """Switches of the last hidden layer, sorted by position (a named tuple: built on
    every call, where a frozen dataclass's checked assignments cost a few µs)."""

    s0: NDArray[Any]  # (n_parents, width) states just right of each parent's left edge
    parent: IntArray  # (n_regions,) parent piece of each region
    region: IntArray  # (n_events,) region that begins at the switch
    neuron: IntArray  # (n_events,)
    old: IntArray  # (n_events,) state before the switch
    new: IntArray  # (n_events,) state after


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
            t[j] = min(max(to_float(q), np.nextafter(lo, np.inf)), np.nextafter(hi, -np.inf))
    r, prev = 0, None
    for j, q in sorted(exact.items(), key=lambda item: item[1]):
        r += q != prev
        rank[j], prev = r, q
    return t, rank
