"""The compiled sweep against the numpy partition it replaces, and its parts."""

from __future__ import annotations

import math
import sys

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_exact import assert_structures_equal, degenerate_nets, exact_oracle

import pwlinear as pl
from pwlinear import _sweep, analysis
from pwlinear._bounds import _cached, _local_bounds, _moderate_range, _running_factors
from pwlinear._events import _segmented_cumsum

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


def dense_states(partition: tuple) -> tuple:
    """The dense states of a partition's results (the sweep's come as a function)."""
    d = partition[5]
    return d() if callable(d) else d


def assert_same_partition(a: tuple, b: tuple) -> None:
    """Results of partition_sweep and analysis._partition, equal to the last bit."""
    for u, v in zip(a[:5], b[:5]):
        np.testing.assert_array_equal(u, v)
    assert len(dense_states(a)) == len(dense_states(b))
    for u, v in zip(dense_states(a), dense_states(b)):
        np.testing.assert_array_equal(u, v)
    for field in ("s0", "parent", "region", "neuron", "old", "new"):
        np.testing.assert_array_equal(getattr(a[6], field), getattr(b[6], field))


def _segment_parts(net: pl.Network) -> tuple:
    """The kernel's arguments along the net's own first layer, each part on its own:
    the flat arrays, the first layer, the network-wide bounds, the own-bound factor and
    the kink chains (which :func:`_sweep._own` joins)."""
    W0, b0 = net.layers[0]
    a0, c0 = W0[:, 0].astype(np.float64), b0.astype(np.float64)
    flat, ea, ec, g_own, kink = _sweep.segment_args(net, a0[None], c0[None])
    return flat, a0, c0, ea[0], ec[0], g_own, kink[0]


def _raw_sweep(net: pl.Network, lo: float, hi: float, every: int) -> tuple:
    """:func:`_sweep._sweep` on the net's own first layer, intercepts by continuity in
    blocks of ``every`` parents (1: by products only)."""
    flat, own, g_own, *_ = _sweep._kernel_args(net)
    cols = np.arange(net.n_outputs)
    reaches = _sweep._reaches(net, cols)
    return _sweep._sweep(  # type: ignore[no-any-return]
        flat, own, g_own, lo, hi, reaches, cols, True, every, _sweep._scratch_array()
    )


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
    assert_structures_equal(pl.regions(net), exact_oracle(net))
    assert pl.regions(net).switches[0].tolist() == [[0, 2]]


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.int8, np.bool_])
@pytest.mark.parametrize("n", [0, 5, (1 << 22) + 3])
def test_fresh_arrays_are_aligned_to_huge_pages_when_large(n: int, dtype: type) -> None:
    a, b = _sweep._fresh(n, dtype), _sweep._fresh(n, dtype)
    assert a.shape == (n,) and a.dtype == dtype and a.flags.c_contiguous and a.flags.writeable
    if n * a.itemsize >= 2 * _sweep._HUGE:
        assert a.ctypes.data % _sweep._HUGE == 0
    a[:] = 1
    b[:] = 0
    assert (a == 1).all() and not b.any()  # separate memory


def test_a_layer_of_arrays_on_huge_pages_gives_the_numpy_partitions_bits() -> None:
    # 600,000 crossings: the sweep's per-crossing arrays take _fresh's huge-page branch
    net = pl.Network.random([1, 600_000, 1], seed=3)
    cols = np.arange(1)
    for interval in [(-math.inf, math.inf), (-1.0, 2.0)]:
        assert_same_partition(
            _sweep.partition_sweep(net, *interval, cols), analysis._partition(net, *interval, cols)
        )


@numba.njit
def _magnitude_bits(v: float) -> tuple[int, float]:
    b = _sweep._bits(v) & _sweep._MAGNITUDE
    return b, _sweep._float(b)


@given(st.floats(allow_nan=False), st.floats(allow_nan=False))
def test_magnitude_bits_order_as_the_magnitudes(x: float, y: float) -> None:
    # _relu_like's extremes: integer comparisons of the bits of |x|, which bitcast back
    (bx, ax), (by, ay) = _magnitude_bits(x), _magnitude_bits(y)
    assert ax == abs(x) and ay == abs(y)
    assert (bx < by) == (abs(x) < abs(y)) and (bx == by) == (abs(x) == abs(y))


@pytest.mark.parametrize("flat", [0, 20])
def test_a_piece_with_as_many_crossings_as_neurons_gives_the_numpy_partitions_bits(
    flat: int,
) -> None:
    # one piece with as many crossings as neurons: with one knot each neuron crosses once
    # and the sorted neuron indices come from the sort's order alone; with two knots
    # (hardtanh), 20 flat neurons and 20 crossing twice, they do not
    rng = np.random.default_rng(0)
    w = rng.standard_normal(40)
    w[:flat] = 0.0
    layers = [(w[:, None], rng.standard_normal(40)), (rng.standard_normal((1, 40)), [0.5])]
    net = pl.Network(layers, "hardtanh" if flat else "relu")
    cols = np.arange(1)
    swept = _sweep.partition_sweep(net, -math.inf, math.inf, cols)
    assert swept[6].neuron.size == 40
    assert_same_partition(swept, analysis._partition(net, -math.inf, math.inf, cols))


@pytest.mark.parametrize("width", [32, 64])
def test_wider_layers_give_the_numpy_partitions_bits(width: int) -> None:
    # layers of 32 neurons or more: OpenBLAS's AVX-512 kernels round A @ W.T (a
    # transposed view) and A @ ascontiguousarray(W.T) differently, so both paths must
    # take the same operand (hypothesis's nets are too narrow to see it)
    net = pl.Network.random([1, width, width, width, 1], seed=0)
    cols = np.arange(1)
    assert_same_partition(
        _sweep.partition_sweep(net, -math.inf, math.inf, cols),
        analysis._partition(net, -math.inf, math.inf, cols),
    )


@given(nets(), INTERVALS)
def test_pieces_retried_with_their_own_bounds(net: pl.Network, interval: tuple) -> None:
    # network-wide bounds inflated a million times: pieces of later layers are retried
    # with their own bounds, and the partition is the numpy path's all the same
    flat, _, _, ea, ec, g_own, kink_bound = _segment_parts(net)
    cols = np.arange(net.n_outputs)
    reaches = _sweep._reaches(net, cols)
    a0, c0 = net.layers[0][0][:, 0].copy(), net.layers[0][1].copy()
    own = _sweep._own(a0, c0, 1e6 * ea, 1e6 * ec, kink_bound)
    out = _sweep._sweep(
        flat, own, g_own, *interval, reaches, cols, True, 1, _sweep._scratch_array()
    )
    if out[0][0]:
        return
    swept = _sweep.partition_sweep(net, *interval, cols)
    for u, v in zip(out[1:4], swept[:3]):
        np.testing.assert_array_equal(u, v)


@given(nets(), INTERVALS)
def test_slope_differences_decide_boundaries_as_the_exact_flags(
    net: pl.Network, interval: tuple
) -> None:
    # an infinite network-wide kink bound leaves every boundary of an earlier layer to
    # the sweep's difference test: what it decides is the partition's (exact) flags
    flat, a0, c0, ea, ec, g_own, _ = _segment_parts(net)
    cols = np.arange(net.n_outputs)
    reaches = _sweep._reaches(net, cols)
    inf = np.full(net.n_outputs, math.inf)
    own = _sweep._own(a0, c0, ea, ec, inf)
    out = _sweep._sweep(
        flat, own, g_own, *interval, reaches, cols, True, 1, _sweep._scratch_array()
    )
    if out[0][0]:
        return
    try:
        kink = _sweep.partition_sweep(net, *interval, cols, continuity=False)[3]
    except _sweep.SweepUndecided:
        return
    decided = np.ones(kink.size, bool)
    decided[out[5]] = False
    np.testing.assert_array_equal(out[4][decided], kink[decided])
    assert not out[4][out[5]].any()  # left open: not yet a kink


@pytest.mark.parametrize(
    ("layers", "activation", "left_open"),
    [
        # output slopes unchanged across two boundaries: no path of nonzero terms
        (
            [([[-2.0]], [-1.0]), ([[-1.0], [0.5], [0.75]], [0.75, -1.0, 2.0]),
             ([[0.0, 0.5, 2.0]], [2.0]), ([[0.75]], [0.0])],
            "abs", [],
        ),
        # terms that cancel exactly: the difference test cannot tell, exact arithmetic does
        (
            [([[0.5], [-1.5], [2.0], [-1.5]], [-0.5, -1.5, -0.5, 1.0]),
             ([[2.0, 2.0, 3.0, 1.0], [-0.5, 0.0, 1.0, 0.0], [-2.0, -2.0, 0.75, -2.0]],
              [-2.0, 0.75, 0.5]),
             ([[-2.0, -1.5, 1.0]], [-1.5])],
            "abs", [2],
        ),
        # paths that cancel exactly, not in float: 5 fl(3a) - 3 fl(5a) = 1.8e-15
        (
            [([[1 + 2**-51]], [0.0]), ([[3.0], [5.0]], [1.0, 1.0]), ([[5.0, -3.0]], [0.0])],
            "relu", [0],
        ),
        # slope changes beyond the difference's bound but within the network-wide one
        (pl.Network.random([1] + [128] * 7 + [1], seed=0).layers, "relu", []),
    ],
)  # fmt: skip
def test_the_sweep_tests_slope_differences_itself(
    layers: list, activation: str, left_open: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = pl.Network(layers, activation)
    cols = np.arange(1)
    settled: list[list[int]] = []
    tested: list[int] = []
    settle, test = analysis._settle_exactly, analysis._difference_test
    monkeypatch.setattr(
        analysis, "_settle_exactly", lambda *a: settled.append(a[-1].tolist()) or settle(*a)
    )
    monkeypatch.setattr(analysis, "_difference_test", lambda *a: tested.append(1) or test(*a))
    swept = _sweep.partition_sweep(net, -math.inf, math.inf, cols)
    assert not tested  # in the sweep, without the dense states
    assert settled == ([left_open] if left_open else [])  # what it leaves to exact arithmetic
    numpy_path = analysis._partition(net, -math.inf, math.inf, cols)
    assert_same_partition(swept, numpy_path)
    assert settled == ([left_open] * 2 if left_open else [])  # the numpy path's too
    np.testing.assert_array_equal(swept[3], exact_oracle(net).is_breakpoint)


def test_resplitting_some_pieces_equals_splitting_the_layer_again() -> None:
    # loose network-wide bounds leave pieces undecided; split again with bounds of their
    # own, they get the results that splitting the whole layer again gives them
    rng = np.random.default_rng(0)
    P, n = 40, 16
    A, C = rng.normal(size=(P, n)), rng.normal(size=(P, n))
    edges = np.concatenate([[-math.inf], np.sort(rng.normal(size=P - 1)) * 3, [math.inf]])
    edge_err, knots, mu, ua = np.zeros(P + 1), np.zeros(1), np.zeros(P), np.ones(n)
    before = (False, A, C, np.zeros(1, np.int64), np.zeros((1, 1), np.int8), np.array([0.0, 1.0]),
              np.zeros(2), np.zeros((1, 1)), np.zeros(1), np.zeros((0, 1)))  # fmt: skip
    EA = np.full((1, n), 1e-3)
    args = (knots, True, before, mu, mu, ua, ua)
    first = _sweep._split_layer(A, C, edges, edge_err, EA, EA, np.zeros(0, np.int64), *args)
    rows = np.flatnonzero(first[-1])
    assert 0 < rows.size < P
    EA2 = np.vstack([EA, np.full((rows.size, n), 1e-12)])
    row_of = np.zeros(P, np.int64)
    row_of[rows] = np.arange(1, rows.size + 1)
    again = _sweep._split_layer(A, C, edges, edge_err, EA2, EA2, row_of, *args)
    s_right, p, i, m, x, e, _, _, bad = (a.copy() for a in first)
    results = (s_right, p, i, m, x, e, bad)
    assert _sweep._resplit(rows, A, C, edges, edge_err, EA2, EA2, *args, *results)
    for got, k in zip(results, (0, 1, 2, 3, 4, 5, 8)):
        np.testing.assert_array_equal(got, again[k])
    assert not bad.any() and not np.array_equal(e, first[5])


def test_a_deep_net_retries_a_piece_and_agrees() -> None:
    net = pl.Network.random([1] + [128] * 7 + [1], seed=0)
    cols = np.arange(1)
    info = _raw_sweep(net, -math.inf, math.inf, 1)[0]
    assert info[:3] == (0, 1, 0)  # one piece needed its own bound, none is loose
    swept = _sweep.partition_sweep(net, -math.inf, math.inf, cols)
    assert_same_partition(swept, analysis._partition(net, -math.inf, math.inf, cols))


@given(nets())
def test_own_bounds_equal_the_numpy_local_bounds(net: pl.Network) -> None:
    r = pl.regions(net)
    dense = list(r.states[:-1])
    flat, *_ = _cached(net, "sweep_args", _sweep._kernel_args)
    states = np.concatenate(dense, axis=1) if dense else np.zeros((len(r), 0), np.int8)
    rows = np.arange(len(r))
    g = _sweep._kernel_args(net)[2]
    # first siblings: the piece's own states, and some other state of each neuron
    others = [(d + 1) % (act.knots.size + 1) for d, act in zip(dense, net.activations)]
    for firsts in (dense, others):
        joined = np.concatenate(firsts, axis=1) if dense else states
        for layer in range(1, len(net.activations)):
            a0, c0 = net.layers[0][0][:, 0].copy(), net.layers[0][1].copy()
            ea, ec = _sweep._own_bounds(
                rows, np.ascontiguousarray(states), np.ascontiguousarray(joined.astype(np.int8)),
                layer, _sweep._unflat(*flat), a0, c0, g,
            )  # fmt: skip
            ea_np, ec_np = _local_bounds(net, dense[:layer], firsts[:layer], rows)
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
    order, xs = _sweep._argsort(x)
    np.testing.assert_array_equal(order, np.argsort(x, kind="stable"))
    np.testing.assert_array_equal(np.signbit(xs), np.signbit(x[order]))  # -0.0 kept
    np.testing.assert_array_equal(xs, x[order])


@pytest.mark.parametrize("n", [512, 2048, 5000, 70_000])
def test_packed_key_argsort_on_large_arrays(n: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n) * 10.0 ** rng.integers(-300, 300, n)
    x[::7] = np.round(x[::7] * 1e-300)  # many ties, at 0 and -0 among them
    x[1], x[2], x[3] = -0.0, math.inf, -math.inf
    # runs that the keys, cut to make room for the index, cannot tell apart: the last
    # bits of the significand decide, in either order
    x[10:40] = 1.0 + np.arange(30)[::-1] * 2.0**-52
    x[50:80] = -1.0 - np.arange(30) * 2.0**-52
    x[90:120] = np.tile([3.0, np.nextafter(3.0, 4.0), np.nextafter(3.0, 2.0)], 10)
    order, xs = _sweep._argsort(x)
    np.testing.assert_array_equal(order, np.argsort(x, kind="stable"))
    np.testing.assert_array_equal(np.signbit(xs), np.signbit(x[order]))  # -0.0 kept
    np.testing.assert_array_equal(xs, x[order])


def test_without_numba_the_numpy_path_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    net = pl.Network.random([1, 16, 16, 1], seed=3)
    expected = pl.regions(net)
    monkeypatch.setitem(sys.modules, "pwlinear._sweep", None)  # import fails
    monkeypatch.setattr(analysis, "_SWEEP", [])  # and is tried again
    got = pl.regions(net)
    assert_structures_equal(got, expected)
    np.testing.assert_array_equal(got.left, expected.left)


# -- many segments at once ------------------------------------------------------------------


@st.composite
def nets_and_segments(draw: st.DrawFn) -> tuple[pl.Network, np.ndarray, np.ndarray]:
    n_in = draw(st.integers(1, 4))
    widths = [n_in] + [draw(st.integers(1, 6)) for _ in range(draw(st.integers(1, 3)))]
    widths.append(draw(st.integers(1, 3)))
    net = pl.Network.random(widths, seed=draw(st.integers(0, 2**16)))
    net = pl.Network(net.layers, [draw(st.sampled_from(ACTIVATIONS)) for _ in widths[1:-1]])
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    n_seg = draw(st.integers(0, 12))
    starts = rng.normal(scale=3.0, size=(n_seg, n_in))
    ends = rng.normal(scale=3.0, size=(n_seg, n_in))
    if n_seg and draw(st.booleans()):
        ends[0] = starts[0]  # a point: no breakpoints
    return net, starts, ends


@given(nets_and_segments(), st.sampled_from([None, 0]))
def test_breakpoints_many_equals_a_loop_over_restrict(case: tuple, output: int | None) -> None:
    net, starts, ends = case
    got = pl.breakpoints_many(net, starts, ends, output=output)
    assert len(got) == len(starts)
    for t, a, b in zip(got, starts, ends):
        line = pl.restrict(net, a, b)
        np.testing.assert_array_equal(t, pl.breakpoints(line, (0.0, 1.0), output=output))


def test_breakpoints_many_settles_degenerate_segments() -> None:
    # two identical first-layer rows: every segment's crossings tie, settled one by one
    W = np.array([[1.0, 2.0], [1.0, 2.0], [-1.0, 0.5]])
    net = pl.Network([(W, np.array([0.5, 0.5, 0.0])), (np.array([[1.0, 1.0, 2.0]]), [0.0])])
    starts, ends = np.array([[-2.0, -1.0], [0.0, 0.0]]), np.array([[2.0, 1.0], [1.0, 1.0]])
    got = pl.breakpoints_many(net, starts, ends)
    for t, a, b in zip(got, starts, ends):
        np.testing.assert_array_equal(t, pl.breakpoints(pl.restrict(net, a, b), (0.0, 1.0)))
    assert got[0].size == 2


def test_breakpoints_many_on_a_scalar_net_takes_points() -> None:
    net = pl.shifted_relus([1.0, -2.0, 1.0], [-1.0, 0.0, 1.0])
    got = pl.breakpoints_many(net, [-3.0, -0.5, 2.0], [3.0, 0.5, 3.0])
    assert [t.tolist() for t in got] == [[1 / 3, 0.5, 2 / 3], [0.5], []]
    assert pl.breakpoints_many(net, np.zeros((0, 1)), np.zeros((0, 1))) == []


@pytest.mark.parametrize(
    ("starts", "ends", "match"),
    [
        (np.zeros((2, 2)), np.zeros((2, 3)), "ends must have shape"),
        (np.zeros((2, 2)), np.zeros((3, 2)), "same shape"),
        (np.zeros(4), np.zeros(4), "starts must have shape"),
        (np.array([[0.0, np.nan]]), np.zeros((1, 2)), "starts must be finite, got nan"),
        (np.zeros((1, 2)), np.array([[np.inf, 0.0]]), "ends must be finite, got inf"),
    ],
)
def test_breakpoints_many_rejects_bad_segments(
    starts: np.ndarray, ends: np.ndarray, match: str
) -> None:
    net = pl.Network.random([2, 4, 1], seed=0)
    with pytest.raises(ValueError, match=match):
        pl.breakpoints_many(net, starts, ends)


def test_breakpoints_many_with_huge_first_layers_settles_each() -> None:
    # segments spanning 1e200: beyond the float bounds, every segment goes exact
    net = pl.Network.random([2, 1, 3, 1], seed=1)
    starts, ends = np.array([[-1e200, 0.0], [0.0, -1.0]]), np.array([[1e200, 1.0], [1.0, 1.0]])
    got = pl.breakpoints_many(net, starts, ends)
    for t, a, b in zip(got, starts, ends):
        np.testing.assert_array_equal(t, pl.breakpoints(pl.restrict(net, a, b), (0.0, 1.0)))


@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=6),
    st.integers(1, 3),
    st.randoms(use_true_random=False),
)
def test_running_sums_add_each_step_in_order(counts: list, width: int, rnd: object) -> None:
    # _events._segmented_cumsum (level by level) against the plain loop of _running_outputs
    rng = np.random.default_rng(rnd.randrange(2**32))  # type: ignore[attr-defined]
    first = rng.standard_normal((len(counts), width)) * 10.0 ** rng.integers(-8, 8, (1, width))
    steps = rng.standard_normal((sum(counts), width))
    parent = np.repeat(np.arange(len(counts)), counts)
    first_rows = np.cumsum([0] + [c + 1 for c in counts[:-1]])
    expected = np.empty((len(counts) + steps.shape[0], width))
    t = 0
    for q, c in enumerate(counts):
        r = first_rows[q]
        expected[r] = first[q]
        for _ in range(c):
            expected[r + 1] = expected[r] + steps[t]
            r, t = r + 1, t + 1
    got = _segmented_cumsum(first, steps, parent, np.array(counts))
    np.testing.assert_array_equal(got, expected)


def test_path_table_is_the_slopes_met_along_the_way() -> None:
    from pwlinear._bounds import _path_table

    t = np.array([0.0, 1.0, -0.5, 0.25])
    table = _path_table(t)
    for f in range(4):
        for s in range(4):
            lo, hi = min(f, s), max(f, s)
            expected = abs(t[f]) + sum(abs(t[k + 1] - t[k]) for k in range(lo, hi))
            assert table[f, s] == expected
            assert _sweep._path(t, f, s) == expected


def test_saturated_hardtanh_pieces_are_flat_not_crossing() -> None:
    # both first-layer neurons saturate on the last piece, so the next layer is exactly
    # constant there; its running-sum map keeps a rounding residue, which the bounds along
    # the sums (not the piece's own zero slopes) must leave undecided for exact settlement
    layers = [
        (np.array([[0.17780938], [-0.18682449]]), np.array([0.64042265, 0.10490012])),
        (np.array([[-0.53566937, 0.36159505]]), np.array([1.30400005])),
        (np.array([[1.33937474]]), np.array([-0.70373524])),
    ]
    net = pl.Network(layers, [pl.activations.hardtanh(), pl.activations.relu()])
    r = pl.regions(net)
    assert_structures_equal(r, exact_oracle(net, None))
    assert len(r) == 5


def test_scratch_arrays_never_reach_the_results() -> None:
    # the sweep's temporaries live in per-thread scratch arrays reused by the next call:
    # a result must not change when later calls (same shapes, other weights) reuse them
    nets_ = [pl.Network.random([1, 32, 32, 32, 2], seed=s) for s in range(3)]
    first = [pl.regions(n) for n in nets_]
    kept = [(r.left.copy(), r.slope.copy(), r.intercept.copy(), r.states) for r in first]
    again = [pl.regions(n) for n in reversed(nets_)][::-1]
    for r, (left, slope, intercept, states), s in zip(first, kept, again):
        for u, v in ((r.left, left), (r.slope, slope), (r.intercept, intercept)):
            np.testing.assert_array_equal(u, v)
        for u, v in zip(r.states, states):
            np.testing.assert_array_equal(u, v)
        np.testing.assert_array_equal(s.slope, slope)
        assert r.slope.base is None or r.slope.base is not s.slope.base


def test_threads_each_get_their_own_scratch_arrays() -> None:
    from concurrent.futures import ThreadPoolExecutor

    # (a first layer of 600 sorts in numpy, which may hand the GIL to another thread)
    nets_ = [pl.Network.random([1, 600, 64, 1], seed=s) for s in range(8)]
    serial = [pl.regions(n) for n in nets_]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(pl.regions, nets_ * 4))
    for r, t in zip(serial * 4, threaded):
        np.testing.assert_array_equal(r.left, t.left)
        np.testing.assert_array_equal(r.slope, t.slope)


def test_scratch_slots_and_growth_within_the_cap() -> None:
    work, need = np.zeros(8 * 100), np.zeros(1, np.int64)
    for slot, (lo, hi) in enumerate(zip(_sweep._SLOTS[:-1], _sweep._SLOTS[1:])):
        a = _sweep._scratch(work, need, slot, (hi - lo) * 10, 10)  # a full slot: a view
        a[:] = slot + 1
        assert np.all(work[lo * 100 : hi * 100] == slot + 1)
    assert need[0] == 0
    fresh = _sweep._scratch(work, need, 0, 201, 1)  # beyond slot 0's 200 floats
    fresh[:] = -1.0
    assert not (work == -1.0).any()
    assert need[0] == 101 * 8  # slot 0 is two eighths: 101 floats per eighth hold it
    _sweep._SCRATCH.__dict__.clear()
    _sweep._grow_scratch(2 * _sweep._SCRATCH_MAX)  # grows up to the cap only
    assert _sweep._scratch_array().size == _sweep._SCRATCH_MAX
    _sweep._SCRATCH.__dict__.clear()


def test_regions_grow_the_scratch_for_the_next_call() -> None:
    _sweep._SCRATCH.__dict__.clear()
    net = pl.Network.random([1, 128, 128, 1], seed=0)
    first = pl.regions(net)
    grown = _sweep._scratch_array().size
    assert grown > 8 << 10
    second = pl.regions(net)
    assert _sweep._scratch_array().size == grown  # it fits now
    np.testing.assert_array_equal(first.left, second.left)
    np.testing.assert_array_equal(first.slope, second.slope)


@pytest.mark.parametrize("delta, loose", [(1e-11, False), (1e-12, True), (1e-13, True)])
def test_sweep_hands_on_loose_bounds_for_refinement(delta: float, loose: bool) -> None:
    # a second-layer slope of delta on x > 1: its crossing near 0.5 / delta has a bound
    # of about 4e-16 / delta of its size, beyond 2**-8 for delta <= 1e-12
    layers = [
        (np.array([[1.0], [1.0]]), np.array([0.0, -1.0])),
        (np.array([[1.0, -(1 - delta)]]), np.array([-1.5])),
        (np.array([[1.0]]), np.array([0.0])),
    ]
    net = pl.Network(layers)
    err = _sweep.partition_sweep(net, -math.inf, math.inf, np.arange(1))[-1]
    assert (err is not None) == loose
    if loose:  # then regions recomputes that boundary exactly, correctly rounded
        rf, re = pl.regions(net), pl.regions(net, exact=True)
        assert rf.boundaries[2] == float(re.boundaries[2])


FLOATS = st.one_of(
    st.floats(-1e3, 1e3, allow_subnormal=False),
    st.builds(lambda m, e: m * 2.0**e, st.floats(-1, 1), st.integers(-480, 480)),
)


@given(
    hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 12)), elements=FLOATS),
    st.data(),
)
def test_dot2_is_nearly_correctly_rounded_and_the_sweeps_bits(X: np.ndarray, data) -> None:
    from fractions import Fraction

    from pwlinear._split import _Before, _dot2

    Y = data.draw(hnp.arrays(np.float64, X.shape, elements=FLOATS))
    init = data.draw(hnp.arrays(np.float64, X.shape[0], elements=FLOATS))
    got = _dot2(X, Y, init)
    u, n = 2.0**-53, X.shape[1] + 1
    g = n * u / (1 - n * u)
    for r in range(X.shape[0]):
        terms = [Fraction(x) * Fraction(y) for x, y in zip(X[r], Y[r])] + [Fraction(init[r])]
        exact = sum(terms, Fraction(0))
        # (plus a few of the smallest subnormal per operation, for underflow)
        bound = Fraction(u) * abs(exact) + Fraction(g) ** 2 * sum(abs(t) for t in terms)
        bound += Fraction(8 * n) * Fraction(2) ** -1074
        assert abs(Fraction(got[r]) - exact) <= bound
    # the sweep's compiled loop against the numpy path's maps: the post-activations
    # slopes[S] * A and slopes[S] * C + offsets with their rounding errors, then Dot2 with
    # errors by fused multiply-adds there, by Dekker's splitting here: the same bits
    slopes = np.array([data.draw(st.sampled_from([0.01, 0.3, -2.0])), 1.0, 0.0])
    offsets = np.array([data.draw(st.sampled_from([0.0, 0.5, -1.0 / 3])), 0.0, 1.0])
    S = data.draw(hnp.arrays(np.int8, X.shape, elements=st.integers(0, 2)))
    rows = np.arange(X.shape[0])
    before = _Before(slopes, offsets, X, Y, rows, S, Y, init)
    a_np, c_np, c_lo_np = before.maps(rows, rows)
    for r in rows:
        a, c, c_lo = _sweep._dot2_post(X, Y, r, S, r, slopes, offsets, Y[r], init[r])
        assert (a.hex(), c.hex(), c_lo.hex()) == (a_np[r].hex(), c_np[r].hex(), c_lo_np[r].hex())


@given(
    hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 20)), elements=FLOATS),
    st.integers(1, 12),
    st.data(),
)
def test_products_of_few_rows_are_summed_in_order_on_both_paths(
    X: np.ndarray, m: int, data
) -> None:
    # the first hidden layer's product (one piece: two rows) is summed term by term in
    # order, (x0 w0 + x1 w1) + ..., in the sweep and in the numpy path alike; more rows
    # or fewer than 8 columns go to BLAS, both paths to the same routine
    from pwlinear._split import _FEW_ROWS, _product

    WT = data.draw(hnp.arrays(np.float64, (X.shape[1], m), elements=FLOATS))
    got = np.empty((X.shape[0], m))
    _sweep._product(X, WT, got)
    np.testing.assert_array_equal(got.view(np.int64), _product(X, WT).view(np.int64))
    if X.shape[0] <= _FEW_ROWS and m >= 8:
        for r in range(X.shape[0]):
            for h in range(m):
                acc = X[r, 0] * WT[0, h]
                for u in range(1, X.shape[1]):
                    acc = acc + X[r, u] * WT[u, h]
                assert got[r, h].hex() == acc.hex()


@pytest.mark.parametrize("seed", [3, 4])
def test_first_layer_crossing_bounds_are_found_again_after_the_sort(seed: int) -> None:
    # the first layer's maps are exact, so the bound of each crossing is a function of
    # its point and slope: the sort of 40 crossings in one piece skips gathering them
    # and computes them again, to the bit, and each holds against the exact crossing
    from fractions import Fraction

    net = pl.Network.random([1, 40, 1], seed=seed)
    W, b = net.layers[0]
    out = _raw_sweep(net, -math.inf, math.inf, 1)
    x, err, neuron = out[1][1:-1], out[-1][1:-1], out[11]
    assert x.size == 40
    mag, U = np.abs(W[neuron, 0]), 2.0**-53
    inv = 1.01 / mag
    expect = 0.0 * inv + ((U * mag + 0.0) * inv + 2.02 * U) * np.abs(x)
    np.testing.assert_array_equal(err.view(np.int64), expect.view(np.int64))
    for v, e, j in zip(x, err, neuron):
        exact = -Fraction(float(b[j])) / Fraction(float(W[j, 0]))
        assert abs(Fraction(float(v)) - exact) <= Fraction(float(e))


def test_the_kernels_flat_arrays_hold_the_networks_parts() -> None:
    net = pl.Network.random([1, 3, 5, 2], seed=0, activation="hardtanh")
    wt, w_off, bias, b_off, widths, knots, n_knots, slopes, offsets, active, running, w_rows = (
        _sweep._unflat(*_sweep._flat(net))
    )
    for k, (W, b) in enumerate(net.layers):
        np.testing.assert_array_equal(wt[w_off[k] : w_off[k + 1]], W.T.reshape(-1))
        np.testing.assert_array_equal(bias[b_off[k] : b_off[k + 1]], b)
    assert list(widths) == [1, 3, 5, 2] and list(n_knots) == [2, 2]
    for j, act in enumerate(net.activations):
        np.testing.assert_array_equal(knots[j], act.knots)
        np.testing.assert_array_equal(slopes[j], act.slopes)
        np.testing.assert_array_equal(offsets[j], act.offsets)
        np.testing.assert_array_equal(active[j], act.active)
    np.testing.assert_array_equal(running, _running_factors(net))
    np.testing.assert_array_equal(w_rows, net.layers[1][0].reshape(-1))


@pytest.mark.parametrize(
    ("widths", "seed"), [([1, 3, 5, 1], 16104), ([1, 3, 3, 1], 22229), ([1, 4, 5, 1], 55878)]
)
def test_second_layer_boundaries_are_not_lost_to_running_sums(widths: list, seed: int) -> None:
    # the running sums of the later children's maps cancel here: their crossings were
    # 100 to 370 ulps off before the second layer's crossing maps were recomputed (Dot2)
    net = pl.Network.random(widths, seed=seed)
    exact = [float(v) for v in pl.regions(net, exact=True).boundaries]
    for got in (
        pl.regions(net).boundaries,
        analysis._partition(net, -math.inf, math.inf, np.arange(1))[0][1:-1],
    ):
        ulps = np.abs(got - exact) / np.spacing(np.abs(exact))
        assert ulps.max() <= 2


@pytest.mark.parametrize("interval", [(-math.inf, math.inf), (-100.0, 100.0)])
def test_intercepts_by_continuity_keep_the_partition_within_its_bounds(interval: tuple) -> None:
    # wide enough for continuity (_CONTINUITY_WIDTH): the same structure as by products,
    # and every boundary within the two certified bounds of the other
    net = pl.Network.random([1] + [_sweep._CONTINUITY_WIDTH] * 3 + [1], seed=0)
    by_sums, by_products = (_raw_sweep(net, *interval, every) for every in (_sweep._EVERY, 1))
    assert by_sums[0][0] == by_products[0][0] == 0
    for k in (4, 6, 8, 9, 10, 11, 12, 13):  # kinks, inactive, regions' states and events
        np.testing.assert_array_equal(by_sums[k], by_products[k])
    for u, v in zip(by_sums[7], by_products[7]):
        np.testing.assert_array_equal(u, v)
    x, y, ex, ey = (v[1:-1] for v in (by_sums[1], by_products[1], by_sums[-1], by_products[-1]))
    assert np.all(np.abs(x - y) <= ex + ey)
    assert not np.array_equal(by_sums[3], by_products[3])  # the intercepts differ: it ran


@pytest.mark.parametrize(
    "widths, seed",
    [([1, 256, 256, 256, 1], 0), ([1, 512, 512, 512, 512, 1], 0), ([1, 300, 260, 256, 20, 1], 3)],
)
def test_intercepts_by_continuity_are_the_numpy_paths_bits(widths: list, seed: int) -> None:
    # continuity before the layers of 256 or more, through a narrow one in the last net
    net = pl.Network.random(widths, seed=seed)
    cols = np.arange(1)
    for interval in ((-math.inf, math.inf), (-100.0, 100.0)):
        assert _raw_sweep(net, *interval, _sweep._EVERY)[0][0] == 0  # no rerun by products
        assert_same_partition(
            _sweep.partition_sweep(net, *interval, cols),
            analysis._partition(net, *interval, cols, continuity=True),
        )


def test_intercepts_by_continuity_are_within_their_bounds_of_the_exact_ones() -> None:
    from fractions import Fraction

    net = pl.Network.random([1] + [_sweep._CONTINUITY_WIDTH] * 3 + [1], seed=1)
    out = _raw_sweep(net, -100.0, 100.0, _sweep._EVERY)
    assert out[0][0] == 0
    exact = exact_oracle(net, (-100.0, 100.0))
    assert len(exact) == out[1].size - 1
    for x, e, q in zip(out[1][1:-1], out[-1][1:-1], exact.boundaries):
        assert abs(Fraction(float(x)) - q) <= Fraction(float(e))
    # and regions takes them: the same structure as the exact path's
    assert_structures_equal(pl.regions(net, (-100.0, 100.0)), exact)


def test_a_net_left_undecided_by_continuity_is_swept_by_products() -> None:
    # continuity's looser bounds leave a piece undecided here; the products' do not, so
    # the partition is theirs, to the last bit the numpy path's
    net = pl.Network.random([1] + [512] * 4 + [1], seed=249)
    assert _raw_sweep(net, -math.inf, math.inf, _sweep._EVERY)[0][0] == 1
    assert _raw_sweep(net, -math.inf, math.inf, 1)[0][0] == 0
    cols = np.arange(1)
    swept = _sweep.partition_sweep(net, -math.inf, math.inf, cols)
    assert_same_partition(swept, analysis._partition(net, -math.inf, math.inf, cols))
    # the numpy path by continuity settles that piece exactly: the same structure
    settled = analysis._partition(net, -math.inf, math.inf, cols, continuity=True)
    for k in (3, 4):  # breakpoint flags, inactive counts
        np.testing.assert_array_equal(settled[k], swept[k])
    for u, v in zip(dense_states(settled), dense_states(swept)):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("table", [((0.0, 1.0), (0.0, 0.0)), ((0.01, 1.0), (0.0, 0.0))])
def test_compensated_crossing_maps_are_the_numpy_paths_bits(table: tuple) -> None:
    # _dot2_post against pwlinear._split._dot2 as _Before uses it, to the bit, signed
    # zeros included, on relu's table and a leaky one (every term, with its rounding;
    # the sweep takes relu's maps with their errors instead: see the next test)
    from pwlinear._split import _dot2, _product_error, _two_sum

    slopes, offsets = np.array(table[0]), np.array(table[1])
    rng = np.random.default_rng(0)

    def sample(shape: tuple) -> np.ndarray:
        # scales whose products neither overflow nor near the underflow range
        v = rng.standard_normal(shape) * rng.choice([1e-100, 1.0, 1e100], size=shape)
        v[rng.random(shape) < 0.25] = 0.0
        v[rng.random(shape) < 0.15] = -0.0
        return v

    def bits(v: object) -> np.ndarray:
        return np.asarray(v, dtype=np.float64).view(np.int64)

    for _ in range(200):
        n = int(rng.integers(1, 24))
        A, C, W, b = sample((1, n)), sample((1, n)), sample((3, n)), sample(3)
        S = rng.integers(0, 2, (1, n)).astype(np.int8)
        slope, offset = slopes[S[0]], offsets[S[0]]
        xa, xc0 = slope * A[0], slope * C[0]
        xc, sum_err = _two_sum(xc0, offset)
        xc_err = _product_error(slope, C[0], xc0) + sum_err
        for j in range(3):
            w = W[j][None, :]
            a = _dot2(xa[None], w, X_err=_product_error(slope, A[0], xa)[None])
            c_hi, c_lo = _dot2(xc[None], w, b[j : j + 1], split=True, X_err=xc_err[None])
            got = _sweep._dot2_post(A, C, 0, S, 0, slopes, offsets, W[j], b[j])
            np.testing.assert_array_equal(bits(got), bits([a[0], c_hi[0], c_lo[0]]))


@given(
    hnp.arrays(np.float64, st.tuples(st.just(2), st.integers(1, 12)), elements=FLOATS),
    st.integers(1, 10),
    st.data(),
)
def test_second_layer_maps_carry_their_rounding_errors_on_both_paths(
    X: np.ndarray, m: int, data
) -> None:
    # under relu's table the first layer's one piece has exact post-activations X (slopes,
    # intercepts) and exact switch effects: the second layer's maps on every child carry
    # the sum of their rounding errors, the same bits in the sweep and the numpy path, so
    # that they are as accurate as Dot2 of every term from the first child on
    from fractions import Fraction

    from pwlinear._split import (
        _compensated_product,
        _product,
        _running_errors,
        _sum_error,
        _two_sum,
    )

    n = X.shape[1]
    WT = data.draw(hnp.arrays(np.float64, (n, m), elements=FLOATS))
    b = data.draw(hnp.arrays(np.float64, m, elements=FLOATS))
    F, F_lo = np.empty((2, m)), np.empty((2, m))
    _sweep._compensated_product(X, WT, b, F, F_lo)
    out, lo = _compensated_product(X, WT)
    FC = out[1] + b
    expect = ([out[0], FC], [lo[0], lo[1] + _sum_error(out[1], b, FC)])
    for got, v in zip((F, F_lo), expect):
        np.testing.assert_array_equal(got.view(np.int64), np.array(v).view(np.int64))
    if m >= 8:  # summed as the plain product sums few rows
        np.testing.assert_array_equal(out, _product(X, WT))
    # then running sums along E switches of neurons i (on: +1, off: -1) of slopes ga, gc
    E = data.draw(st.integers(0, 8))
    i = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=E, max_size=E)), np.int64)
    up = np.array(data.draw(st.lists(st.booleans(), min_size=E, max_size=E)), bool)
    ga, gc = (data.draw(hnp.arrays(np.float64, E, elements=FLOATS)) for _ in range(2))
    old, new = np.where(up, 0, 1).astype(np.int64), np.where(up, 1, 0).astype(np.int64)
    slopes, offsets = np.array([0.0, 1.0]), np.zeros(2)
    A_out, C_out, C_lo = (np.empty((E + 1, m)) for _ in range(3))
    _sweep._compensated_sums(F, F_lo, ga, gc, WT, i, old, new, slopes, offsets, A_out, C_out, C_lo)
    A_ref, C_ref = np.empty((E + 1, m)), np.empty((E + 1, m))  # the plain running sums
    _sweep._running_outputs(
        F[:1], F[1:], ga, gc, WT, np.zeros(E, np.int64), i, old, new, slopes, offsets, A_ref,
        C_ref, 1, np.zeros(E + 2),
    )  # fmt: skip
    ds = np.where(up, 1.0, -1.0)
    errors = [
        _running_errors(ref, F_lo[r : r + 1], ds * g, WT[i], (ds * g)[:, None] * WT[i])
        for r, (ref, g) in enumerate(((A_ref, ga), (C_ref, gc)))
    ]
    C_hi, C_err = _two_sum(C_ref, errors[1])
    for got, v in zip((A_out, C_out, C_lo), (A_ref + errors[0], C_hi, C_err)):
        np.testing.assert_array_equal(got.view(np.int64), v.view(np.int64))
    u = 2.0**-53
    for r, (hi, lo_) in enumerate(((A_out, np.zeros_like(A_out)), (C_out, C_lo))):
        for h in range(m):
            terms = [Fraction(x) * Fraction(w) for x, w in zip(X[r], WT[:, h])]
            terms += [Fraction(b[h])] if r else []
            for row in range(E + 1):
                if row:
                    sw = row - 1  # the switch that begins this row
                    terms.append(Fraction(ds[sw] * (ga, gc)[r][sw]) * Fraction(WT[i[sw], h]))
                exact = sum(terms, Fraction(0))
                k = 2 * len(terms)
                g2 = Fraction(k * u / (1 - k * u)) ** 2
                bound = g2 * sum(abs(t) for t in terms) + Fraction(8 * k) * Fraction(2) ** -1074
                if not r:  # the slopes rounded once more
                    bound += Fraction(u) * abs(exact)
                assert abs(Fraction(hi[row, h]) + Fraction(lo_[row, h]) - exact) <= bound


@given(st.lists(st.integers(0, 5), max_size=30))
def test_longest_run_counts_the_most_switches_in_one_parent(p: list) -> None:
    p_sorted = np.sort(np.array(p, dtype=np.int64))
    expect = int(np.bincount(p_sorted).max()) if p else 0
    assert _sweep._longest_run(p_sorted) == expect
