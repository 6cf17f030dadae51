"""PiecewiseLinear algebra and calculus, against independent oracles."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings

import pwlinear as pl
from pwlinear.testing import networks, piecewise_linear

X = np.linspace(-12, 12, 2401)


def frac_points(f: pl.PiecewiseLinear) -> list[Fraction]:
    pts = [Fraction(-23, 2), Fraction(0), Fraction(37, 5)]
    for t in f.knots:
        pts += [Fraction(t), Fraction(t) - Fraction(1, 7), Fraction(t) + Fraction(1, 9)]
    return pts


@given(piecewise_linear(exact=True), piecewise_linear(exact=True))
def test_exact_algebra_against_pointwise_fractions(f, g) -> None:
    for x in frac_points(f) + frac_points(g):
        assert (f + g)(x) == f(x) + g(x)
        assert (f - g)(x) == f(x) - g(x)
        assert (Fraction(5, 2) * f)(x) == Fraction(5, 2) * f(x)
        assert (-f)(x) == -f(x)
        assert pl.maximum(f, g)(x) == max(f(x), g(x))
        assert pl.minimum(f, g)(x) == min(f(x), g(x))
        assert abs(f)(x) == abs(f(x))
        assert f.compose(g)(x) == f(g(x))


@given(piecewise_linear(exact=True), piecewise_linear(exact=True))
def test_properties(f, g) -> None:
    assert pl.maximum(f, g) + pl.minimum(f, g) == f + g
    iv = (Fraction(-3), Fraction(5))
    for kind in ("sup", "l1", "l2sq"):
        d = f.distance(g, kind, iv)
        assert d == g.distance(f, kind, iv)
        assert (d == 0) == (f.distance(g, "sup", iv) == 0)
    assert f.distance(f, "sup") == 0
    assert f.simplify() == f  # constructors return the canonical form


@settings(max_examples=15)
@given(piecewise_linear(max_knots=4, exact=True))
def test_calculus_against_sympy_and_ppoly(f) -> None:
    x = sympy.Symbol("x")
    expr = f.to_sympy(x)
    a, b = Fraction(-5, 2), Fraction(7, 3)
    ref = sympy.integrate(expr, (x, sympy.Rational(-5, 2), sympy.Rational(7, 3)))
    assert f.integrate(a, b) == Fraction(int(ref.p), int(ref.q))
    assert f.integrate(b, a) == -f.integrate(a, b)
    F = f.antiderivative()
    assert F(float(b)) - F(float(a)) == pytest.approx(float(f.integrate(a, b)), abs=1e-9)
    # the derivative of the antiderivative is f
    np.testing.assert_allclose(F.derivative()(X), f(X), atol=1e-9)
    np.testing.assert_allclose(
        f.derivative()(X + 1e-7),
        f.slopes.astype(float)[np.searchsorted(f.knots.astype(float), X + 1e-7)],
    )


@given(piecewise_linear())
def test_roots_against_ppoly_and_dense(f) -> None:
    pts, intervals = f.roots()
    assert np.all(np.abs(f(pts)) <= 1e-12)
    pp = f.to_ppoly()
    ref = pp.roots(extrapolate=True)
    finite = ref[np.isfinite(ref)]
    # every ppoly root is one of ours or inside a zero interval, both to ppoly's rounding
    # (a piece's float line can meet 0 an ulp before the zero interval it runs into)
    for r in finite:
        assert np.any(np.isclose(pts, r, atol=1e-9)) or any(
            lo - 1e-9 <= r <= hi + 1e-9 for lo, hi in intervals
        )
    # sign changes on a dense grid are bracketed by our zeros: points, or a zero interval
    # that begins or ends in the step
    v = f(X)
    for i in np.flatnonzero(np.sign(v[1:]) * np.sign(v[:-1]) < 0):
        assert np.any((pts >= X[i]) & (pts <= X[i + 1])) or any(
            lo <= X[i + 1] and hi >= X[i] for lo, hi in intervals
        )


@given(piecewise_linear())
def test_float_ops_against_dense_evaluation(f) -> None:
    g = pl.PiecewiseLinear([0.5], [1.0, -2.0], [0.0, 1.5])
    np.testing.assert_allclose((f + g)(X), f(X) + g(X), atol=1e-9)
    np.testing.assert_allclose(pl.maximum(f, g)(X), np.maximum(f(X), g(X)), atol=1e-9)
    np.testing.assert_allclose(f.compose(g)(X), f(g(X)), atol=1e-9)
    ext = f.extrema((-4, 6))
    dense = f(np.r_[np.linspace(-4, 6, 1001), f.knots[(f.knots > -4) & (f.knots < 6)]])
    assert ext.min == pytest.approx(dense.min()) and ext.max == pytest.approx(dense.max())
    assert f.lipschitz() == np.max(np.abs(f.slopes))
    # trapezoid on a fine grid with every knot: exact but for the kinks where f - g
    # changes sign, which cost O(step^2)
    xs = np.unique(np.r_[np.linspace(-4, 6, 200_001), f.knots[(f.knots > -4) & (f.knots < 6)], 0.5])
    l1 = np.trapezoid(np.abs(f(xs) - g(xs)), xs)
    assert f.distance(g, "l1", (-4, 6)) == pytest.approx(l1, rel=1e-6, abs=1e-6)


@given(piecewise_linear(exact=True))
def test_round_trips(f) -> None:
    net = f.to_network()
    assert pl.to_piecewise(net, exact=True) == f
    assert net.widths[1] >= f.knots.size
    assert len(pl.breakpoints(net, exact=True)) == f.knots.size
    back = pl.PiecewiseLinear.from_ppoly(f.to_ppoly())
    ff = pl.PiecewiseLinear(*(a.astype(float) for a in (f.knots, f.slopes, f.intercepts)))
    np.testing.assert_allclose(back(X), ff(X), rtol=1e-12, atol=1e-12)
    assert back.knots.size == ff.knots.size


def test_to_network_is_minimal() -> None:
    # one kink, both end slopes nonzero, jump not equal to -left slope: needs 2 units
    f = pl.PiecewiseLinear([Fraction(1)], [Fraction(1), Fraction(3)], [Fraction(0), Fraction(-2)])
    assert f.to_network().widths == (1, 2, 1)
    # slopes 1, 0, 1: the kinks' jumps -1, +1; the left-facing unit at the first kink gives 1
    g = pl.PiecewiseLinear.from_points(
        [0, 1], [0, 0], left_slope=Fraction(1), right_slope=Fraction(1)
    )
    assert g.to_network().widths == (1, 2, 1)
    line = pl.PiecewiseLinear([], [Fraction(2)], [Fraction(1)])
    assert line.to_network().widths == (1, 2, 1)
    assert pl.to_piecewise(line.to_network(), exact=True) == line


@given(networks(max_depth=2))
def test_compose_equals_the_stacked_network(net) -> None:
    f = pl.to_piecewise(net, exact=True)
    g = pl.to_piecewise(pl.Network.random([1, 3, 1], seed=7), exact=True)
    layers = list(pl.Network.random([1, 3, 1], seed=7).exact_layers) + list(net.exact_layers)
    # stacking g then f: g's output layer feeds f's first layer (identity activation between)
    stacked = pl.Network(layers, ["relu", "identity"] + ["relu"] * (len(net.layers) - 1))
    assert pl.to_piecewise(stacked, exact=True) == f.compose(g)


def test_bad_operands() -> None:
    f = pl.PiecewiseLinear([0.0], [0.0, 1.0], [0.0, 0.0])
    with pytest.raises(TypeError, match="not piecewise linear"):
        _ = f * f
    assert f.__add__("x") is NotImplemented
    with pytest.raises(TypeError):
        _ = f + "x"
    with pytest.raises(ValueError, match="kind"):
        f.distance(f, "l3")
    with pytest.raises(ValueError, match="continuous"):
        pl.PiecewiseLinear([0.0], [0.0, 1.0], [0.0, 1.0])
    assert f.distance(f + 1.0, "sup") == 1.0
    assert f.distance(2 * f, "sup") == np.inf
