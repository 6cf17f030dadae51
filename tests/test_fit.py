"""best_fit: least-squares sums of shifted ReLUs, against independent oracles."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy
from scipy import integrate

import pwlinear as pl

X = sympy.Symbol("x")


def sympy_normal_equations(
    expr: sympy.Expr, shifts: list[int], a: int, b: int
) -> list[sympy.Rational]:
    """Independent oracle: solve the normal equations of c + sum w relu(x - h) with sympy."""
    basis = [sympy.Integer(1)] + [sympy.Max(X - h, 0) for h in shifts]

    def ip(u: sympy.Expr, v: sympy.Expr) -> sympy.Expr:
        return sympy.integrate(sympy.piecewise_fold((u * v).rewrite(sympy.Piecewise)), (X, a, b))

    G = sympy.Matrix([[ip(u, v) for v in basis] for u in basis])
    r = sympy.Matrix([ip(expr, u) for u in basis])
    return list(G.LUsolve(r))


def test_x_squared_two_units_exact_against_sympy() -> None:
    fit = pl.best_fit("x**2", 2, (0, 2), shifts=[0, 1], exact=True)
    c, w0, w1 = sympy_normal_equations(X**2, [0, 1], 0, 2)
    assert fit.bias == Fraction(int(c.p), int(c.q))
    assert list(fit.weights) == [Fraction(int(w0.p), int(w0.q)), Fraction(int(w1.p), int(w1.q))]
    assert all(isinstance(v, Fraction) for v in fit.weights)
    assert fit.loss == Fraction(1, 90)
    fl = pl.best_fit(lambda x: x**2, 2, (0, 2), shifts="uniform")
    np.testing.assert_allclose(fl.weights, [float(v) for v in fit.weights], rtol=1e-12)
    assert fl.bias == pytest.approx(float(fit.bias), abs=1e-12)


@pytest.mark.parametrize("target", [np.sin, lambda x: np.exp(x) * np.cos(3 * x)])
@pytest.mark.parametrize("shifts", ["uniform", "free"])
def test_continuous_residual_orthogonal_to_basis(target, shifts) -> None:
    a, b = 0.0, 2.0
    fit = pl.best_fit(target, 5, (a, b), shifts=shifts)
    knots = np.unique(np.r_[a, fit.shifts[(fit.shifts > a) & (fit.shifts < b)], b])
    basis = [lambda x: 1.0] + [lambda x, h=h: max(x - h, 0.0) for h in fit.shifts]
    for phi in basis:
        val = sum(
            integrate.quad(lambda x, p=phi: (target(x) - fit(x)) * p(x), lo, hi, epsabs=1e-13)[0]
            for lo, hi in zip(knots[:-1], knots[1:])
        )
        assert abs(val) < 1e-9
    loss = sum(
        integrate.quad(lambda x: (target(x) - fit(x)) ** 2, lo, hi, epsabs=1e-14)[0]
        for lo, hi in zip(knots[:-1], knots[1:])
    )
    assert fit.loss == pytest.approx(loss, rel=1e-8, abs=1e-14)


@pytest.mark.parametrize("shifts", ["uniform", "free"])
def test_discrete_residual_orthogonal_and_weights(shifts) -> None:
    rng = np.random.default_rng(1)
    x = np.sort(rng.uniform(-1, 3, 400))
    y = np.sin(2 * x) + rng.normal(0, 0.05, x.size)
    om = rng.uniform(0.5, 2.0, x.size)
    fit = pl.best_fit((x, y), 6, shifts=shifts, weights=om)
    res = y - fit(x)
    basis = np.hstack([np.ones((x.size, 1)), np.maximum(x[:, None] - fit.shifts, 0)])
    assert np.max(np.abs(basis.T @ (om * res))) < 1e-8 * np.sum(om)
    assert fit.loss == pytest.approx(np.sum(om * res**2), rel=1e-12)
    assert fit.interval == (x.min(), x.max())


def test_recovers_a_sum_of_shifted_relus() -> None:
    h, w, c = np.array([0.3, 0.9, 1.4]), np.array([1.5, -2.0, 0.7]), 0.25
    truth = pl.shifted_relus(w, h, c)
    fit = pl.best_fit(lambda x: truth(x), 3, (0, 2), shifts=h)
    np.testing.assert_allclose(fit.weights, w, rtol=1e-10)
    assert fit.loss < 1e-20
    for n in (3, 5):
        free = pl.best_fit(lambda x: truth(x), n, (0, 2))
        assert free.loss < 1e-12
    x = np.linspace(0, 2, 300)
    data = pl.best_fit((x, truth(x)), 3, shifts=h)
    assert data.loss < 1e-20


def test_loss_non_increasing_and_n_minus_2_decay() -> None:
    ns = [2, 4, 8, 16, 32]
    free = [pl.best_fit(np.exp, n, (0, 2)).loss for n in ns]
    uniform = [pl.best_fit(np.exp, n, (0, 2), shifts="uniform").loss for n in ns]
    assert all(b <= a * (1 + 1e-9) for a, b in zip(free, free[1:]))
    # nested fixed shifts: the uniform grids for n and 2n share every shift
    assert all(b <= a * (1 + 1e-9) for a, b in zip(uniform, uniform[1:]))
    for losses in (free, uniform):
        slope = np.polyfit(np.log(ns), np.log(np.sqrt(losses)), 1)[0]
        assert -2.3 < slope < -1.7


def test_network_and_function_agree_with_the_fit() -> None:
    fit = pl.best_fit("sin(3*x)", 7, (0, 3))
    x = np.linspace(-1, 4, 1001)
    np.testing.assert_allclose(fit.network(x), fit(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fit.function(x), fit(x), rtol=1e-10, atol=1e-10)
    assert fit.n_units == 7 and fit.kind == "continuous"
    ex = pl.best_fit("x**3 - x", 3, (-1, 2), shifts=[-1, 0, 1], exact=True)
    f = ex.function
    assert f.is_exact
    assert f(Fraction(1, 3)) == ex.bias + sum(
        w * max(Fraction(1, 3) - h, 0) for w, h in zip(ex.weights, ex.shifts)
    )


def test_bias_false_and_max_error() -> None:
    fit = pl.best_fit(lambda x: x**2, 3, (0, 2), shifts="uniform", bias=False)
    assert fit.bias == 0
    x = np.sort(np.r_[np.linspace(0, 2, 20001), fit.shifts])  # the max may sit on a kink
    assert fit.max_error == pytest.approx(np.max(np.abs(x**2 - fit(x))), rel=1e-6)
    assert fit.rms == pytest.approx(np.sqrt(fit.loss / 2))


def test_ten_thousand_units_stay_accurate() -> None:
    x = np.linspace(0, 1, 50001)
    y = np.sin(10 * x)
    fit = pl.best_fit((x, y), 10000, shifts="uniform")
    assert fit.max_error < 1e-6  # a linear interpolant's error is h^2 |f''| / 8 ~ 1e-7


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        ((np.sin, 0, (0, 1)), {}, ValueError, "n_units must be at least 1"),
        ((np.sin, 2.5, (0, 1)), {}, TypeError, "n_units must be an int"),
        ((np.sin, 2, (1, 0)), {}, ValueError, "interval"),
        ((np.sin, 2), {}, ValueError, "interval"),
        ((([0.0, np.nan, 1.0], [1.0, 2.0, 3.0]), 2), {}, ValueError, "finite"),
        ((([0.0, 1.0, 2.0], [1.0, 2.0]), 2), {}, ValueError, "same length"),
        ((lambda x: np.where(x > 0.5, np.inf, x), 2, (-1, 1)), {}, ValueError, "non-finite"),
        (("x*y", 2, (0, 1)), {}, ValueError, "one free symbol"),
        (("x**", 2, (0, 1)), {}, ValueError, "sympy can parse"),
        ((np.sin, 2, (0, 1)), {"shifts": "random"}, ValueError, "shifts must be"),
        ((np.sin, 2, (0, 1)), {"shifts": [0.0]}, ValueError, "n_units = 2"),
        ((np.sin, 2, (0, 1)), {"exact": True, "shifts": [0, 0.5]}, ValueError, "polynomial"),
    ],
)
def test_bad_input(args, kwargs, exc, match) -> None:
    with pytest.raises(exc, match=match):
        pl.best_fit(*args, **kwargs)


@pytest.mark.parametrize("bias", [True, False])
def test_free_shift_objective_equals_direct_loss_and_gradient(bias) -> None:
    """The prefix-sum (data) and per-piece quadrature (function) objective of the free-shift
    search: the loss equals the direct fit's for random, merged, narrow and end shifts, and the
    gradient equals central differences away from merges and ends."""
    from pwlinear.fit import _as_target, _ContinuousMoments, _DataMoments, _fit_fixed, _project

    rng = np.random.default_rng(5)
    x = np.sort(rng.uniform(-1, 3, 500))
    y = np.sin(2 * x) + rng.normal(0, 0.05, x.size)
    om = rng.uniform(0.5, 2.0, x.size)
    a, b = float(x.min()), float(x.max())
    target = _as_target(np.cos)
    cases = [
        (_DataMoments(x, y, om, a, b, bias), ("data", x, y, om)),
        (_ContinuousMoments(target, a, b), ("continuous", target)),
    ]
    for mom, problem in cases:
        for k in range(6):
            z = np.sort(rng.uniform(0.05, 0.95, 5))
            smooth = k in (0, 3)
            if k == 1:
                z[0] = 0.0  # a unit at a: the linear term
            elif k == 2:
                z[2] = z[3]  # merged shifts
            elif k == 3:
                z[1] = z[0] + 1e-4  # a narrow piece: moments summed directly
            elif k == 4:
                z[-1] = 1.0  # a unit at b: no effect
            loss, grad = _project(mom, z, bias)
            _, direct = _fit_fixed(problem, a + z * (b - a), bias, a, b)
            assert loss == pytest.approx(direct, rel=1e-9)
            if smooth:
                eps = 1e-7
                fd = [
                    (_project(mom, z + eps * e, bias)[0] - _project(mom, z - eps * e, bias)[0])
                    / (2 * eps)
                    for e in np.eye(z.size)
                ]
                np.testing.assert_allclose(grad, fd, rtol=1e-4, atol=1e-6 * np.abs(fd).max())


def test_free_shifts_deterministic_and_not_worse_than_fixed() -> None:
    rng = np.random.default_rng(2)
    x = np.sort(rng.uniform(0, 2, 1000))
    y = x**2 + rng.normal(0, 0.05, x.size)
    fits = [pl.best_fit((x, y), 8, seed=3) for _ in range(2)]
    np.testing.assert_array_equal(fits[0].shifts, fits[1].shifts)
    assert fits[0].loss == fits[1].loss
    uniform = pl.best_fit((x, y), 8, shifts="uniform")
    assert fits[0].loss < uniform.loss


def test_segmented_starts_are_the_optimal_segmentations() -> None:
    # brute force over every pair of breaks among the candidates: the dynamic programme's
    # three-line segmentation has the least summed least-squares error
    from itertools import combinations

    from pwlinear import fit as F

    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(0, 1, 40))
    y = np.abs(x - 0.3) + np.where(x > 0.7, 0.5, 0.0) + rng.normal(0, 0.01, x.size)
    mom = F._DataMoments(x, y, np.ones_like(x), float(x[0]), float(x[-1]), True)
    n_cand = 12
    starts = F._segmented_starts(mom, 3, n_candidates=n_cand)
    cand = np.unique(np.quantile(mom.t, np.linspace(0.0, 1.0, n_cand + 1)))
    cand[0], cand[-1] = 0.0, 1.0

    def sse(lo: float, hi: float) -> float:
        sel = (mom.t > lo) & (mom.t <= hi) if lo > 0 else mom.t <= hi
        if sel.sum() < 2:
            return float(np.sum((mom.y[sel] - mom.y[sel].mean()) ** 2)) if sel.any() else 0.0
        coef = np.polyfit(mom.t[sel], mom.y[sel], 1)
        return float(np.sum((np.polyval(coef, mom.t[sel]) - mom.y[sel]) ** 2))

    def total(breaks: tuple[float, ...]) -> float:
        ends = (0.0, *breaks, 1.0)
        return sum(sse(lo, hi) for lo, hi in zip(ends[:-1], ends[1:]))

    best = min(combinations(cand[1:-1], 2), key=total)
    assert starts[0][0] == 0.0  # n lines: a unit at the left end and the n - 1 breaks
    assert total(tuple(starts[0][1:])) == pytest.approx(total(best), rel=1e-9, abs=1e-12)
    best4 = min(combinations(cand[1:-1], 3), key=total)
    assert total(tuple(starts[1])) == pytest.approx(total(best4), rel=1e-9, abs=1e-12)
