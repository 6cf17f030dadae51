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

from pwlinear._validation import check_interval
from pwlinear.analysis import regions
from pwlinear.network import Network, as_network

__all__ = ["DecisionChanges", "decision_changes", "restrict"]


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
