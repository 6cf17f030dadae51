"""The compiled sweep against the numpy partition it replaces, and its parts."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_exact import assert_structures_equal, degenerate_nets

import pwlinear as pl
from pwlinear import _sweep, analysis
from pwlinear._bounds import _cached, _local_bounds, _moderate_range

ACTIVATIONS = [
    "relu",
    "leaky_relu",
    "abs",
    "hardtanh",
    "identity",
    pl.Activation([-1.0, 0.5, 2.0], [0.5, -1.0, 2.0, 0.0]),
]


@st.composite
def nets(draw: st.DrawFn) -> pl.Network:
    widths = [1] + [draw(st.integers(1, 8)) for _ in range(draw(st.integers(1, 4)))]
    widths.append(draw(st.integers(1, 2)))
    net = pl.Network.random(widths, seed=draw(st.integers(0, 2**16)))
    acts = [draw(st.sampled_from(ACTIVATIONS)) for _ in widths[1:-1]]
    return pl.Network(net.layers, acts)


INTERVALS = st.sampled_from([(-math.inf, math.inf), (-3.0, 2.5), (0.0, 1.0), (-math.inf, 0.0)])


def assert_same_partition(a: tuple, b: tuple) -> None:
    """Results of partition_sweep and analysis._partition, equal to the last bit."""
    for u, v in zip(a[:5], b[:5]):
        np.testing.assert_array_equal(u, v)
    assert len(a[5]) == len(b[5])
    for u, v in zip(a[5], b[5]):
        np.testing.assert_array_equal(u, v)
    for field in ("s0", "parent", "region", "neuron", "old", "new"):
        np.testing.assert_array_equal(getattr(a[6], field), getattr(b[6], field))


@given(st.one_of(nets(), degenerate_nets()), INTERVALS)
def test_sweep_equals_the_numpy_partition(net: pl.Network, interval: tuple) -> None:
    cols = np.arange(net.n_outputs)
    if not _moderate_range(net):  # beyond the float bounds: regions goes exact
        return
    try:
        swept = _sweep.partition_sweep(net, *interval, cols)
    except _sweep.SweepUndecided:  # degenerate: regions takes the settling path
        return
    assert_same_partition(swept, analysis._partition(net, *interval, cols))


def test_coincident_switches_go_to_the_settling_path() -> None:
    # two identical first-layer neurons switch at the same point: float cannot order them
    net = pl.Network([([[1.0], [1.0], [2.0]], [-1.0, -1.0, 1.0]), ([[1.0, 2.0, -1.0]], [0.0])])
    with pytest.raises(_sweep.SweepUndecided):
        _sweep.partition_sweep(net, -math.inf, math.inf, np.arange(1))
    assert_structures_equal(pl.regions(net), pl.regions(net, exact=True))
    assert pl.regions(net).switches[0].tolist() == [[0, 2]]


@given(nets(), INTERVALS)
def test_pieces_retried_with_their_own_bounds(net: pl.Network, interval: tuple) -> None:
    # network-wide bounds inflated a million times: pieces of later layers are retried
    # with their own bounds, and the partition is the numpy path's all the same
    flat, ea, ec, g_own, kink_bound, _ = _sweep._kernel_args(net)
    cols = np.arange(net.n_outputs)
    reaches = _sweep._reaches(net, cols)
    out = _sweep._sweep(flat, 1e6 * ea, 1e6 * ec, g_own, *interval, reaches, cols, kink_bound, True)
    if out[0][0]:
        return
    swept = _sweep.partition_sweep(net, *interval, cols)
    for u, v in zip(out[1:4], swept[:3]):
        np.testing.assert_array_equal(u, v)


def test_a_deep_net_retries_a_piece_and_agrees() -> None:
    net = pl.Network.random([1] + [128] * 7 + [1], seed=0)
    flat, ea, ec, g_own, kink_bound, _ = _sweep._kernel_args(net)
    cols = np.arange(1)
    info = _sweep._sweep(
        flat, ea, ec, g_own, -math.inf, math.inf, _sweep._reaches(net, cols), cols, kink_bound, True
    )[0]
    assert info.tolist() == [0, 1]  # one piece needed its own bound
    swept = _sweep.partition_sweep(net, -math.inf, math.inf, cols)
    assert_same_partition(swept, analysis._partition(net, -math.inf, math.inf, cols))


@given(nets())
def test_own_bounds_equal_the_numpy_local_bounds(net: pl.Network) -> None:
    r = pl.regions(net)
    dense = list(r._dense_states)
    flat, *_ = _cached(net, "sweep_args", _sweep._kernel_args)
    states = np.concatenate(dense, axis=1) if dense else np.zeros((len(r), 0), np.int8)
    rows = np.arange(len(r))
    g = _sweep._kernel_args(net)[3]
    for layer in range(1, len(net.activations)):
        ea, ec = _sweep._own_bounds(rows, np.ascontiguousarray(states), layer, flat, g)
        ea_np, ec_np = _local_bounds(net, dense[:layer], rows)
        np.testing.assert_allclose(ea, ea_np, rtol=1e-12, atol=0)
        np.testing.assert_allclose(ec, ec_np, rtol=1e-12, atol=0)


@given(
    hnp.arrays(
        np.float64,
        st.integers(0, 300),
        elements=st.one_of(
            st.floats(allow_nan=False), st.sampled_from([0.0, -0.0, 1.0, -1.0, math.inf])
        ),
    )
)
def test_argsort_is_numpys_stable_argsort(x: np.ndarray) -> None:
    np.testing.assert_array_equal(_sweep._argsort(x), np.argsort(x, kind="stable"))


def test_without_numba_the_numpy_path_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    net = pl.Network.random([1, 16, 16, 1], seed=3)
    expected = pl.regions(net)
    monkeypatch.setitem(sys.modules, "pwlinear._sweep", None)  # import fails
    got = pl.regions(net)
    assert_structures_equal(got, expected)
    np.testing.assert_array_equal(got.left, expected.left)
