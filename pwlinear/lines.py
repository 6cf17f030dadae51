"""Networks with many inputs, analysed along a line or segment of input space.

Along :math:`x(t) = x_0 + t\\,d` a network :math:`N` is the scalar-input
network :math:`t \\mapsto N(x_0 + t d)`, whose first layer is
:math:`(W_1 d,\\; W_1 x_0 + b_1)`; every exact 1-D analysis applies to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pwlinear._validation import check_interval, check_output
from pwlinear.analysis import breakpoints, regions
from pwlinear.network import Network, as_network

__all__ = ["DecisionChanges", "breakpoints_many", "decision_changes", "restrict"]


def restrict(
    net: Any,
    x0: ArrayLike,
    x1: ArrayLike | None = None,
    *,
    direction: ArrayLike | None = None,
    exact: bool = False,
) -> Network:
    """The scalar-input network :math:`t \\mapsto N(x_0 + t\\,d)`.

    Parameters
    ----------
    net : Network or sequence of (W, b)
        A network with ``n_in`` inputs.
    x0 : array_like, shape (n_in,)
        The point at ``t = 0``.
    x1 : array_like, shape (n_in,), optional
        The point at ``t = 1`` (the segment ``x0 -> x1``); or give
    direction : array_like, shape (n_in,), optional
        :math:`d`, for the line :math:`x_0 + t d`.
    exact : bool, default False
        Compute the new first layer in exact rationals, so that the result
        is the restriction exactly (float products round otherwise).

    Examples
    --------
    >>> import numpy as np
    >>> import pwlinear as pl
    >>> net = pl.Network.random([3, 8, 1], seed=0)
    >>> x0, x1 = np.zeros(3), np.ones(3)
    >>> line = pl.restrict(net, x0, x1)
    >>> bool(np.isclose(line(0.5), net(np.full(3, 0.5))))
    True
    """
    network = as_network(net)
    p0 = np.asarray(x0, dtype=np.float64).reshape(-1)
    n_in = network.n_inputs
    if p0.shape != (n_in,) or not np.all(np.isfinite(p0)):
        raise ValueError(f"x0 must be {n_in} finite numbers, got shape {p0.shape}")
    if (x1 is None) == (direction is None):
        raise ValueError("give exactly one of x1 (a segment) and direction (a line)")
    other = np.asarray(x1 if x1 is not None else direction, dtype=np.float64).reshape(-1)
    if other.shape != (n_in,) or not np.all(np.isfinite(other)):
        name = "x1" if x1 is not None else "direction"
        raise ValueError(f"{name} must be {n_in} finite numbers, got shape {other.shape}")
    layers: list[tuple[Any, Any]]
    if exact:
        from fractions import Fraction

        layers = list(network.exact_layers)
        q0 = np.array([Fraction(v) for v in p0], dtype=object)
        q1 = np.array([Fraction(v) for v in other], dtype=object)
        d = q1 - q0 if x1 is not None else q1
        W, b = layers[0]
        layers[0] = (W.dot(d)[:, None], b + W.dot(q0))
    else:
        layers = list(network.layers)
        d = other - p0 if x1 is not None else other
        W, b = layers[0]
        layers[0] = ((W @ d)[:, None], b + W @ p0)
    return Network(layers, network.activations)


def breakpoints_many(
    net: Any, starts: ArrayLike, ends: ArrayLike, *, output: int | None = None
) -> list[NDArray[np.float64]]:
    """Breakpoints of ``net`` along many segments at once: for each segment
    :math:`x(t) = a_s + t (b_s - a_s)`, the points :math:`t \\in (0, 1)` where the slope
    of :math:`t \\mapsto N(x(t))` changes.

    The same as ``[breakpoints(restrict(net, a, b), (0, 1)) for a, b in zip(starts, ends)]``
    (certified, to the last bit), with the segments analysed in one compiled loop.

    Parameters
    ----------
    net : Network or sequence of (W, b)
        A network with ``n_in`` inputs.
    starts, ends : array_like, shape (n_segments, n_in)
        The points at ``t = 0`` and ``t = 1``; shape ``(n_segments,)`` when ``n_in = 1``.
    output : int, optional
        Only kinks of this output; default a kink of any output.

    Returns
    -------
    list of ndarray
        One sorted float64 array of breakpoints ``t`` per segment.

    Examples
    --------
    >>> import numpy as np
    >>> import pwlinear as pl
    >>> net = pl.shifted_relus([1.0, -1.0], [0.5, 2.0])
    >>> pl.breakpoints_many(net, [0.0, 1.0, -4.0], [1.0, 3.0, -3.0])
    [array([0.5]), array([0.5]), array([], dtype=float64)]
    """
    network = as_network(net)
    n_in = network.n_inputs
    shape = (-1, n_in) if n_in > 1 or np.ndim(starts) < 2 else (-1, 1)
    pts = []
    for name, value in (("starts", starts), ("ends", ends)):
        a = np.asarray(value, dtype=np.float64)
        if (
            (n_in == 1 and a.ndim not in (1, 2))
            or (a.ndim == 2 and a.shape[1] != n_in)
            or (n_in > 1 and a.ndim != 2)
        ):
            raise ValueError(f"{name} must have shape (n_segments, {n_in}), got {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} must be finite, got {a[~np.isfinite(a)][0]}")
        pts.append(np.ascontiguousarray(a.reshape(shape)))
    p0, p1 = pts
    if p0.shape != p1.shape:
        raise ValueError(f"starts and ends must have the same shape, got {p0.shape} and {p1.shape}")
    out = check_output(output, network.n_outputs)
    cols = np.arange(network.n_outputs) if out is None else np.array([out])
    W, b = network.layers[0]  # the first layers of restrict, segment by segment
    a0 = np.array([W @ d for d in p1 - p0]).reshape(-1, W.shape[0])
    c0 = np.array([b + W @ p for p in p0]).reshape(-1, W.shape[0])
    counts = np.full(a0.shape[0], -1)
    flat = np.zeros(0)
    if network.activations and a0.shape[0]:
        try:
            from pwlinear._sweep import _own, _reaches, _scratch_array, _sweep_many, segment_args
        except ImportError:  # numba missing: one analysis per segment
            pass
        else:
            net_flat, ea, ec, g_own, kink_chain = segment_args(network, a0, c0)
            if _all_moderate(network, a0, c0):
                reaches = _reaches(network, cols)
                own = _own(a0, c0, ea, ec, kink_chain)
                flat, counts = _sweep_many(net_flat, own, g_own, reaches, cols, _scratch_array())
    result = np.split(flat, np.cumsum(np.maximum(counts, 0))[:-1]) if counts.size else []
    for s in np.flatnonzero(counts < 0):  # the settling path, segment by segment
        layers = [(a0[s][:, None], c0[s]), *network.layers[1:]]
        result[s] = breakpoints(Network(layers, network.activations), (0.0, 1.0), output=output)
    return result


def _all_moderate(net: Network, a0: NDArray[np.float64], c0: NDArray[np.float64]) -> bool:
    """Whether every segment's network is within the range the float bounds cover: checked
    once for first-layer magnitudes from the smallest to the largest of all segments."""
    from pwlinear._bounds import _moderate_range

    both = np.abs(np.concatenate([a0.ravel(), c0.ravel()]))
    nz = both[both > 0]
    if nz.size == 0:
        return True
    n = net.widths[1]
    W, b = np.zeros((n, 1)), np.zeros(n)
    W[0, 0], b[0] = nz.min(), nz.max()  # the first layer's smallest and largest magnitudes
    return _moderate_range(Network([(W, b), *net.layers[1:]], net.activations))


@dataclass(frozen=True)
class DecisionChanges:
    """Where the arg-max output changes along a line: at ``t[k]``, from output ``before[k]``
    to output ``after[k]``."""

    t: NDArray[np.float64]
    before: NDArray[np.intp]
    after: NDArray[np.intp]

    def __len__(self) -> int:
        return int(self.t.size)


def decision_changes(net: Any, interval: Any = None) -> DecisionChanges:
    """Points where :math:`\\arg\\max_k N_k(t)` changes, for a scalar-input network with
    several outputs (the logits of a classifier along a line).

    On each activation region the outputs are lines; the arg-max can only
    change where two of them cross, so every crossing inside a region and
    every region boundary is a candidate, and the arg-max is compared on the
    two sides of each.  No sampling: changes in intervals of any width are
    found.  At an exact tie the lower index wins, as in :func:`numpy.argmax`.

    Examples
    --------
    >>> import pwlinear as pl
    >>> net = pl.Network([([[1.0]], [0.0]), ([[1.0], [-1.0]], [0.0, 0.0])], "identity")
    >>> d = pl.decision_changes(net)
    >>> d.t, d.before, d.after
    (array([0.]), array([1]), array([0]))
    """
    network = as_network(net)
    if network.n_outputs < 2:
        raise ValueError(f"net must have at least 2 outputs, got {network.n_outputs}")
    lo, hi = check_interval(interval)
    r = regions(network, (lo, hi))
    S, C = r.slope, r.intercept  # (n, m)
    m = S.shape[1]
    i, j = np.triu_indices(m, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (C[:, j] - C[:, i]) / (S[:, i] - S[:, j])  # (n, pairs)
    inside = (t > r.left[:, None]) & (t < r.right[:, None])
    cands = np.unique(np.concatenate([t[inside], r.right[:-1]]))
    edges = np.concatenate([[lo], cands, [hi]])
    # a point inside each interval between candidates, where the arg-max is constant
    mids = np.where(
        np.isinf(edges[:-1]) & np.isinf(edges[1:]),
        0.0,
        np.where(
            np.isinf(edges[:-1]),
            edges[1:] - 1.0,
            np.where(np.isinf(edges[1:]), edges[:-1] + 1.0, edges[:-1] / 2 + edges[1:] / 2),
        ),
    )
    q = r.locate(mids)
    winner = np.argmax(S[q] * mids[:, None] + C[q], axis=1)
    change = np.flatnonzero(winner[1:] != winner[:-1])
    return DecisionChanges(cands[change].copy(), winner[change].copy(), winner[change + 1].copy())
