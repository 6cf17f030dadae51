"""Regions, breakpoints and the piecewise-linear form, against independent oracles.

The oracles are written here, independently of ``pwlinear``: every activation is
re-stated by hand as knots, slopes and its leftmost offset, evaluated as
``s_0 z + o_0 + sum_j (s_{j+1} - s_j) max(z - t_j, 0)``; forward passes run in exact
:class:`fractions.Fraction` arithmetic on the float weights' exact values; a
neuron's state is the number of knots strictly below its pre-activation (the left
piece at a knot).  Expected counts of the structured nets are derived by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import pwlinear as pl

# -- the oracle -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """An activation stated by hand: knots, slopes, offset of the leftmost piece, active pieces."""

    knots: tuple[Fraction, ...]
    slopes: tuple[Fraction, ...]
    offset: Fraction
    active: tuple[bool, ...]
    make: Any  # () -> pl.Activation

    def __call__(self, z: Fraction) -> Fraction:
        out = self.slopes[0] * z + self.offset
        for j, t in enumerate(self.knots):
            out += (self.slopes[j + 1] - self.slopes[j]) * max(z - t, Fraction(0))
        return out

    def state(self, z: Fraction) -> int:
        return sum(1 for t in self.knots if t < z)


def _f(v: Any) -> Fraction:
    return Fraction(v)


RELU = Spec((_f(0),), (_f(0), _f(1)), _f(0), (False, True), pl.relu)
ABS = Spec((_f(0),), (_f(-1), _f(1)), _f(0), (False, True), pl.absolute)
IDENTITY = Spec((), (_f(1),), _f(0), (True,), pl.identity)


def leaky(a: float) -> Spec:
    return Spec((_f(0),), (_f(a), _f(1)), _f(0), (False, True), lambda: pl.leaky_relu(a))


def hardtanh(lo: float, hi: float) -> Spec:
    return Spec(
        (_f(lo), _f(hi)),
        (_f(0), _f(1), _f(0)),
        _f(lo),
        (False, True, False),
        lambda: pl.hardtanh(lo, hi),
    )


def custom(knots: list[float], slopes: list[float], offset: float, active: list[bool]) -> Spec:
    return Spec(
        tuple(_f(k) for k in knots),
        tuple(_f(s) for s in slopes),
        _f(offset),
        tuple(active),
        lambda: pl.Activation(knots, slopes, offset, name="mine", active=active),
    )


NAMED = {"relu": RELU, "abs": ABS, "identity": IDENTITY}


def build(layers: list[tuple[Any, Any]], specs: list[Spec]) -> pl.Network:
    return pl.Network(layers, [s.make() for s in specs])


def _dyadic(values: Any) -> tuple[list[int], int]:
    """Exact values with power-of-two denominators as ``(numerators, e)``: value = n / 2**e."""
    fr = [Fraction(v) for v in values]
    exps = []
    for f in fr:
        d = f.denominator
        assert d & (d - 1) == 0, "the oracle handles float (dyadic) values only"
        exps.append(d.bit_length() - 1)
    e = max(exps, default=0)
    return [f.numerator << (e - k) for f, k in zip(fr, exps)], e


def exact_forward(
    layers: list[tuple[np.ndarray, np.ndarray]], specs: list[Spec], x: Fraction
) -> tuple[list[Fraction], list[list[int]]]:
    """Output (exact Fractions) and every hidden neuron's state at ``x``.

    Exact arithmetic on Python integers: every value is a float, so a dyadic
    rational ``n / 2**e``; each vector shares one exponent.
    """
    (hn,), he = _dyadic([x])
    h = [hn]
    states: list[list[int]] = []
    for li, (W, b) in enumerate(layers):
        Wn, we = _dyadic(np.asarray(W, dtype=np.float64).ravel().tolist())
        bn, be = _dyadic(np.asarray(b, dtype=np.float64).tolist())
        n_in = len(h)
        ze = max(we + he, be)
        zs, bs = ze - we - he, ze - be
        z = [
            (sum(Wn[i * n_in + j] * h[j] for j in range(n_in)) << zs) + (bn[i] << bs)
            for i in range(len(bn))
        ]
        if li == len(layers) - 1:
            return [Fraction(v, 1 << ze) for v in z], states
        spec = specs[li]
        (tn, sn, on), ae = _spec_ints(spec)
        # state: the number of knots t < z, i.e. t_n * 2**ze < z_n * 2**ae
        states.append([sum(1 for t in tn if (t << ze) < (v << ae)) for v in z])
        # sigma(z) = s_0 z + o_0 + sum_j (s_{j+1} - s_j) max(z - t_j, 0), over 2**(2 ae + ze)
        out = []
        for v in z:
            acc = ((sn[0] * v) << ae) + (on << (ae + ze))
            for j, t in enumerate(tn):
                gap = (v << ae) - (t << ze)
                if gap > 0:
                    acc += (sn[j + 1] - sn[j]) * gap
            out.append(acc)
        h, he = out, 2 * ae + ze
    raise AssertionError("unreachable")


def _spec_ints(spec: Spec) -> tuple[tuple[list[int], list[int], int], int]:
    """Knots, slopes and the leftmost offset of ``spec`` as integers over one 2**e."""
    k = len(spec.knots)
    nums, e = _dyadic([*spec.knots, *spec.slopes, spec.offset])
    return (nums[:k], nums[k : 2 * k + 1], nums[-1]), e


def float_forward(
    layers: list[tuple[np.ndarray, np.ndarray]], specs: list[Spec], x: np.ndarray
) -> np.ndarray:
    """A dense float64 forward pass, activations from the hand-written specs."""
    h = np.asarray(x, dtype=np.float64)[:, None]
    for li, (W, b) in enumerate(layers):
        h = h @ np.asarray(W, dtype=np.float64).T + np.asarray(b, dtype=np.float64)
        if li < len(layers) - 1:
            s = specs[li]
            z = h
            out = float(s.slopes[0]) * z + float(s.offset)
            for j, t in enumerate(s.knots):
                out = out + float(s.slopes[j + 1] - s.slopes[j]) * np.maximum(z - float(t), 0.0)
            h = out
    return h


def magnitude(
    layers: list[tuple[np.ndarray, np.ndarray]], specs: list[Spec], x: np.ndarray
) -> np.ndarray:
    """The scale of the output's float evaluation at ``x``: the forward pass in absolute
    values with every activation at its largest slope and offset, whatever its state.
    Relative errors are measured against it (a float forward pass or a sum of switch
    effects is accurate to a few ulps of this, not of a cancelled result)."""
    m = np.abs(np.asarray(x, dtype=np.float64))[:, None]
    for li, (W, b) in enumerate(layers):
        m = m @ np.abs(W).T + np.abs(b)
        if li < len(layers) - 1:
            s = specs[li]
            offsets = [s.offset]
            for j, t in enumerate(s.knots):
                offsets.append(offsets[-1] + (s.slopes[j] - s.slopes[j + 1]) * t)
            m = float(max(abs(v) for v in s.slopes)) * m + float(max(abs(o) for o in offsets))
    return m


def interior_points(lo: float, hi: float) -> list[float] | None:
    """Three points well inside [lo, hi] (None if the region is too narrow to sample safely)."""
    if math.isinf(lo) and math.isinf(hi):
        return [-1.5, 0.25, 2.0]
    if math.isinf(lo):
        d = max(1.0, abs(hi))
        return [hi - 3 * d, hi - 2 * d, hi - d]
    if math.isinf(hi):
        d = max(1.0, abs(lo))
        return [lo + d, lo + 2 * d, lo + 3 * d]
    if hi - lo <= 1e-9 * max(1.0, abs(lo), abs(hi)):
        return None
    return [lo + (hi - lo) * q for q in (0.25, 0.5, 0.75)]


def check_regions(
    layers: list[tuple[np.ndarray, np.ndarray]],
    specs: list[Spec],
    r: pl.Regions,
    interval: tuple[float, float] = (-math.inf, math.inf),
    output: int | None = None,
) -> list[Fraction | None]:
    """Every claim of the issue about ``r`` against the exact oracle; returns exact slopes."""
    n = len(r)
    n_out = layers[-1][0].shape[0]
    cols = list(range(n_out)) if output is None else [output]
    # the partition
    assert r.left[0] == interval[0] and r.right[-1] == interval[1]
    np.testing.assert_array_equal(r.right[:-1], r.left[1:])
    # regions of zero float width only where exact boundaries are closer than float
    # resolution (documented; test_exact checks the structure against exact=True)
    assert np.all(r.left <= r.right)
    assert r.is_breakpoint.shape == (n - 1,)
    assert r.n_inactive.shape == (n,)
    slope = r.slope.reshape(n, -1)
    intercept = r.intercept.reshape(n, -1)
    assert slope.shape[1] == len(cols)
    assert len(r.states) == len(specs) and len(r.patterns) == len(specs)
    for s, p, spec, (W, _) in zip(r.states, r.patterns, specs, layers):
        assert s.shape == (n, W.shape[0]) and p.shape == (n, W.shape[0])
        assert p.dtype == np.bool_
        np.testing.assert_array_equal(p, np.array(spec.active)[s.astype(np.intp)])
    assert len(r.switches) == n - 1

    exact_slopes: list[list[Fraction] | None] = []
    exact_states: list[list[list[int]] | None] = []
    for k in range(n):
        pts = interior_points(float(r.left[k]), float(r.right[k]))
        if pts is None:
            exact_slopes.append(None)
            exact_states.append(None)
            continue
        xs = [Fraction(p) for p in pts]
        runs = [exact_forward(layers, specs, x) for x in xs]
        # the states at every interior point agree with the reported ones
        states = runs[0][1]
        for _, other in runs[1:]:
            assert other == states, f"region {k} is not one activation region"
        for li, st_l in enumerate(states):
            assert r.states[li][k].tolist() == st_l, f"states of layer {li} on region {k}"
        n_off = sum(1 for spec, st_l in zip(specs, states) for s in st_l if not spec.active[s])
        assert r.n_inactive[k] == n_off, f"n_inactive on region {k}"
        # the network is slope*x + intercept there: exactly linear, and the float line matches
        ys = [[run[0][c] for c in cols] for run in runs]
        ex = [(ys[1][c] - ys[0][c]) / (xs[1] - xs[0]) for c in range(len(cols))]
        ex2 = [(ys[2][c] - ys[1][c]) / (xs[2] - xs[1]) for c in range(len(cols))]
        assert ex == ex2, f"network not linear on region {k}"
        fwd = float_forward(layers, specs, np.array(pts))[:, cols]
        mag = magnitude(layers, specs, np.array(pts))[:, cols]
        for j, xp in enumerate(pts):
            line = slope[k] * xp + intercept[k]
            exact_y = np.array([float(v) for v in ys[j]])
            scale = np.maximum(np.abs(slope[k] * xp) + np.abs(intercept[k]), mag[j])
            assert np.all(np.abs(line - exact_y) <= 1e-9 * scale + 1e-300), (k, xp, line, exact_y)
            assert np.all(
                np.abs(line - fwd[j]) <= 1e-9 * np.maximum(scale, np.abs(fwd[j])) + 1e-300
            )
        exact_slopes.append(ex)
        exact_states.append(states)

    interior = r.right[:-1]
    for b in range(n - 1):
        x = interior[b]
        # continuity at every boundary
        lv, rv = slope[b] * x + intercept[b], slope[b + 1] * x + intercept[b + 1]
        scale = (
            np.abs(slope[b] * x)
            + np.abs(intercept[b])
            + np.abs(slope[b + 1] * x)
            + np.abs(intercept[b + 1])
            + magnitude(layers, specs, np.array([x]))[0, cols]
            + 1e-300
        )
        assert np.all(np.abs(lv - rv) <= 1e-9 * scale), f"discontinuous at boundary {b} ({x})"
        # patterns (states) differ across every boundary
        assert any(np.any(s[b] != s[b + 1]) for s in r.states), f"no state changes at {x}"
        assert r.switches[b].ndim == 2 and r.switches[b].shape[1] == 2
        assert len(r.switches[b]) > 0
        # slopes differ across every reported breakpoint
        sl, sr = exact_slopes[b], exact_slopes[b + 1]
        if r.is_breakpoint[b] and np.all(slope[b] == slope[b + 1]):
            # equal float slopes across a breakpoint only when the exact slopes differ by
            # less than float64 resolves (e.g. 0.1 + 0.2 - 0.3 = 2**-55 added to 0.3)
            assert sl is not None and sr is not None, f"breakpoint {x} without a slope change"
            assert all(abs(u - v) <= 2.0**-50 * max(abs(u), abs(v)) for u, v in zip(sl, sr)), (
                f"breakpoint {x} without a slope change"
            )
        if sl is not None and sr is not None:
            assert bool(r.is_breakpoint[b]) == (sl != sr), (
                f"boundary {b} at {x}: is_breakpoint={r.is_breakpoint[b]}, exact slopes {sl} {sr}"
            )
        ql, qr = exact_states[b], exact_states[b + 1]
        if ql is not None and qr is not None:
            expected = {
                (li, i)
                for li in range(len(specs))
                for i in range(len(ql[li]))
                if ql[li][i] != qr[li][i]
            }
            got = {(int(a), int(c)) for a, c in r.switches[b]}
            assert got == expected, f"switches at boundary {b}"
    np.testing.assert_array_equal(r.breakpoints, interior[r.is_breakpoint])
    np.testing.assert_array_equal(r.boundaries, interior)
    return [None if s is None else s[0] for s in exact_slopes]


# -- strategies -------------------------------------------------------------------------------

WEIGHT = st.one_of(
    st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 0.1, -0.3]),
    st.floats(0.01, 3.0).flatmap(lambda v: st.sampled_from([v, -v])),
)


@st.composite
def activation_specs(draw: st.DrawFn) -> Spec:
    kind = draw(st.sampled_from(["relu", "leaky", "hardtanh", "abs", "identity", "custom"]))
    if kind == "leaky":
        return leaky(draw(st.sampled_from([0.01, 0.2, -0.5, 2.0])))
    if kind == "hardtanh":
        lo = draw(st.sampled_from([-1.0, -0.5, 0.0, 0.25]))
        return hardtanh(lo, lo + draw(st.sampled_from([0.5, 1.0, 2.0])))
    if kind == "custom":
        knots = sorted(
            draw(
                st.sets(st.sampled_from([-1.5, -0.5, 0.0, 0.25, 1.0, 2.0]), min_size=1, max_size=3)
            )
        )
        slopes = draw(
            st.lists(
                st.sampled_from([-1.0, 0.0, 0.5, 1.0, 3.0]),
                min_size=len(knots) + 1,
                max_size=len(knots) + 1,
            )
        )
        offset = draw(st.sampled_from([0.0, 1.0, -0.75]))
        active = draw(st.lists(st.booleans(), min_size=len(knots) + 1, max_size=len(knots) + 1))
        return custom(knots, slopes, offset, active)
    return NAMED[kind]


@st.composite
def small_nets(
    draw: st.DrawFn, max_outputs: int = 1
) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[Spec]]:
    depth = draw(st.integers(1, 3))
    widths = (
        [1] + [draw(st.integers(1, 4)) for _ in range(depth)] + [draw(st.integers(1, max_outputs))]
    )
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        W = np.array([[draw(WEIGHT) for _ in range(n_in)] for _ in range(n_out)])
        b = np.array([draw(WEIGHT) for _ in range(n_out)])
        if n_out > 1 and draw(st.booleans()):  # a duplicated or negated neuron
            sign = draw(st.sampled_from([1.0, -1.0]))
            W[-1], b[-1] = sign * W[0], sign * b[0]
        layers.append((W, b))
    specs = [draw(activation_specs()) for _ in range(depth)]
    return layers, specs


@st.composite
def random_nets(draw: st.DrawFn) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[Spec]]:
    """He-initialised nets of pwlinear's own generator, with hand-stated activations."""
    depth = draw(st.integers(1, 3))
    widths = [1] + [draw(st.integers(1, 6)) for _ in range(depth)] + [draw(st.integers(1, 2))]
    net = pl.Network.random(widths, seed=draw(st.integers(0, 10_000)))
    specs = [draw(activation_specs()) for _ in range(depth)]
    return [(np.array(W), np.array(b)) for W, b in net.layers], specs


any_nets = st.one_of(small_nets(max_outputs=3), random_nets())


def naive_forward(
    layers: list[tuple[np.ndarray, np.ndarray]], specs: list[Spec], x: Fraction
) -> tuple[list[Fraction], list[list[int]]]:
    """:func:`exact_forward` the slow, obvious way, one Fraction at a time."""
    h: list[Fraction] = [x]
    states: list[list[int]] = []
    for li, (W, b) in enumerate(layers):
        z = [
            sum((Fraction(float(W[i, j])) * h[j] for j in range(len(h))), Fraction(0))
            + Fraction(float(b[i]))
            for i in range(W.shape[0])
        ]
        if li == len(layers) - 1:
            return z, states
        states.append([specs[li].state(v) for v in z])
        h = [specs[li](v) for v in z]
    raise AssertionError("unreachable")


@given(any_nets, st.lists(st.floats(-50, 50), min_size=1, max_size=4))
def test_the_oracle_itself(case: Any, xs: list[float]) -> None:
    layers, specs = case
    for x in [*xs, 0.0, -0.5, 1.0]:
        assert exact_forward(layers, specs, Fraction(x)) == naive_forward(
            layers, specs, Fraction(x)
        )


# -- piecewise linearity: the general properties ----------------------------------------------


@given(any_nets)
def test_regions_against_exact_forward(case: Any) -> None:
    layers, specs = case
    net = build(layers, specs)
    r = pl.regions(net)
    check_regions(layers, specs, r)
    np.testing.assert_array_equal(pl.breakpoints(net), r.breakpoints)
    assert pl.breakpoints(net).dtype == np.float64


@given(any_nets, st.data())
def test_output_k_selects_one_column(case: Any, data: st.DataObject) -> None:
    layers, specs = case
    net = build(layers, specs)
    k = data.draw(st.integers(0, net.n_outputs - 1))
    whole = pl.regions(net)
    rk = pl.regions(net, output=k)
    check_regions(layers, specs, rk, output=k)
    # the same partition; the slope and the kinks of column k only
    np.testing.assert_array_equal(rk.left, whole.left)
    np.testing.assert_array_equal(rk.slope, whole.slope.reshape(len(whole), -1)[:, k])
    np.testing.assert_array_equal(rk.intercept, whole.intercept.reshape(len(whole), -1)[:, k])
    np.testing.assert_array_equal(pl.breakpoints(net, output=k), rk.breakpoints)
    # a kink of any output is a breakpoint of the vector output
    any_col = np.zeros(len(whole) - 1, dtype=bool)
    for j in range(net.n_outputs):
        any_col |= pl.regions(net, output=j).is_breakpoint
    np.testing.assert_array_equal(whole.is_breakpoint, any_col)
    if net.n_outputs > 1:
        assert whole.slope.shape == (len(whole), net.n_outputs)
        f = pl.to_piecewise(net, output=k)
        np.testing.assert_array_equal(f.knots, rk.breakpoints)
    else:
        assert whole.slope.shape == (len(whole),)


@given(any_nets, st.floats(-5, 5), st.floats(0.01, 10))
def test_interval_equals_whole_line_clipped(case: Any, lo: float, width: float) -> None:
    layers, specs = case
    net = build(layers, specs)
    hi = lo + width
    whole = pl.regions(net)
    b = whole.boundaries
    assume(not np.any(np.abs(b - lo) < 1e-9) and not np.any(np.abs(b - hi) < 1e-9))
    r = pl.regions(net, (lo, hi))
    check_regions(layers, specs, r, interval=(lo, hi))
    inside = (b > lo) & (b < hi)
    np.testing.assert_allclose(r.boundaries, b[inside], rtol=1e-13, atol=0)
    np.testing.assert_array_equal(r.is_breakpoint, whole.is_breakpoint[inside])
    np.testing.assert_allclose(
        pl.breakpoints(net, (lo, hi)),
        whole.breakpoints[(whole.breakpoints > lo) & (whole.breakpoints < hi)],
        rtol=1e-13,
        atol=0,
    )
    first = int(np.searchsorted(whole.right, lo, side="right"))
    sel = np.arange(first, first + len(r))
    # the same lines up to rounding (the two analyses may round differently)
    scale = 1e-12 * (np.abs(whole.slope).max() + 1)
    np.testing.assert_allclose(r.slope, whole.slope[sel], rtol=0, atol=scale)
    for s_int, s_whole in zip(r.states, whole.states):
        np.testing.assert_array_equal(s_int, s_whole[sel])
    np.testing.assert_array_equal(r.n_inactive, whole.n_inactive[sel])


@given(small_nets(max_outputs=1))
def test_to_piecewise_equals_regions(case: Any) -> None:
    layers, specs = case
    net = build(layers, specs)
    r = pl.regions(net)
    f = pl.to_piecewise(net)
    assert isinstance(f, pl.PiecewiseLinear)
    # exact kinks closer than float resolution share one float, and to_piecewise one knot
    kinks = np.unique(r.breakpoints)
    np.testing.assert_array_equal(f.knots, kinks)
    np.testing.assert_array_equal(f.breakpoints, kinks)
    assert f.n_pieces == kinks.size + 1
    xs = np.concatenate([np.linspace(-20, 20, 41), r.boundaries, r.boundaries + 0.37])
    y = float_forward(layers, specs, xs)[:, 0]
    assert np.all(np.abs(f(xs) - y) <= 1e-9 * (1 + np.abs(y) + np.abs(xs)))


@pytest.mark.parametrize(
    ("widths", "acts", "seed"),
    [
        ([1, 32, 32, 1], ["relu", "relu"], 0),
        ([1, 16, 16, 16, 2], ["relu", "abs", "relu"], 1),
        ([1, 24, 24, 1], ["leaky", "hardtanh"], 2),
        ([1, 200, 1], ["relu"], 3),
    ],
)
def test_medium_random_nets(widths: list[int], acts: list[str], seed: int) -> None:
    table = {"relu": RELU, "abs": ABS, "leaky": leaky(0.1), "hardtanh": hardtanh(-1.0, 1.0)}
    specs = [table[a] for a in acts]
    net = pl.Network.random(widths, seed=seed, activation=specs[0].make())
    layers = [(np.array(W), np.array(b)) for W, b in net.layers]
    net = build(layers, specs)
    r = pl.regions(net)
    assert len(r) > 10
    check_regions(layers, specs, r)
    check_regions(layers, specs, pl.regions(net, (-3.0, 2.5)), interval=(-3.0, 2.5))


# -- linear networks --------------------------------------------------------------------------


@given(
    st.lists(st.integers(1, 5), min_size=0, max_size=4),
    st.integers(1, 3),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["identity", "linear"]),
)
def test_linear_networks(hidden: list[int], n_out: int, seed: int, name: str) -> None:
    widths = [1, *hidden, n_out]
    rng = np.random.default_rng(seed)
    layers = [
        (rng.normal(size=(o, i)), rng.normal(size=o)) for i, o in zip(widths[:-1], widths[1:])
    ]
    net = pl.Network(layers, name)
    assert pl.breakpoints(net).size == 0
    r = pl.regions(net)
    assert len(r) == 1 and r.n_inactive.tolist() == [0]
    assert r.left[0] == -math.inf and r.right[-1] == math.inf
    # the derivative is the product of the weights, W_L ... W_1 (computed exactly)
    prod = [[Fraction(float(v))] for v in layers[0][0][:, 0]]
    for W, _ in layers[1:]:
        prod = [
            [sum((Fraction(float(W[i, j])) * prod[j][0] for j in range(W.shape[1])), Fraction(0))]
            for i in range(W.shape[0])
        ]
    expected = np.array([float(p[0]) for p in prod])
    mag = np.abs(layers[0][0][:, 0])
    for W, _ in layers[1:]:
        mag = np.abs(W) @ mag
    np.testing.assert_array_less(np.abs(r.slope.reshape(-1) - expected), 1e-12 * mag + 1e-300)
    # and the forward pass has that constant derivative
    xs = np.array([-1e3, -1.0, 0.0, 2.5, 1e3])
    y = net(xs).reshape(len(xs), -1)
    d = np.diff(y, axis=0) / np.diff(xs)[:, None]
    for row in d:
        assert np.all(np.abs(row - expected) <= 1e-9 * (mag + np.abs(r.intercept).max() + 1))
    for s in r.states:
        assert np.all(s == 0)
    f = pl.to_piecewise(net, output=0)
    assert f.knots.size == 0 and f.n_pieces == 1


# -- known counts -----------------------------------------------------------------------------


def one_layer_kinks(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, spec: Spec) -> list[Fraction]:
    """Exact kinks of ``W2 sigma(W1 x + b1) + b2``: a neuron ``i`` with weight ``w != 0``
    crosses knot ``t_j`` at ``(t_j - b)/w`` and changes the output slope by
    ``v_i |w| (s_{j+1} - s_j)``; a kink is where the summed change of some output is nonzero."""
    change: dict[Fraction, list[Fraction]] = {}
    for i in range(W1.shape[0]):
        w, b = Fraction(float(W1[i, 0])), Fraction(float(b1[i]))
        if w == 0:
            continue
        for j, t in enumerate(spec.knots):
            x = (t - b) / w
            acc = change.setdefault(x, [Fraction(0)] * W2.shape[0])
            for c in range(W2.shape[0]):
                acc[c] += Fraction(float(W2[c, i])) * abs(w) * (spec.slopes[j + 1] - spec.slopes[j])
    return sorted(x for x, acc in change.items() if any(v != 0 for v in acc))


@given(
    st.integers(1, 12),
    st.integers(1, 2),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["relu", "leaky", "abs", "hardtanh", "custom"]),
    st.booleans(),
)
def test_one_hidden_layer_kinks_exactly(
    width: int, n_out: int, seed: int, kind: str, dup: bool
) -> None:
    rng = np.random.default_rng(seed)
    spec = {
        "relu": RELU,
        "leaky": leaky(0.1),
        "abs": ABS,
        "hardtanh": hardtanh(-1.0, 0.5),
        "custom": custom([-1.0, 0.0, 2.0], [1.0, 0.0, 0.0, -2.0], 0.5, [True, False, False, True]),
    }[kind]
    W1 = rng.choice([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0, 0.1, -0.7], size=(width, 1))
    b1 = rng.choice([-1.0, 0.0, 0.3, 1.0, 2.0, 1.5], size=width)
    W2 = rng.choice([-1.0, 1.0, 0.0, 0.5, -0.5, 0.2], size=(n_out, width))
    if dup and width >= 2:  # a neuron duplicated with the opposite output weight: cancels
        W1[1], b1[1], W2[:, 1] = W1[0], b1[0], -W2[:, 0]
    net = pl.Network([(W1, b1), (W2, np.zeros(n_out))], spec.make())
    expected = one_layer_kinks(W1, b1, W2, spec)
    got = pl.breakpoints(net)
    assert got.size == len(expected)
    distinct = {
        (t - Fraction(float(b))) / Fraction(float(w))
        for (w,), b in zip(W1, b1)
        if w != 0
        for t in spec.knots
    }
    assert got.size <= len(distinct)
    if kind == "relu":  # (0 - b)/w in float is the correctly rounded quotient
        np.testing.assert_array_equal(got, [float(x) for x in expected])
    else:
        np.testing.assert_allclose(got, [float(x) for x in expected], rtol=4e-16, atol=1e-300)
    check_regions([(W1, b1), (W2, np.zeros(n_out))], [spec], pl.regions(net))


SHIFTS = [0.0, 0.1, 1 / 3, -2.5, 0.3, 7.0, 1e6, -3e7]
OUT_WEIGHTS = [
    0.1,
    0.2,
    -0.3,
    0.30000000000000004,
    -0.30000000000000004,
    1.0,
    -1.0,
    0.5,
    -0.5,
    0.25,
    -0.75,
    3.0,
    -3.0,
]


@given(
    st.lists(
        st.tuples(st.sampled_from(OUT_WEIGHTS), st.sampled_from(SHIFTS)), min_size=1, max_size=10
    ),
    st.sampled_from([0.0, 1.5, -0.1]),
)
def test_shifted_relus_kinks_where_summed_weight_nonzero(
    units: list[tuple[float, float]], bias: float
) -> None:
    w = [u[0] for u in units]
    h = [u[1] for u in units]
    total: dict[float, Fraction] = {}
    for wi, hi in zip(w, h):
        total[hi] = total.get(hi, Fraction(0)) + Fraction(wi)
    expected = sorted(hi for hi, s in total.items() if s != 0)
    net = pl.shifted_relus(w, h, bias)
    np.testing.assert_array_equal(pl.breakpoints(net), expected)
    r = pl.regions(net)
    np.testing.assert_array_equal(r.boundaries, sorted(total))
    assert r.slope[0] == 0.0 and r.intercept[0] == bias
    check_regions(
        [(np.ones((len(w), 1)), -np.array(h)), (np.array([w]), np.array([bias]))], [RELU], r
    )


@pytest.mark.parametrize(
    ("weights", "kink"),
    [
        ([0.1, 0.2, -0.3], True),  # 2**-55 exactly: the float sum is not zero either
        ([0.1, 0.2, -0.30000000000000004], True),  # float sum 0, exact sum -2**-55: a kink
        ([0.5, 0.25, -0.75], False),
        ([1.0, -1.0], False),
        ([1e-300, -1e-300], False),
        ([1e300, 1.0, -1e300], True),
    ],
)
def test_shifted_relus_cancellation_decided_on_exact_values(
    weights: list[float], kink: bool
) -> None:
    exact = sum((Fraction(v) for v in weights), Fraction(0))
    assert (exact != 0) == kink  # the oracle agrees with the hand-made label
    shifts = [0.7] * len(weights)
    net = pl.shifted_relus(weights + [1.0], shifts + [-4.0])
    np.testing.assert_array_equal(pl.breakpoints(net), [-4.0, 0.7] if kink else [-4.0])
    np.testing.assert_array_equal(pl.regions(net).boundaries, [-4.0, 0.7])


@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["relu", "leaky", "abs"]),
)
def test_bias_free_network_kinks_at_most_at_zero(hidden: list[int], seed: int, kind: str) -> None:
    rng = np.random.default_rng(seed)
    widths = [1, *hidden, 1]
    layers = [(rng.normal(size=(o, i)), np.zeros(o)) for i, o in zip(widths[:-1], widths[1:])]
    spec = {"relu": RELU, "leaky": leaky(0.2), "abs": ABS}[kind]
    specs = [spec] * len(hidden)
    net = build(layers, specs)
    bps = pl.breakpoints(net)
    # positively homogeneous: slope f(1) on the right, -f(-1) on the left
    f_pos = exact_forward(layers, specs, Fraction(1))[0][0]
    f_neg = exact_forward(layers, specs, Fraction(-1))[0][0]
    np.testing.assert_array_equal(bps, [0.0] if f_pos != -f_neg else [])
    r = pl.regions(net)
    assert len(r) <= 2 and set(r.boundaries.tolist()) <= {0.0}
    check_regions(layers, specs, r)


def tent_net(depth: int) -> pl.Network:
    """The symmetric tent T(x) = 2 relu(x) - 4 relu(x - 1/2) composed ``depth`` times."""
    first = (np.array([[1.0], [1.0]]), np.array([0.0, -0.5]))
    mid = (np.array([[2.0, -4.0], [2.0, -4.0]]), np.array([0.0, -0.5]))
    last = (np.array([[2.0, -4.0]]), np.array([0.0]))
    return pl.Network([first] + [mid] * (depth - 1) + [last])


@pytest.mark.parametrize("depth", [1, 2, 3, 5, 8, 11])
def test_tent_map_has_2_to_the_L_pieces(depth: int) -> None:
    net = tent_net(depth)
    n = 2**depth
    grid = np.arange(n + 1) / n
    r = pl.regions(net, (0.0, 1.0))
    assert len(r) == n  # the tent's zeros inside (0, 1) are touches, not boundaries
    np.testing.assert_array_equal(r.left, grid[:-1])
    np.testing.assert_array_equal(r.breakpoints, grid[1:-1])
    np.testing.assert_array_equal(
        r.slope, np.where(np.arange(n) % 2 == 0, 2.0**depth, -(2.0**depth))
    )
    f = pl.to_piecewise(net, (0.0, 1.0))
    assert f.n_pieces == n
    np.testing.assert_array_equal(f.knots, grid[1:-1])
    np.testing.assert_array_equal(f(grid), np.arange(n + 1) % 2)
    np.testing.assert_array_equal(pl.breakpoints(net, (0.0, 1.0)), grid[1:-1])
    # on the whole line a kink at 0 (flat on the left); T is negative beyond 1, so from
    # depth 2 on the composition is flat there too, with one more kink at 1
    whole = pl.to_piecewise(net)
    if depth == 1:
        np.testing.assert_array_equal(whole.knots, [0.0, 0.5])
        np.testing.assert_array_equal(whole.slopes, [0.0, 2.0, -2.0])
    else:
        np.testing.assert_array_equal(whole.knots, grid)
        assert whole.slopes[0] == 0.0 and whole.slopes[-1] == 0.0
    if depth <= 3:
        spec_layers = [(np.array(W), np.array(b)) for W, b in net.layers]
        check_regions(spec_layers, [RELU] * depth, r, interval=(0.0, 1.0))


def test_kinks_closer_than_float_resolution() -> None:
    # exact kinks at -5 and -0.5 / 0.1 = -4.99999999999999972..., closer than one float64
    # apart.  The float result keeps the exact structure (issue 3: same count, order and
    # patterns as exact=True): two breakpoints that round to the same float, with a region
    # between them whose ends are equal floats.  to_piecewise builds a float function, which
    # has one knot there.
    layers = [
        (np.array([[0.1], [1.0]]), np.array([0.5, 5.0])),
        (np.array([[1.0, 1.0]]), np.zeros(1)),
    ]
    net = pl.Network(layers)
    exact = sorted([Fraction(-5), -Fraction(0.5) / Fraction(0.1)])
    assert exact[0] != exact[1] and float(exact[0]) == float(exact[1])
    assert list(pl.breakpoints(net, exact=True)) == exact
    bps = pl.breakpoints(net)
    np.testing.assert_array_equal(bps, [float(v) for v in exact])
    r = pl.regions(net)
    re = pl.regions(net, exact=True)
    assert len(r) == len(re) == 3
    assert np.all(r.left <= r.right) and np.all(np.diff(r.left) >= 0)
    for a, b in zip(r.patterns, re.patterns):
        np.testing.assert_array_equal(a, b)
    f = pl.to_piecewise(net)
    np.testing.assert_array_equal(f.knots, [-5.0])
    xs = np.array([-1e3, -6.0, -5.0, -4.0, 0.0, 10.0])
    np.testing.assert_allclose(f(xs), net(xs), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("interval", "left", "slope", "kinks"),
    [
        ((0.0, 1.0), [0.0], [1.0], []),  # kinks at the ends are outside the open interval
        ((0.0, 2.0), [0.0, 1.0], [1.0, 2.0], [1.0]),
        ((-math.inf, 0.5), [-math.inf, 0.0], [0.0, 1.0], [0.0]),
        ((0.5, math.inf), [0.5, 1.0], [1.0, 2.0], [1.0]),
        ((-1, 3), [-1.0, 0.0, 1.0], [0.0, 1.0, 2.0], [0.0, 1.0]),  # ints accepted
        ((1.0, 1e300), [1.0], [2.0], []),
    ],
)
def test_interval_ends(
    interval: tuple[float, float], left: list[float], slope: list[float], kinks: list[float]
) -> None:
    net = pl.shifted_relus([1.0, 1.0], [0.0, 1.0])
    r = pl.regions(net, interval)
    np.testing.assert_array_equal(r.left, left)
    assert r.right[-1] == interval[1]
    np.testing.assert_array_equal(r.slope, slope)
    np.testing.assert_array_equal(pl.breakpoints(net, interval), kinks)
    assert pl.breakpoints(net, interval).dtype == np.float64


# -- far-away kinks and the unbounded end pieces ----------------------------------------------


def test_far_kinks_found() -> None:
    net = pl.shifted_relus([1.0, 2.0, -3.0, 0.5], [-3e7, 0.5, 1e6, 1e12])
    np.testing.assert_array_equal(pl.breakpoints(net), [-3e7, 0.5, 1e6, 1e12])
    r = pl.regions(net)
    np.testing.assert_array_equal(r.slope, [0.0, 1.0, 3.0, 0.0, 0.5])
    assert r.left[0] == -math.inf and r.right[-1] == math.inf
    np.testing.assert_array_equal(pl.breakpoints(net, (-100, 100)), [0.5])
    # in a deeper net: relu(x) switches at 0 but feeds relu(. - 1e6) only, so the kinks
    # are at 1e6 and 3e7 and the boundary at 0 is not one
    layers = [
        (np.array([[1.0], [-1.0]]), np.array([0.0, 3e7])),
        (np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([-1e6, 0.0])),
        (np.array([[2.0, -1.0]]), np.array([0.0])),
    ]
    deep = pl.Network(layers)
    np.testing.assert_array_equal(pl.breakpoints(deep), [1e6, 3e7])
    r = pl.regions(deep)
    np.testing.assert_array_equal(r.boundaries, [0.0, 1e6, 3e7])
    np.testing.assert_array_equal(r.slope, [1.0, 1.0, 3.0, 2.0])
    check_regions(layers, [RELU, RELU], r)


def test_end_piece_slopes() -> None:
    net = pl.shifted_relus([2.0, -5.0], [-1.0, 1.0], bias=1.0)
    r = pl.regions(net)
    assert r.slope[0] == 0.0 and r.slope[-1] == -3.0
    assert r.intercept[0] == 1.0 and r.intercept[-1] == 1.0 + 2.0 + 5.0
    leaky_net = pl.Network([([[1.0]], [0.0]), ([[1.0]], [0.0])], pl.leaky_relu(0.25))
    r = pl.regions(leaky_net)
    np.testing.assert_array_equal(r.slope, [0.25, 1.0])


# -- boundaries that are not breakpoints ------------------------------------------------------


def test_duplicated_neurons_with_opposite_output_weights() -> None:
    layers = [
        (np.array([[2.0], [2.0], [1.0]]), np.array([-1.0, -1.0, 3.0])),
        (np.array([[1.5, -1.5, 1.0]]), np.array([0.0])),
    ]
    net = pl.Network(layers)
    r = pl.regions(net)
    np.testing.assert_array_equal(r.boundaries, [-3.0, 0.5])
    np.testing.assert_array_equal(r.is_breakpoint, [True, False])
    np.testing.assert_array_equal(pl.breakpoints(net), [-3.0])
    assert {tuple(v) for v in r.switches[1].tolist()} == {(0, 0), (0, 1)}
    check_regions(layers, [RELU], r)


def test_neuron_touching_zero_without_crossing() -> None:
    # layer 2: z = -(relu(x) + relu(-x)) = -|x| <= 0 touches 0 at x = 0; z' = |x| - 0 from above
    layers = [
        (np.array([[1.0], [-1.0]]), np.array([0.0, 0.0])),
        (np.array([[-1.0, -1.0], [1.0, 1.0]]), np.array([0.0, 0.0])),
        (np.array([[1.0, 0.0]]), np.array([0.0])),
    ]
    net = pl.Network(layers)
    r = pl.regions(net)
    np.testing.assert_array_equal(r.boundaries, [0.0])  # from the first layer only
    assert pl.breakpoints(net).size == 0  # the output is relu(-|x|) = 0
    assert {tuple(v) for v in r.switches[0].tolist()} == {(0, 0), (0, 1)}
    np.testing.assert_array_equal(r.patterns[1], [[False, True], [False, True]])
    check_regions(layers, [RELU, RELU], r)
    # reading relu(|x|) = |x| instead: a kink at 0, still only first-layer switches
    layers[2] = (np.array([[0.0, 1.0]]), np.array([0.0]))
    net = pl.Network(layers)
    np.testing.assert_array_equal(pl.breakpoints(net), [0.0])
    check_regions(layers, [RELU, RELU], pl.regions(net))


def test_neuron_touching_a_hardtanh_knot() -> None:
    # second layer z = |x| + 1 touches hardtanh's knot 1 from above: saturated on both sides
    layers = [
        (np.array([[1.0], [-1.0]]), np.array([0.0, 0.0])),
        (np.array([[1.0, 1.0]]), np.array([1.0])),
        (np.array([[1.0]]), np.array([0.0])),
    ]
    specs = [ABS, hardtanh(-1.0, 1.0)]
    r = pl.regions(build(layers, specs))
    assert len(r) == 2 and not r.is_breakpoint.any()
    np.testing.assert_array_equal(r.states[1], [[2], [2]])
    check_regions(layers, specs, r)


def test_identically_zero_neurons() -> None:
    # neuron 0: zero weight and bias (pre-activation 0, at the knot, everywhere);
    # neuron 2 of layer 2: relu(-relu(x)): pre-activation 0 on x <= 0, negative after
    layers = [
        (np.array([[0.0], [1.0], [-1.0]]), np.array([0.0, 0.0, 2.0])),
        (np.array([[5.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, -1.0, 0.0]]), np.array([0.0, 0.0, 0.0])),
        (np.array([[1.0, 1.0, 4.0]]), np.array([0.5])),
    ]
    net = pl.Network(layers)
    r = pl.regions(net)
    np.testing.assert_array_equal(r.boundaries, [0.0, 2.0])
    assert pl.breakpoints(net).size == 0  # the output is the constant 0.5
    assert np.all(r.slope == 0.0) and np.all(r.intercept == 0.5)
    assert not r.patterns[0][:, 0].any() and not r.patterns[1].any()
    check_regions(layers, [RELU, RELU], r)


def test_doc_example_boundary_not_breakpoint() -> None:
    net = pl.Network([([[1.0], [1.0]], [0.0, 0.0]), ([[1.0, -1.0]], [0.0])])
    r = pl.regions(net)
    np.testing.assert_array_equal(r.left, [-math.inf, 0.0])
    assert not r.is_breakpoint.any()
    assert pl.breakpoints(net).size == 0
    assert pl.to_piecewise(net).n_pieces == 1


# -- lists of (W, b) are accepted everywhere ---------------------------------------------------


def test_plain_lists_accepted() -> None:
    layers = [([[1.0], [-1.0]], [0.0, 1.0]), ([[1.0, 2.0]], [0.5])]
    net = pl.Network(layers)
    np.testing.assert_array_equal(pl.breakpoints(layers), pl.breakpoints(net))
    np.testing.assert_array_equal(
        pl.breakpoints(tuple(layers), (-5, 5)), pl.breakpoints(net, (-5, 5))
    )
    np.testing.assert_array_equal(pl.regions(layers).slope, pl.regions(net).slope)
    assert pl.to_piecewise(layers) == pl.to_piecewise(net)
    assert pl.as_network(layers) == net


# -- bad input --------------------------------------------------------------------------------


NET = pl.shifted_relus([1.0, -1.0], [0.0, 1.0])


@pytest.mark.parametrize("fn", [pl.regions, pl.breakpoints, pl.to_piecewise])
@pytest.mark.parametrize(
    ("interval", "exc", "match"),
    [
        ((2.0, 1.0), ValueError, r"interval.*\(2\.0, 1\.0\)"),
        ((1.0, 1.0), ValueError, r"interval.*\(1\.0, 1\.0\)"),
        ((math.nan, 1.0), ValueError, r"interval.*nan"),
        ((0.0, math.nan), ValueError, r"interval.*nan"),
        ((math.inf, math.inf), ValueError, r"interval.*inf"),
        ((1.0,), TypeError, r"interval.*\(1\.0,\)"),
        ("ab", TypeError, r"interval.*'ab'"),
        (5.0, TypeError, r"interval.*5\.0"),
        ((-(10**400), 1), ValueError, r"interval.*float64 range"),
        ((0, Fraction(10**400, 3)), ValueError, r"interval.*float64 range"),
    ],
)
def test_bad_interval(fn: Any, interval: Any, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        fn(NET, interval)


@pytest.mark.parametrize("fn", [pl.regions, pl.breakpoints, pl.to_piecewise])
def test_more_than_one_input_column(fn: Any) -> None:
    with pytest.raises(ValueError, match=r"net.*2 input columns"):
        fn([([[1.0, 2.0]], [0.0]), ([[1.0]], [0.0])])


@pytest.mark.parametrize("fn", [pl.regions, pl.breakpoints])
@pytest.mark.parametrize(
    ("output", "exc", "match"),
    [
        (2, ValueError, r"output.*2"),
        (-3, ValueError, r"output.*-3"),
        (1.0, TypeError, r"output.*1\.0"),
        ("0", TypeError, r"output.*'0'"),
    ],
)
def test_bad_output(fn: Any, output: Any, exc: type, match: str) -> None:
    net = pl.Network.random([1, 3, 2], seed=0)
    with pytest.raises(exc, match=match):
        fn(net, output=output)


def test_to_piecewise_needs_output_for_vector_nets() -> None:
    net = pl.Network.random([1, 3, 2], seed=0)
    with pytest.raises(ValueError, match=r"output"):
        pl.to_piecewise(net)
    assert pl.to_piecewise(net, output=-1).n_pieces >= 1


@pytest.mark.parametrize("fn", [pl.regions, pl.breakpoints, pl.to_piecewise])
@pytest.mark.parametrize("bad", [None, 3.0, "relu", {"a": 1}])
def test_not_a_network(fn: Any, bad: Any) -> None:
    with pytest.raises(TypeError, match=r"net"):
        fn(bad)


@pytest.mark.parametrize(
    ("layers", "exc", "match"),
    [
        ([([[1.0], [1.0, 2.0]], [0.0, 0.0])], ValueError, r"layers\[0\] weight W"),
        ([([[1.0]], [0.0]), ([[1.0]], [[0.0], [1.0, 2.0]])], ValueError, r"layers\[1\] bias b"),
        ([([[math.nan]], [0.0])], ValueError, r"layers\[0\] weight W.*nan"),
        ([([[1.0]], [0.0]), ([[1.0]], [math.inf])], ValueError, r"layers\[1\] bias b.*inf"),
        ([], ValueError, r"layers.*empty"),
    ],
)
def test_bad_network_through_the_analysis(layers: Any, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        pl.regions(layers)


# -- immutability and repr --------------------------------------------------------------------


def test_regions_are_immutable() -> None:
    net = pl.Network.random([1, 4, 3, 2], seed=3)
    r = pl.regions(net)
    for arr in (
        r.left,
        r.right,
        r.slope,
        r.intercept,
        r.is_breakpoint,
        r.n_inactive,
        *r.states,
        *r.patterns,
        *r.switches,
    ):
        with pytest.raises(ValueError, match="read-only"):
            arr.reshape(-1)[0] = 1
    with pytest.raises(AttributeError):
        r.left = np.zeros(3)  # type: ignore[misc]
    f = pl.to_piecewise(net, output=0)
    for arr in (f.knots, f.slopes, f.intercepts):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 1
    with pytest.raises(AttributeError):
        f.knots = np.zeros(1)  # type: ignore[misc]


def test_regions_repr_and_len() -> None:
    r = pl.regions(pl.shifted_relus([1.0, -1.0], [0.0, 1.0]), (-5, 5))
    assert len(r) == r.n_regions == 3
    assert "n_regions=3" in repr(r) and "n_breakpoints=2" in repr(r)
