"""Big-integer arrays as int64 limbs (:mod:`pwlinear._limbs`) against Python ints."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_exact import assert_exactly_equal, exact_oracle

import pwlinear as pl
from pwlinear import _limbs
from pwlinear._exact_partition import to_float
from pwlinear._limbs import B, Limbs, product, rowdot


def big_ints(max_bits: int) -> st.SearchStrategy[int]:
    """Ints of every size up to ``max_bits``, with limb-boundary values."""
    edges = [(1 << b) + d for b in (B - 1, B, 2 * B, 3 * B) for d in (-1, 0, 1)]
    return st.one_of(
        st.integers(-(1 << max_bits), 1 << max_bits),
        st.sampled_from(edges + [-e for e in edges] + [0]),
        st.integers(0, max_bits).map(lambda b: (1 << b) - 1),
    )


def arrays(shape: tuple[int, ...], max_bits: int = 300) -> st.SearchStrategy[np.ndarray]:
    n = math.prod(shape)
    return st.lists(big_ints(max_bits), min_size=n, max_size=n).map(
        lambda v: np.array(v + [None], dtype=object)[:-1].reshape(shape)
    )


@pytest.fixture(params=["compiled", "numpy"])
def kernels(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the compiled passes and again with the numpy fallbacks."""
    if request.param == "numpy":
        monkeypatch.setattr(_limbs, "_KERNELS", False)
    return str(request.param)


@given(a=arrays((3, 5)), b=arrays((5, 4)), c=arrays((3, 5), 90))
def test_arithmetic_equals_python_ints(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> None:
    A, Bl, C = Limbs.from_ints(a), Limbs.from_ints(b), Limbs.from_ints(c)
    assert (A.to_ints() == a).all()
    assert (abs(A.L) <= 1 << (B - 1)).all()  # balanced limbs
    assert ((A @ Bl).to_ints() == a.dot(b)).all()
    assert ((A * C).to_ints() == a * c).all()
    assert ((A + C).to_ints() == a + c).all()
    assert ((A - C).to_ints() == a - c).all()
    assert ((A + Limbs.from_ints(c[0])).to_ints() == a + c[0]).all()  # broadcasting
    assert (A.scale(-(3**50)).to_ints() == a * -(3**50)).all()
    for e in (1, B - 1, B, 3 * B + 5):  # powers of two are shifts of the limbs
        assert (A.scale(2**e).to_ints() == a * 2**e).all()
    got = Limbs.shifted_sum([A, Limbs.from_ints(c[0]), C], [0, 77, B])  # broadcasting
    assert (got.to_ints() == a + c[0] * 2**77 + c * 2**B).all()
    assert A.item((2, 4)) == a[2, 4]
    assert (A.sign() == np.sign(a).astype(np.int8)).all()


@given(values=arrays((40,), 1100))
def test_floats_within_bound_and_signs(values: np.ndarray) -> None:
    """Floats within 1.01 u of the exact value (up to ±inf beyond the float range)."""
    f = Limbs.from_ints(values).to_float()
    for v, x in zip(values, f):
        if not math.isfinite(x):
            assert to_float(v) == x or abs(v) >= 2**1023  # at the overflow threshold
        else:
            assert abs(Fraction(x) - v) <= Fraction(101, 100) * 2.0**-53 * abs(v)


def test_compiled_passes_equal_numpy() -> None:
    kernels = _limbs._kernels()
    if kernels is None:
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(0)
    raw = rng.integers(-(2**61), 2**61, size=(7, 500))
    assert np.array_equal(kernels.normalize(raw, B), _limbs._normalize_np(raw))
    sums = np.round(rng.normal(size=(4, 300)) * 2.0**50)  # float sums of limb products
    assert np.array_equal(kernels.normalize(sums, B), _limbs._normalize_np(sums.astype(np.int64)))
    values = np.array([int(v) << int(s) for v, s in zip(raw[0], raw[1] % 900)], dtype=object)
    L = Limbs.from_ints(values).L
    for got, want in zip(kernels.read(L, B), _limbs._read_np(L)):
        assert np.array_equal(got, want)


@pytest.mark.parametrize("k", [1, 500, 3000])
def test_long_inner_dimensions_are_chunked(k: int) -> None:
    """Beyond :math:`2^9` products per sum the product is cut into exact chunks."""
    top = 2**300 - 1  # the largest limb products, all of one sign
    a = np.full((2, k), -top, dtype=object)
    b = np.full((k, 3), top, dtype=object)
    assert ((Limbs.from_ints(a) @ Limbs.from_ints(b)).to_ints() == a.dot(b)).all()
    x = Limbs.from_ints(a).L.astype(np.float64)
    assert (product(x, Limbs.from_ints(b)).to_ints() == a.dot(b)).all()


@pytest.mark.parametrize("shape", [(16, 600, 16), (40, 65, 64), (15, 65, 64), (64, 3, 1)])
def test_products_by_blas_and_by_matmul_equal_python_ints(shape: tuple) -> None:
    """Products of 16 rows and columns or more add each limb product into its diagonal by
    BLAS dgemm, smaller ones by np.matmul (long inner dimensions chunked): both exact."""
    r, k, c = shape
    rng = np.random.default_rng(k)
    values, shifts = rng.integers(-(2**60), 2**60, r * k), rng.integers(0, 100, r * k)
    a = np.array([int(v) << int(t) for v, t in zip(values, shifts)], dtype=object)
    a = a.reshape(r, k)
    b = np.array([int(v) * 2**70 + 12345 for v in rng.integers(-(2**62), 2**62, k * c)])
    b = b.reshape(k, c)
    x = Limbs.from_ints(a).L.astype(np.float64)
    assert (product(x, Limbs.from_ints(b)).to_ints() == a.dot(b)).all()


@given(a=arrays((3, 4)), b=arrays((3, 4), 90))
def test_row_dots_equal_python_ints(a: np.ndarray, b: np.ndarray) -> None:
    x, y = Limbs.from_ints(a).L.astype(np.float64), Limbs.from_ints(b).L.astype(np.float64)
    assert (rowdot(x, y).to_ints() == (a * b).sum(axis=1)).all()
    # other axes broadcast: every row of a against every row of b
    assert (rowdot(x[:, :, None], y[:, None]).to_ints() == a.dot(b.T)).all()


@pytest.mark.parametrize("k", [1, 500, 3000])
def test_long_row_dots_are_chunked(k: int) -> None:
    top = 2**300 - 1  # the largest limb products, all of one sign
    a, b = np.full((2, k), -top, dtype=object), np.full((2, k), top, dtype=object)
    x, y = Limbs.from_ints(a).L.astype(np.float64), Limbs.from_ints(b).L.astype(np.float64)
    assert (rowdot(x, y).to_ints() == (a * b).sum(axis=1)).all()


def test_exact_partition_without_compiled_passes(
    kernels: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exact analysis (the exact partition too) gives the same rationals with the
    numpy passes."""
    net = pl.Network.random([1, 12, 12, 1], seed=3)
    fresh = pl.Network.random([1, 12, 12, 1], seed=3)  # its own caches
    r, r_oracle = pl.regions(fresh, exact=True), exact_oracle(fresh)
    monkeypatch.setattr(_limbs, "_KERNELS", None)  # the default: the compiled passes if any
    assert_exactly_equal(r, pl.regions(net, exact=True))
    assert_exactly_equal(r_oracle, exact_oracle(net))
