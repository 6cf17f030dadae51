"""Exact rational analysis and the certified float path on degenerate networks."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

import pwlinear as pl
from pwlinear import analysis

# -- an independent exact oracle ----------------------------------------------------------------


def fraction_forward(net: pl.Network, x: Fraction) -> list[Fraction]:
    """The network at ``x`` in plain Fraction arithmetic, one neuron at a time."""
    h = [x]
    for (W, b), act in zip(net.exact_layers[:-1], net.activations):
        knots, slopes, offsets = act.exact
        z = [
            sum((W[i, j] * h[j] for j in range(len(h))), Fraction(0)) + b[i] for i in range(len(b))
        ]
        h = []
        for zi in z:
            piece = sum(1 for k in knots if k < zi)
            h.append(slopes[piece] * zi + offsets[piece])
    W, b = net.exact_layers[-1]
    return [sum((W[i, j] * h[j] for j in range(len(h))), Fraction(0)) + b[i] for i in range(len(b))]


T, H = -(2.0**-59), 2.0**61  # a tiny and a huge weight


def ulps_apart(a: float, b: float) -> float:
    return abs(a - b) / math.ulp(max(abs(a), abs(b), 1e-300))


# -- strategies: nets built to make switches coincide --------------------------------------------

DYADIC = st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])


@st.composite
def degenerate_nets(draw: st.DrawFn) -> pl.Network:
    """Small nets with dyadic weights from a tiny set, duplicated and negated neurons,
    and per-layer scales from 2**-500 to 2**500 (exact, so the structure is unchanged)."""
    depth = draw(st.integers(1, 3))
    widths = [1] + [draw(st.integers(1, 4)) for _ in range(depth)] + [1]
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        W = np.array([[draw(DYADIC) for _ in range(n_in)] for _ in range(n_out)])
        b = np.array([draw(DYADIC) for _ in range(n_out)])
        if n_out > 1 and draw(st.booleans()):  # a duplicated or negated neuron
            W[-1], b[-1] = W[0] * draw(st.sampled_from([1.0, -1.0])), b[0]
        scale = 2.0 ** draw(st.sampled_from([-500, -60, 0, 0, 0, 60, 500]))
        layers.append((W * scale, b * scale))
    act = draw(st.sampled_from(["relu", "leaky_relu", "abs", "hardtanh"]))
    return pl.Network(layers, act)


@st.composite
def random_nets(draw: st.DrawFn) -> pl.Network:
    widths = [1] + [draw(st.integers(1, 6)) for _ in range(draw(st.integers(1, 3)))] + [1]
    return pl.Network.random(widths, seed=draw(st.integers(0, 2**16)))


def assert_structures_equal(rf: pl.Regions, re: pl.Regions) -> None:
    assert len(rf) == len(re)
    for sf, se in zip(rf.states, re.states):
        np.testing.assert_array_equal(sf, se)
    np.testing.assert_array_equal(rf.is_breakpoint, re.is_breakpoint)
    np.testing.assert_array_equal(rf.n_inactive, re.n_inactive)


def exact_oracle(
    net: pl.Network, interval: tuple[float, float] | None = None, output: int | None = None
) -> pl.Regions:
    """The regions from the exact partition, which decides every comparison itself.

    ``regions(net, exact=True)`` takes the certified float structure where the float
    partition decides everything and computes its values exactly; this partition is the
    independent oracle for that structure."""
    from pwlinear.analysis import _exact_regions, _prepare

    network, lo, hi, cols = _prepare(net, interval, output, True)
    return _exact_regions(network, lo, hi, cols)


def assert_exactly_equal(a: pl.Regions, b: pl.Regions) -> None:
    assert_structures_equal(a, b)
    for x, y in ((a.left, b.left), (a.right, b.right), (a.slope, b.slope)):
        assert x.tolist() == y.tolist()
    assert a.intercept.tolist() == b.intercept.tolist()


def assert_same_structure(net: pl.Network, interval: tuple[float, float] | None = None) -> None:
    rf = pl.regions(net, interval)
    re = pl.regions(net, interval, exact=True)
    assert_structures_equal(rf, exact_oracle(net, interval))
    assert_exactly_equal(re, exact_oracle(net, interval))
    assert all(refined_or_close(a, b) for a, b in zip(rf.boundaries, re.boundaries))
    assert_correctly_rounded(pl.regions(net, interval, refine=True), re)
    assert all(isinstance(v, Fraction) for v in re.boundaries)
    assert all(isinstance(v, Fraction) for v in re.slope)


# -- tests ------------------------------------------------------------------------------------


@given(degenerate_nets())
def test_float_structure_equals_exact_on_degenerate_nets(net: pl.Network) -> None:
    assert_same_structure(net)


@given(random_nets())
def test_float_structure_equals_exact_on_random_nets(net: pl.Network) -> None:
    assert_same_structure(net)
    assert_same_structure(net, (-3.0, 2.5))


@given(
    degenerate_nets(),
    st.lists(st.fractions(min_value=-8, max_value=8, max_denominator=64), min_size=1, max_size=5),
)
def test_exact_regions_equal_fraction_forward_pass(net: pl.Network, xs: list[Fraction]) -> None:
    r = pl.regions(net, exact=True)
    for x in xs:
        q = int(np.searchsorted(r.right.astype(float), float(x)))
        q = min(q, len(r) - 1)
        # the float search may land one region off near a boundary: pick the exact one
        while q > 0 and x < r.left[q]:
            q -= 1
        while q < len(r) - 1 and x > r.right[q]:
            q += 1
        assert r.slope[q] * x + r.intercept[q] == fraction_forward(net, x)[0]


def asymmetric_tent(depth: int, a: float = 0.3) -> pl.Network:
    """T(x) = x/a on [0, a], (1 - x)/(1 - a) on [a, 1], composed ``depth`` times."""
    c1, c2 = 1 / a, 1 / a + 1 / (1 - a)
    layers = [(np.array([[1.0], [1.0]]), np.array([0.0, -a]))]
    layers += [(np.array([[c1, -c2], [c1, -c2]]), np.array([0.0, -a]))] * (depth - 1)
    layers.append((np.array([[c1, -c2]]), np.array([0.0])))
    return pl.Network(layers)


@pytest.mark.parametrize("depth", [1, 2, 3, 5, 7])
def test_composed_asymmetric_tent_has_no_slivers(depth: int) -> None:
    net = asymmetric_tent(depth)
    r = pl.regions(net, (0, 1))
    assert len(r) == 2**depth
    assert len(r.breakpoints) == 2**depth - 1
    assert_same_structure(net, (0, 1))


def test_simultaneous_switches_are_one_boundary_listing_all_neurons() -> None:
    # three neurons switching at x = 1/3 exactly (in exact arithmetic of the float weights)
    W1 = np.array([[3.0], [6.0], [-3.0]])
    b1 = np.array([-1.0, -2.0, 1.0])
    net = pl.Network([(W1, b1), (np.array([[1.0, 1.0, 1.0]]), np.array([0.0]))])
    r = pl.regions(net)
    assert len(r) == 2
    assert sorted(map(tuple, r.switches[0])) == [(0, 0), (0, 1), (0, 2)]
    x = pl.breakpoints(net, exact=True)
    assert list(x) == [Fraction(1.0) / Fraction(3.0)] or list(x) == [
        Fraction(-1.0) / Fraction(-3.0)
    ]


def test_switch_whose_effect_cancels_exactly_is_not_a_breakpoint() -> None:
    # 0.1 + 0.2 - 0.3 != 0 in float but the weights' exact values decide
    w = [0.1, 0.2, -0.3]
    exact_sum = sum(Fraction(v) for v in w)
    net = pl.shifted_relus(w, [1.0, 1.0, 1.0])
    assert (len(pl.breakpoints(net)) == 1) == (exact_sum != 0)
    net = pl.shifted_relus([0.5, 0.25, -0.75], [1.0, 1.0, 1.0])
    assert len(pl.breakpoints(net)) == 0
    assert len(pl.regions(net)) == 2


def test_fraction_and_sympy_weights_are_used_exactly() -> None:
    third = Fraction(1, 3)
    net = pl.Network([([[third], [1]], [Fraction(-1, 7), 0]), ([[1, sympy.Rational(2, 5)]], [0])])
    assert net.is_exact
    bp = pl.breakpoints(net, exact=True)
    assert list(bp) == [Fraction(0), Fraction(3, 7)]
    f = pl.to_piecewise(net, exact=True)
    assert f.is_exact
    for x in (Fraction(-5, 3), Fraction(1, 5), Fraction(9, 2)):
        assert f(x) == fraction_forward(net, x)[0]
    # the float path agrees in structure
    assert len(pl.breakpoints(net)) == 2


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "abs", "hardtanh"])
def test_exact_values_on_the_certified_structure_equal_the_exact_partition(
    activation: str,
) -> None:
    # float weights kept as exact rationals (exact=True) still go the certified route;
    # a third or a non-float interval end takes the exact partition: the same rationals
    base = pl.Network.random([1, 8, 6, 5, 2], seed=4)
    net = pl.Network(base.layers, activation, exact=True)
    for interval in (None, (-2.0, 3.5)):
        assert_exactly_equal(pl.regions(net, interval, exact=True), exact_oracle(net, interval))
        for out in (0, 1):
            got = pl.regions(net, interval, output=out, exact=True)
            assert_exactly_equal(got, exact_oracle(net, interval, out))
    third = Fraction(1, 3)
    r = pl.regions(net, (-third, 2), exact=True)
    assert r.left[0] == -third
    for x in (-third, Fraction(1, 7), Fraction(2)):
        q = next(k for k in range(len(r)) if r.left[k] <= x <= r.right[k])
        assert list(r.slope[q] * x + r.intercept[q]) == fraction_forward(net, x)


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "abs", "hardtanh"])
def test_last_two_layers_together_equal_layer_by_layer(
    activation: str, fused: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # exact=True takes the last hidden layer and the output layer together where that
    # needs fewer products (on large nets only): forced here both ways on small ones
    # with several outputs, biases of other scales, and zero weights
    from pwlinear import _exact_partition

    monkeypatch.setattr(_exact_partition, "_fewer_products", lambda *args: fused)
    for widths, seed in (([1, 7, 5, 3], 1), ([1, 6, 4, 5, 2], 2), ([1, 9, 9, 1], 3)):
        base = pl.Network.random(widths, seed=seed)
        layers = [(W, b) for W, b in base.layers]
        W, b = layers[-2]
        W = W.copy()
        W[0, :] = 0.0  # a last hidden neuron that is constant
        layers[-2] = (W, b * 2.0**-30)
        net = pl.Network(layers, activation)
        for interval in (None, (-1.5, 2.0)):
            for out in (None, 0, widths[-1] - 1):
                got = pl.regions(net, interval, output=out, exact=True)
                assert_exactly_equal(got, exact_oracle(net, interval, out))


def test_exact_interval_endpoints_and_infinite_ends() -> None:
    net = pl.shifted_relus([1.0, -1.0], [0.25, 0.75])
    r = pl.regions(net, exact=True)
    assert r.left[0] == -math.inf and r.right[-1] == math.inf
    r = pl.regions(net, (Fraction(1, 3), 1), exact=True)
    assert r.left[0] == Fraction(1, 3) and list(r.breakpoints) == [Fraction(3, 4)]


def test_mixing_exact_and_non_finite_values_raises() -> None:
    with pytest.raises(ValueError, match="finite"):
        pl.Network([([[Fraction(1, 3)], [math.inf]], [0, 0]), ([[1, 1]], [0])])
    with pytest.raises(ValueError, match="finite"):
        pl.Network([([[Fraction(1, 3)]], [math.nan]), ([[1]], [0])])
    with pytest.raises(TypeError, match="rational"):
        pl.Network([([[sympy.sqrt(2)]], [0]), ([[1]], [0])])


def test_huge_and_tiny_weight_scales() -> None:
    W1 = np.array([[1e-150], [1e150]])
    b1 = np.array([-1e-150, 3e150])
    net = pl.Network([(W1, b1), (np.array([[1e150, 1e-150]]), np.array([0.0]))])
    bp = pl.breakpoints(net)
    exact = pl.breakpoints(net, exact=True)
    assert len(bp) == len(exact) == 2
    for a, b in zip(bp, exact):
        assert ulps_apart(a, float(b)) <= 4


@pytest.mark.parametrize(("depth", "seed"), [(16, 0), (20, 0)])
def test_deep_nets_settle_undecided_states_piece_by_piece(depth: int, seed: int) -> None:
    # a priori error bounds grow with depth until some signs cannot be decided in float:
    # those pieces are settled exactly, the rest of the partition stays in float
    from pwlinear import _split, analysis

    net = pl.Network.random([1] + [32] * depth + [1], seed=seed)
    calls = []
    original = _split._Pieces.states

    def spy(self: _split._Pieces, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        calls.append(rows.size)
        return original(self, rows)

    _split._Pieces.states = spy  # type: ignore[method-assign]
    try:
        analysis._partition(net, -math.inf, math.inf, np.arange(1))  # no global fallback
    finally:
        _split._Pieces.states = original  # type: ignore[method-assign]
    assert calls, "expected pieces settled exactly at this depth"
    assert_structures_equal(pl.regions(net), exact_oracle(net))


@given(st.one_of(degenerate_nets(), random_nets()), st.sampled_from([None, (-3.0, 2.5)]))
def test_settling_everything_exactly_piece_by_piece(
    net: pl.Network, interval: tuple[float, float] | None
) -> None:
    # error bounds inflated 1e13 times: signs and orders go through the exact
    # piece-by-piece settlement (which deep networks need), and must give the exact structure
    from pwlinear import _split, analysis

    layer_bounds, local_bounds = analysis._layer_bounds, _split._local_bounds

    def inflated(net: pl.Network) -> list:
        return [
            (1e13 * ea, 1e13 * ec, tuple(1e13 * v for v in sc)) for ea, ec, sc in layer_bounds(net)
        ]

    def inflated_local(*args: object) -> tuple:
        return tuple(1e13 * v for v in local_bounds(*args))  # type: ignore[arg-type]

    fresh = pl.Network(net.layers, net.activations)  # no cached bounds
    analysis._layer_bounds, _split._local_bounds = inflated, inflated_local  # type: ignore[assignment]
    lo, hi = interval or (-math.inf, math.inf)
    try:
        try:
            analysis._partition(fresh, lo, hi, np.arange(1))
        except analysis._Undecided as reason:  # only these may still redo the whole net
            assert "simultaneous" in str(reason) or "too small or large" in str(reason), reason
        rf = pl.regions(fresh, interval)
    finally:
        analysis._layer_bounds, _split._local_bounds = layer_bounds, local_bounds
    assert_structures_equal(rf, exact_oracle(net, interval))


def assert_correctly_rounded(rr: pl.Regions, re: pl.Regions) -> None:
    """``rr`` (``refine=True``) is ``re`` (``exact=True``) rounded to floats (beyond the
    float range: infinite)."""
    from pwlinear._exact_partition import to_float

    assert_structures_equal(rr, re)
    for got, want in ((rr.left, re.left), (rr.right, re.right), (rr.slope, re.slope)):
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, [to_float(v) for v in want])
    np.testing.assert_array_equal(rr.intercept, [to_float(v) for v in re.intercept])


def refined_or_close(xf: float, xe: Fraction) -> bool:
    """The float guarantee for boundaries: within 2**-8 of its size (the refinement
    threshold of the certified bound), or correctly rounded."""
    return xf == float(xe) or abs(Fraction(xf) - xe) <= Fraction(xf).__abs__() / 256


@given(st.one_of(degenerate_nets(), random_nets()), st.sampled_from([None, (-3.0, 2.5)]))
def test_float_boundaries_are_close_or_correctly_rounded(
    net: pl.Network, interval: tuple[float, float] | None
) -> None:
    rf, re = pl.regions(net, interval), pl.regions(net, interval, exact=True)
    assert all(refined_or_close(a, b) for a, b in zip(rf.boundaries, re.boundaries))


@pytest.mark.parametrize("seed", [879, 967])
def test_refine_rounds_every_boundary_correctly(seed: int) -> None:
    # nets whose slopes nearly cancel at a crossing: the default boundary is within its
    # certified bound but about a hundred ulps off; refine=True rounds the exact one
    # (seeds 149 and 361 were such nets, 28 and 12 ulps off once the second layer's maps
    # carried their rounding errors)
    net = pl.Network.random([1, 4, 2, 2, 1], seed=seed)
    rf, re = pl.regions(net), pl.regions(net, exact=True)
    assert max(ulps_apart(a, float(b)) for a, b in zip(rf.boundaries, re.boundaries)) > 50
    assert_correctly_rounded(pl.regions(net, refine=True), re)
    bp = pl.breakpoints(net, refine=True)
    assert bp.tolist() == [float(v) for v in pl.breakpoints(net, exact=True)]
    assert pl.to_piecewise(net, refine=True).knots.tolist() == bp.tolist()
    with pytest.raises(ValueError, match=r"exact=True .* or refine=True"):
        pl.regions(net, exact=True, refine=True)


@pytest.mark.parametrize(
    ("layers", "activation", "where"),
    [
        # a neuron's intercept -1 - 3.5e-18 rounds to -1: float puts the kink at 0, not -1
        (
            [([[T]], [T]), ([[-2.0]], [-1.0]), ([[T]] * 3, [T] * 3), ([[T] * 3], [T])],
            "hardtanh",
            1,
        ),
        # weights of 2**61 cancel: float puts the first boundary at -50, not -50.25
        (
            [
                ([[T]] * 3, [T, T / 2, T / 4]),
                ([[-H, 0.0, H], [-H, -H, -H], [-H, -H, -H / 2], [-H, 0.0, H]], [-H] * 4),
                ([[T] * 4, [T] * 4, [T, T, -T, -T]], [T] * 3),
                ([[T] * 3], [T]),
            ],
            "leaky_relu",
            0,
        ),
    ],
)
def test_boundaries_whose_bound_is_loose_are_recomputed_exactly(
    layers: list, activation: str, where: int
) -> None:
    net = pl.Network(layers, activation)
    rf, re = pl.regions(net), pl.regions(net, exact=True)
    # the float partition (sweep or numpy) hands on the bounds: some are loose
    assert analysis._float_partition(net, -math.inf, math.inf, np.arange(1))[-1] is not None
    assert_structures_equal(rf, exact_oracle(net))
    assert_exactly_equal(re, exact_oracle(net))
    assert rf.boundaries[where] == float(re.boundaries[where])


@given(
    st.lists(st.integers(-(2**200), 2**200), min_size=1, max_size=20),
    st.lists(st.integers(-(2**200), 2**200).filter(bool), min_size=20, max_size=20),
    st.integers(1, 2**70),
    st.one_of(st.integers(0, 300).map(lambda e: 2**e), st.integers(1, 2**70)),
)
def test_fast_fractions_equal_fraction(ints: list[int], dens: list[int], n: int, d: int) -> None:
    from pwlinear._exact import dyadic_fractions, ratios

    g = math.gcd(n, d)
    num, den = n // g, d // g  # a scale in lowest terms, often a power of two
    scaled = dyadic_fractions(np.array(ints, dtype=object), num, den)
    for got, want in (
        (scaled, [Fraction(v * n, d) for v in ints]),
        (ratios(ints, dens, n, d), [Fraction(x * n, y * d) for x, y in zip(ints, dens)]),
    ):
        assert [(f.numerator, f.denominator) for f in got] == [
            (f.numerator, f.denominator) for f in want
        ]
        assert all(type(f) is Fraction and hash(f) == hash(w) for f, w in zip(got, want))


@given(
    st.integers(1, 8),
    st.integers(1, 8),
    st.integers(0, 2**16),
    st.sampled_from(["relu", "leaky_relu", "abs", "hardtanh"]),
    st.sampled_from([None, (-3.0, 2.5)]),
)
def test_boundaries_of_two_hidden_layers_are_within_a_few_ulps(
    n1: int, n2: int, seed: int, activation: str, interval: tuple[float, float] | None
) -> None:
    # the first layer's crossings are -b/w of exact inputs, the second's come from the
    # exact first layer's maps by a compensated product: nearly correctly rounded
    # (deeper layers' maps carry the rounding of the layers below them)
    net = pl.Network(pl.Network.random([1, n1, n2, 1], seed=seed).layers, activation)
    rf, re = pl.regions(net, interval), pl.regions(net, interval, exact=True)
    assert all(ulps_apart(a, float(b)) <= 4 for a, b in zip(rf.boundaries, re.boundaries))
