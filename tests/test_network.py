"""Networks: construction, validation, the forward pass, immutability and repr."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pwlinear as pl

ACTS: dict[str, Any] = {
    "relu": lambda z: np.maximum(z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "hardtanh": lambda z: np.clip(z, -1.0, 1.0),
    "abs": np.abs,
    "identity": lambda z: z,
}


def dense_forward(
    layers: list[tuple[np.ndarray, np.ndarray]], acts: list[str], x: np.ndarray
) -> np.ndarray:
    """A plain numpy forward pass; x of shape (n,), result (n, n_out)."""
    h = x[:, None]
    for i, (W, b) in enumerate(layers):
        h = h @ W.T + b
        if i < len(layers) - 1:
            h = ACTS[acts[i]](h)
    return h


@given(
    st.lists(st.integers(1, 6), min_size=0, max_size=4),
    st.integers(1, 3),
    st.integers(0, 2**32 - 1),
    st.data(),
)
def test_forward_matches_dense_numpy(
    hidden: list[int], n_out: int, seed: int, data: st.DataObject
) -> None:
    widths = [1, *hidden, n_out]
    rng = np.random.default_rng(seed)
    layers = [
        (rng.normal(size=(o, i)), rng.normal(size=o)) for i, o in zip(widths[:-1], widths[1:])
    ]
    acts = [data.draw(st.sampled_from(sorted(ACTS))) for _ in hidden]
    net = pl.Network(layers, acts)
    x = np.linspace(-4, 4, 33)
    expected = dense_forward(layers, acts, x)
    y = net(x)
    assert y.dtype == np.float64
    if n_out == 1:
        assert y.shape == (33,)
        np.testing.assert_allclose(y, expected[:, 0], rtol=1e-12, atol=1e-12)
    else:
        assert y.shape == (33, n_out)
        np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    # a scalar and nested shapes broadcast
    assert np.shape(net(0.5)) == (() if n_out == 1 else (n_out,))
    assert np.shape(net(np.zeros((2, 3)))) == ((2, 3) if n_out == 1 else (2, 3, n_out))


def test_one_activation_for_every_hidden_layer_or_a_list() -> None:
    layers = [([[1.0]], [0.0]), ([[1.0]], [0.0]), ([[1.0]], [0.0])]
    assert pl.Network(layers, "abs").activations == (pl.absolute(), pl.absolute())
    mixed = pl.Network(layers, ["relu", pl.hardtanh(-2.0, 2.0)])
    assert mixed.activations == (pl.relu(), pl.hardtanh(-2.0, 2.0))
    np.testing.assert_array_equal(mixed([-3.0, 1.0, 5.0]), [0.0, 1.0, 2.0])
    assert pl.Network(layers).activations == (pl.relu(), pl.relu())  # default relu
    custom = pl.Activation([0.0], [0.5, 2.0], name="bent")
    assert pl.Network(layers, custom).activations == (custom, custom)


def test_widths_and_properties() -> None:
    net = pl.Network.random([1, 5, 3, 2], seed=1)
    assert net.widths == (1, 5, 3, 2)
    assert net.hidden_widths == (5, 3)
    assert net.n_inputs == 1 and net.n_outputs == 2
    assert len(net) == 3
    assert [W.shape for W, _ in net] == [(5, 1), (3, 5), (2, 3)]
    assert all(W.dtype == np.float64 and b.dtype == np.float64 for W, b in net.layers)


def test_random_is_seeded_he_normal() -> None:
    a = pl.Network.random([1, 400, 300, 1], seed=7)
    b = pl.Network.random([1, 400, 300, 1], seed=7)
    c = pl.Network.random([1, 400, 300, 1], seed=8)
    assert a == b and a != c
    W2 = a.layers[1][0]
    assert abs(W2.std() - math.sqrt(2.0 / 400)) < 0.05 * math.sqrt(2.0 / 400)
    assert abs(W2.mean()) < 0.01
    assert abs(np.concatenate([bb for _, bb in a.layers]).std() - 1.0) < 0.1
    z = pl.Network.random([1, 50, 1], seed=0, bias_std=0.0)
    assert all(np.all(bb == 0) for _, bb in z.layers)
    assert pl.Network.random([1, 3, 1], seed=0, activation="abs").activations == (pl.absolute(),)


@pytest.mark.parametrize(
    ("widths", "kwargs", "match"),
    [
        ([1], {}, r"widths.*\[1\]"),
        ([1, 0, 1], {}, r"widths.*\[1, 0, 1\]"),
        ([1, 2.5, 1], {}, r"widths.*2\.5"),
        ([1, 3, 1], {"bias_std": -1.0}, r"bias_std.*-1\.0"),
        ([1, 3, 1], {"bias_std": math.nan}, r"bias_std.*nan"),
    ],
)
def test_random_bad_arguments(widths: list[Any], kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        pl.Network.random(widths, **kwargs)


def test_shifted_relus_forward() -> None:
    w, h, c = [1.5, -2.0, 0.5], [-1.0, 0.25, 3.0], 0.75
    net = pl.shifted_relus(w, h, c)
    assert net.widths == (1, 3, 1)
    x = np.linspace(-5, 5, 101)
    expected = c + sum(wi * np.maximum(x - hi, 0.0) for wi, hi in zip(w, h))
    np.testing.assert_allclose(net(x), expected, rtol=1e-14, atol=1e-14)
    np.testing.assert_array_equal(pl.shifted_relus([2.0], [1.0])(np.array([0.0, 3.0])), [0.0, 4.0])


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        (([1.0, 2.0], [0.0]), ValueError, r"weights and shifts.*2 and 1"),
        (([[1.0]], [[0.0]]), ValueError, r"weights and shifts.*1-D"),
        (([], []), ValueError, r"empty"),
        (([1.0], [math.nan]), ValueError, r"nan"),
        (([math.inf], [0.0]), ValueError, r"inf"),
    ],
)
def test_shifted_relus_bad_input(args: tuple[Any, Any], exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        pl.shifted_relus(*args)


def test_shifted_relus_bad_bias() -> None:
    with pytest.raises(ValueError, match=r"bias.*nan"):
        pl.shifted_relus([1.0], [0.0], math.nan)


OK = ([[1.0]], [0.0])


@pytest.mark.parametrize(
    ("layers", "activation", "exc", "match"),
    [
        ([], "relu", ValueError, r"layers.*empty"),
        (5, "relu", TypeError, r"layers.*int"),
        ([([[1.0], [1.0, 2.0]], [0.0, 0.0])], "relu", ValueError, r"layers\[0\] weight W"),
        ([OK, ([[1.0]], [[0.0], [1.0, 2.0]])], "relu", ValueError, r"layers\[1\] bias b"),
        ([([1.0], [0.0])], "relu", ValueError, r"layers\[0\] weight W.*2-D.*\(1,\)"),
        ([([[1.0]], [[0.0]])], "relu", ValueError, r"layers\[0\] bias b.*1-D.*\(1, 1\)"),
        ([([[1.0]], [0.0, 1.0])], "relu", ValueError, r"layers\[0\] bias b.*\(1,\).*\(2,\)"),
        (
            [([[1.0], [2.0]], [0.0, 0.0]), ([[1.0, 2.0, 3.0]], [0.0])],
            "relu",
            ValueError,
            r"layers\[1\] weight W.*3 input columns.*2",
        ),
        ([([[math.nan]], [0.0])], "relu", ValueError, r"layers\[0\] weight W.*finite.*nan"),
        ([OK, ([[math.inf]], [0.0])], "relu", ValueError, r"layers\[1\] weight W.*finite.*inf"),
        ([OK, ([[1.0]], [-math.inf])], "relu", ValueError, r"layers\[1\] bias b.*finite.*inf"),
        ([([[10**400]], [0.0])], "relu", ValueError, r"layers\[0\] weight W.*float64.*1e400"),
        (
            [OK, ([[1.0]], [-Fraction(10**999, 3)])],
            "relu",
            ValueError,
            r"layers\[1\] bias b.*float64 range.*1e999",
        ),
        ([(np.zeros((0, 1)), np.zeros(0))], "relu", ValueError, r"layers\[0\] weight W.*empty"),
        ([([["a"]], [0.0])], "relu", TypeError, r"layers\[0\] weight W.*real"),
        ([([[1j]], [0.0])], "relu", TypeError, r"layers\[0\] weight W.*real"),
        ([([[1.0]], [0.0], [1.0])], "relu", TypeError, r"layers\[0\].*\(W, b\) pair"),
        ([OK, OK], "swish", ValueError, r"activation.*'swish'"),
        ([OK, OK], 3, TypeError, r"activation.*int"),
        ([OK, OK, OK], ["relu"], ValueError, r"activation.*2.*got 1"),
        ([OK, OK], ["relu", "relu"], ValueError, r"activation.*1.*got 2"),
        ([OK, OK, OK], ["relu", "gelu"], ValueError, r"activation.*'gelu'"),
    ],
)
def test_bad_network(layers: Any, activation: Any, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        pl.Network(layers, activation)


def test_network_is_immutable() -> None:
    W1 = np.array([[1.0], [2.0]])
    b1 = np.array([0.0, -1.0])
    net = pl.Network([(W1, b1), ([[1.0, 1.0]], [0.0])])
    for W, b in net.layers:
        with pytest.raises(ValueError, match="read-only"):
            W[0, 0] = 5.0
        with pytest.raises(ValueError, match="read-only"):
            b[0] = 5.0
    with pytest.raises(AttributeError):
        net.layers = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        net.anything = 1  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        net.layers[0] = (W1, b1)  # type: ignore[index]
    # later changes to the caller's arrays do not reach the network
    before = net(np.array([-1.0, 0.5, 2.0]))
    W1[0, 0], b1[1] = -7.0, 9.0
    np.testing.assert_array_equal(net(np.array([-1.0, 0.5, 2.0])), before)
    with pytest.raises(TypeError):
        hash(net)


def test_repr_shows_widths_and_activations() -> None:
    net = pl.Network.random([1, 4, 3, 1], seed=0)
    assert repr(net) == "Network(widths=[1, 4, 3, 1], activations=[relu, relu])"
    mixed = pl.Network(
        [([[1.0]], [0.0]), ([[1.0]], [0.0]), ([[1.0]], [0.0]), ([[1.0]], [0.0])],
        ["abs", pl.leaky_relu(0.2), pl.hardtanh(-2.0, 2.0)],
    )
    text = repr(mixed)
    assert text.startswith(
        "Network(widths=[1, 1, 1, 1, 1], activations=[abs, leaky_relu(0.2), hardtanh("
    )
    assert repr(pl.Network([([[2.0]], [1.0])])) == "Network(widths=[1, 1], activations=[])"
    assert "widths=[1, 3, 1]" in repr(pl.shifted_relus([1.0, 2.0, 3.0], [0.0, 1.0, 2.0]))


def test_equality_and_lists() -> None:
    layers = [([[1.0], [-1.0]], [0.0, 1.0]), ([[1.0, 2.0]], [0.5])]
    a = pl.Network(layers)
    b = pl.Network([(np.array(W), np.array(bb)) for W, bb in layers])
    assert a == b
    assert a != pl.Network(layers, "abs")
    assert pl.as_network(layers) == a
    assert pl.as_network(a) is a
    assert pl.Network(tuple(layers)) == a
    assert pl.Network([(np.array([[1]]), np.array([0]))]).layers[0][0].dtype == np.float64
    with pytest.raises(TypeError, match=r"net.*str"):
        pl.as_network("relu")
    with pytest.raises(TypeError, match=r"layers.*Network"):
        pl.Network(a)  # type: ignore[arg-type]


def test_forward_rejects_wrong_input_width_for_vector_input() -> None:
    net = pl.Network([(np.ones((2, 2)), np.zeros(2)), (np.ones((1, 2)), np.zeros(1))])
    assert net(np.ones((4, 2))).shape == (4,)
    with pytest.raises(ValueError, match=r"x.*\(\.\.\., 2\)"):
        net(np.ones((4, 3)))
