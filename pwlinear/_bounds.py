"""Rigorous bounds on the rounding errors of the float partition.

Every slope and intercept of a neuron on a piece is computed by a chain of
matrix products and running sums (rank-one updates from a piece's first child);
Higham's :math:`\\gamma_n = nu/(1 - nu)` times the same chain in absolute values
bounds its error.  Network-wide bounds use every activation at its largest
slope, times :func:`_running_scale` for the running sums; per-piece bounds use
each neuron's slopes along the sums from the piece's first sibling to its own
states (:func:`_path_table`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from pwlinear.network import Network

_U = 2.0**-53  # unit roundoff of float64
_REFINE = 2.0**-8  # float boundaries whose certified relative error bound exceeds this

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def _gamma(n: Any) -> Any:
    """Higham's :math:`\\gamma_n = n u / (1 - n u)`, the bound for n rounded operations."""
    nu = np.asarray(n, dtype=np.float64) * _U
    return nu / (1.0 - nu)


def _path_table(table: NDArray[Any]) -> FloatArray:
    """``out[f, s]``: :math:`|t_f|` plus the total variation of ``table`` from entry ``f``
    to entry ``s`` -- the absolute values of a neuron's terms in a map carried by running
    sums from a piece's first child (state ``f``) to a later one (state ``s``): the first
    child's term and one per knot crossed in between.  ``|t_s|`` where ``f == s``."""
    t = np.asarray(table, dtype=np.float64)
    steps = np.concatenate(([0.0], np.cumsum(np.abs(np.diff(t)))))
    return np.abs(t)[:, None] + np.abs(steps[None, :] - steps[:, None])  # type: ignore[no-any-return]


def _abs_chain(
    net: Network, dense: list[NDArray[Any]], firsts: list[NDArray[Any]], rows: IntArray
) -> FloatArray:
    """Per region, :math:`|W_L| \\bar s_{L-1} |W_{L-1}| |s_{L-2}| \\cdots |s_1| |w_1|`, the sum of
    absolute values of every term of the output slope (rows: region indices), with each
    hidden layer's slopes taken along the running sums from the states ``firsts`` of the
    piece's first sibling (:func:`_path_table`)."""
    v = np.broadcast_to(np.abs(net.layers[0][0][:, 0]), (rows.size, net.layers[0][0].shape[0]))
    for act, s, f, (W, _) in zip(net.activations, dense, firsts, net.layers[1:-1]):
        v = (_path_table(act.slopes)[f[rows], s[rows]] * v) @ np.abs(W).T
    return (net.activations[-1].max_abs_slope * v) @ np.abs(net.layers[-1][0]).T  # type: ignore[no-any-return]


def _n_ops(net: Network) -> int:
    """Rounded operations along the longest chain that computes an output slope."""
    return sum(W.shape[1] + 2 for W, _ in net.layers)


def _chain_gamma(net: Network) -> float:
    """:math:`1.01\\,\\gamma_{N+4}` for the :math:`N` rounded operations of
    :func:`_n_ops`: the factor on the absolute chains that bounds a product's error."""
    return float(_gamma(_n_ops(net) + 4)) * 1.01


def _cached(net: Network, key: str, compute: Any) -> Any:
    """``compute(net)``, computed once per (immutable) network."""
    cache = net._cache
    if key not in cache:
        cache[key] = compute(net)
    return cache[key]


def _chains(
    net: Network, a_abs: FloatArray, c_abs: FloatArray
) -> tuple[list[tuple[FloatArray, FloatArray]], FloatArray]:
    """All-active absolute chains from first layers with slopes ``a_abs`` and intercepts
    ``c_abs`` (one row each): per hidden layer, bounds on :math:`|a|` and :math:`|c|` of
    every neuron on any piece (every activation at its largest slope and offset); and the
    slope chain through the output layer."""
    out = []
    for act, (W, b) in zip(net.activations, net.layers[1:]):
        out.append((a_abs, c_abs))
        absW = np.abs(W).T
        a_abs = (act.max_abs_slope * a_abs) @ absW
        c_abs = (act.max_abs_slope * c_abs + np.max(np.abs(act.offsets))) @ absW + np.abs(b)
    return out, a_abs


def _layer_bounds(net: Network) -> list[tuple[FloatArray, FloatArray, tuple[float, ...]]]:
    """Per hidden layer, per neuron: bounds on the float error of its pre-activation slope
    and intercept on any piece, :math:`\\gamma_N` times the all-active absolute chains; and
    the layer's largest computed slope, slope error, intercept error and intercept."""
    g = _chain_gamma(net)
    W0, b0 = net.layers[0]
    chains, _ = _chains(net, np.abs(W0[:, 0])[None, :], np.abs(b0)[None, :])
    out: list[tuple[FloatArray, FloatArray, tuple[float, ...]]] = []
    for li, (a_abs, c_abs) in enumerate(chains):
        a_abs, c_abs = a_abs[0], c_abs[0]
        ea, ec = (g * a_abs, g * c_abs) if li else (0 * a_abs, 0 * c_abs)  # layer 1 is exact
        scale = (np.max(a_abs + ea), ea.max(), ec.max(), np.max(c_abs + ec))
        out.append((ea, ec, tuple(1.01 * float(v) for v in scale)))
    return out


def _local_bounds(
    net: Network, dense: list[NDArray[Any]], firsts: list[NDArray[Any]], rows: IntArray
) -> tuple[FloatArray, FloatArray]:
    """For the pieces ``rows``, per neuron of the layer after ``dense``: the error bounds of
    :func:`_layer_bounds` with each piece's own activation slopes and offsets, taken along
    the running sums from the states ``firsts`` of its first sibling (:func:`_path_table`;
    exact zeros stay zero)."""
    g = _chain_gamma(net)
    W0, b0 = net.layers[0]
    a_abs = np.broadcast_to(np.abs(W0[:, 0]), (rows.size, W0.shape[0]))
    c_abs = np.broadcast_to(np.abs(b0), (rows.size, W0.shape[0]))
    for act, s, f, (W, b) in zip(net.activations, dense, firsts, net.layers[1:]):
        sl = _path_table(act.slopes)[f[rows], s[rows]]
        off = _path_table(act.offsets)[f[rows], s[rows]]
        a_abs = (sl * a_abs) @ np.abs(W).T
        c_abs = (sl * c_abs + off) @ np.abs(W).T + np.abs(b)
    return g * a_abs, g * c_abs


def _running_factors(net: Network) -> FloatArray:
    """Per hidden layer ``k``, the factor :math:`f` of :func:`_running_scale` for running
    sums over the layers before ``k``: :math:`1 + \\max K (\\max t - \\min t) / \\max |t|`
    over their activations' slope and offset tables ``t`` (:math:`K` knots)."""
    f = [1.0]
    for act in net.activations[:-1]:
        g = f[-1]
        for table in (act.slopes, act.offsets):
            top = float(np.abs(table).max())
            if top > 0.0:
                g = max(g, 1.0 + act.knots.size * float(table.max() - table.min()) / top)
        f.append(g)
    return np.array(f)


def _running_scale(net: Network, sums: int, layers: int) -> float:
    """The factor on the bounds of :func:`_layer_bounds` (and :func:`_local_bounds`) once
    the first ``layers`` hidden layers have carried their later children by running sums
    of ``sums`` more rounded operations :math:`M`, rank-one updates from each piece's first
    child: :math:`f\\,\\gamma_{N+4+M} / \\gamma_{N+4}` (:math:`f` of
    :func:`_running_factors`).

    A child's computed map is a sum of the first child's product terms and of one term per
    switch before it, so :math:`\\gamma` counts :math:`M` more operations; the absolute
    values of those terms exceed the chain's by at most :math:`f - 1` times, as a neuron
    crosses at most its :math:`K` knots in a piece, each changing its slope (offset) by at
    most :math:`\\max s - \\min s` against the chain's :math:`\\max |s|`.  The input
    errors propagate as through the product, so the factor does not compound over layers.
    """
    if sums == 0:
        return 1.0
    f = float(_cached(net, "running_factors", _running_factors)[layers])
    n = _n_ops(net)
    return float(f * _gamma(n + 4 + sums) / _gamma(n + 4) * (1.0 + 1e-12))


def _moderate_range(net: Network, limit: float = 1e150) -> bool:
    """True when every product of consecutive layers' weight magnitudes (and activation
    slopes) stays within ``[1/limit, limit]``, so no float result under- or overflows
    and the error bounds, which assume neither, hold."""
    logs = []  # log10 of the smallest and largest factor each layer can contribute
    for li, (W, b) in enumerate(net.layers):
        vals = np.abs(np.concatenate([W.ravel(), b]))
        nz = vals[vals > 0]
        logs.append(
            (
                np.log10(nz.min(initial=1.0)),
                np.log10(nz.max(initial=1.0)) + np.log10(W.shape[1] + 1),
            )
        )
        if li < len(net.activations):
            act = net.activations[li]
            sl = np.abs(act.slopes)
            big = max(float(sl.max()), float(np.abs(act.offsets).max(initial=0.0)), 1e-300)
            logs.append((np.log10(sl[sl > 0].min(initial=1.0)), np.log10(2 * big)))
    factors = np.array(logs)
    for i in range(len(factors)):
        lo = np.cumsum(factors[i:, 0])
        hi = np.cumsum(factors[i:, 1])
        if lo.min() < -np.log10(limit) or hi.max() > np.log10(limit):
            return False
    return True


def _abs_chain_max(net: Network) -> FloatArray:
    """:math:`|W_L| \\bar s_{L-1} \\cdots \\bar s_1 |w_1|` with every activation at its largest
    slope: a bound on :func:`_abs_chain` for all regions at once."""
    W0, b0 = net.layers[0]
    return _chains(net, np.abs(W0[:, 0])[None, :], np.abs(b0)[None, :])[1][0]


def _difference_step(
    D: FloatArray,
    A: FloatArray,
    D_abs: FloatArray,
    A_abs: FloatArray,
    SL: FloatArray,
    SR: FloatArray,
    WT: FloatArray,
    WT_abs: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    r"""One layer of the slope difference across boundaries (a row each),
    :math:`D_{l+1} = W_{l+1}(S^R_l D_l + (S^R_l - S^L_l) A_l)` and
    :math:`A_{l+1} = W_{l+1} S^L_l A_l` (``SL, SR``: the activation slopes on either
    side; ``WT``: :math:`W_{l+1}^T`, C-contiguous), and the same recursion in absolute
    values, whose :math:`\gamma` multiple bounds the error of ``D``
    (:func:`pwlinear.analysis._difference_test`).  The sweep compiles this same function.
    D and A go through the layer in one product, their absolute values in another
    (products of a few rows cost the call, not the rows)."""
    m = D.shape[0]
    dS = SR - SL
    X = np.empty((2 * m, WT.shape[0]))
    X_abs = np.empty((2 * m, WT.shape[0]))
    X[:m] = SR * D + dS * A
    X[m:] = SL * A
    X_abs[:m] = np.abs(SR) * D_abs + np.abs(dS) * A_abs
    X_abs[m:] = np.abs(SL) * A_abs
    both, both_abs = X @ WT, X_abs @ WT_abs
    return both[:m], both[m:], both_abs[:m], both_abs[m:]


# before a layer of _CONTINUITY_WIDTH neurons or more (not the output), the first child
# of every _EVERY-th parent takes its intercepts from the matrix product, the others from
# continuity with the child before them (pwlinear._events._continuity_sums)
_EVERY = 4
_CONTINUITY_WIDTH = 256


def _continuity_factors(
    every: int,
    mu: FloatArray,
    nu: FloatArray,
    f: float,
    scale: float,
    inv_g: float,
    x0: FloatArray,
    e0: FloatArray,
    jump: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Per parent, the factors :math:`\\mu, \\nu` of the next layer's intercept error
    bounds beyond the network-wide ones, :math:`\\mu u_a + \\nu u_c` on its children,
    where the first children of all parents but every ``every``-th take their intercepts
    from continuity at their left end (:func:`pwlinear._sweep._running_outputs`,
    :func:`pwlinear._events._continuity_sums`).  The sweep compiles this same function.

    Units: the next layer's network-wide bounds before scaling, :math:`u_a = g\\,\\bar a`
    and :math:`u_c = g\\,\\bar c` (``inv_g`` :math:`\\ge 1/g`; :math:`\\bar a, \\bar c` the
    all-active absolute chains, which bound every exact slope and intercept), whose
    multiples ``scale`` bound the next layer's slopes and intercepts as products give
    them.  Per parent: ``x0``, ``e0`` the absolute value and error bound of its first
    child's left end; ``jump`` the largest computed slope change across it in units
    :math:`u_a` (ignored on every ``every``-th parent).

    :math:`c = c_- - x_0 (a - a_-)` at the computed edge :math:`x_0`, within :math:`e` of
    the exact one, errs by at most: the error of :math:`c_-`; :math:`|x_0|` times both
    slopes' errors, :math:`2\\,\\mathrm{scale}\\, u_a`; :math:`e` times the exact slope
    change, at most the computed one plus both errors; and the rounding of its three
    operations, :math:`u|c_-| + 3.02 u |x_0| |a - a_-|` with :math:`|a|, |a_-| \\le \\bar a
    + \\mathrm{scale}\\, u_a`.  The running sums after it add one more network-wide bound,
    :math:`\\mathrm{scale}\\, u_c`.  The errors ``mu, nu`` of the parents' own intercepts
    (earlier continuity) reach a first child by a product as through one (the same value
    in each post-activation and in each switch's effect, so at most :math:`\\max |s|`
    times: the chains' growth, 1 in these units), and through a continuity parent's
    switches alone at most :math:`f - 1` times, :math:`f` of :func:`_running_factors`;
    and they add up along each block of ``every`` parents."""
    grow = 1.0 + 1e-6  # the rounding of these sums and of the running sums' start
    if every == 1:  # no continuity: the parents' factors carry on (nothing else is read)
        return mu * grow, nu * grow
    c_a = 2.0 * scale + 6.04 * _U * (inv_g + scale)
    c_c = scale + _U * (inv_g + scale)
    q = np.arange(mu.size)
    cont = q % every != 0
    own_m = (f - 1.0) * mu + x0 * c_a + e0 * (jump * (1.0 + 4.0 * _U) + 2.0 * scale)
    base_m = np.where(cont, own_m, mu)
    base_v = np.where(cont, (f - 1.0) * nu + c_c, nu)
    mo, no = base_m * grow, base_v * grow
    for j in range(1, every):  # along each block of parents, in order
        sel = q[q % every == j]
        mo[sel] = (base_m[sel] + mo[sel - 1]) * grow
        no[sel] = (base_v[sel] + no[sel - 1]) * grow
    return mo, no
