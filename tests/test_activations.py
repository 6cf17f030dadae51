"""Activations: each stated by knots and slopes, checked against its textbook definition."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pwlinear as pl

Z = np.array([-1e6, -3.0, -1.0, -0.5, -1e-300, 0.0, 1e-300, 0.25, 0.5, 1.0, 2.0, 7.5, 3e7])


@pytest.mark.parametrize(
    ("act", "reference"),
    [
        (pl.relu(), lambda z: np.maximum(z, 0.0)),
        (pl.leaky_relu(0.1), lambda z: np.where(z > 0, z, 0.1 * z)),
        (pl.leaky_relu(), lambda z: np.where(z > 0, z, 0.01 * z)),
        (pl.leaky_relu(-2.0), lambda z: np.where(z > 0, z, -2.0 * z)),
        (pl.hardtanh(), lambda z: np.clip(z, -1.0, 1.0)),
        (pl.hardtanh(-0.5, 2.0), lambda z: np.clip(z, -0.5, 2.0)),
        (pl.absolute(), np.abs),
        (pl.identity(), lambda z: z),
    ],
    ids=lambda v: repr(v) if isinstance(v, pl.Activation) else "",
)
def test_values_match_definitions(act: pl.Activation, reference: Any) -> None:
    np.testing.assert_array_equal(act(Z), reference(Z))
    assert act(Z).dtype == np.float64


@pytest.mark.parametrize(
    ("act", "knots", "slopes", "active"),
    [
        (pl.relu(), [0.0], [0.0, 1.0], [False, True]),
        (pl.leaky_relu(0.2), [0.0], [0.2, 1.0], [False, True]),
        (pl.hardtanh(-1.0, 3.0), [-1.0, 3.0], [0.0, 1.0, 0.0], [False, True, False]),
        (pl.absolute(), [0.0], [-1.0, 1.0], [False, True]),
        (pl.identity(), [], [1.0], [True]),
    ],
)
def test_knots_slopes_active(
    act: pl.Activation, knots: list[float], slopes: list[float], active: list[bool]
) -> None:
    np.testing.assert_array_equal(act.knots, knots)
    np.testing.assert_array_equal(act.slopes, slopes)
    np.testing.assert_array_equal(act.active, active)
    assert act.n_pieces == len(slopes)


def test_state_takes_the_left_piece_at_a_knot() -> None:
    np.testing.assert_array_equal(pl.relu().state([-1.0, 0.0, 1e-300, 2.0]), [0, 0, 1, 1])
    np.testing.assert_array_equal(pl.hardtanh().state([-2.0, -1.0, 0.0, 1.0, 1.5]), [0, 0, 1, 1, 2])
    np.testing.assert_array_equal(pl.identity().state([-5.0, 0.0, 5.0]), [0, 0, 0])


@given(
    st.lists(st.integers(-20, 20), min_size=0, max_size=5, unique=True),
    st.data(),
)
def test_custom_activation_is_continuous_with_given_slopes(
    knots_i: list[int], data: st.DataObject
) -> None:
    knots = sorted(k / 4 for k in knots_i)
    slopes = data.draw(
        st.lists(
            st.sampled_from([-2.0, -0.5, 0.0, 0.25, 1.0, 3.0]),
            min_size=len(knots) + 1,
            max_size=len(knots) + 1,
        )
    )
    offset = data.draw(st.sampled_from([0.0, 1.5, -2.0]))
    act = pl.Activation(knots, slopes, offset)
    # sigma(z) = s_0 z + o_0 + sum_j (s_{j+1} - s_j) relu(z - t_j), written independently
    z = np.linspace(-8, 8, 129)
    ref = slopes[0] * z + offset
    for j, t in enumerate(knots):
        ref = ref + (slopes[j + 1] - slopes[j]) * np.maximum(z - t, 0.0)
    np.testing.assert_allclose(act(z), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(act.active, np.array(slopes) != 0)  # default: nonzero slope
    np.testing.assert_array_equal(act.state(z), [sum(1 for t in knots if t < v) for v in z])
    assert act.n_pieces == len(knots) + 1


def test_custom_activation_active_and_name() -> None:
    act = pl.Activation([0.0, 1.0], [0.0, 2.0, 0.0], name="ramp", active=[False, True, True])
    assert repr(act) == "ramp"
    np.testing.assert_array_equal(act.active, [False, True, True])
    np.testing.assert_array_equal(act([-1.0, 0.5, 3.0]), [0.0, 1.0, 2.0])
    assert repr(pl.Activation([0.0], [0.0, 1.0])) == "custom"


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"knots": [0.0], "slopes": [1.0]}, ValueError, r"slopes.*2.*got 1"),
        ({"knots": [0.0, 1.0], "slopes": [1.0, 0.0, 1.0, 2.0]}, ValueError, r"slopes.*3.*got 4"),
        (
            {"knots": [1.0, 0.0], "slopes": [1.0, 0.0, 1.0]},
            ValueError,
            r"knots.*increasing.*1\.0, 0\.0",
        ),
        ({"knots": [1.0, 1.0], "slopes": [1.0, 0.0, 1.0]}, ValueError, r"knots.*increasing"),
        ({"knots": [0.0], "slopes": [0.0, 1.0], "active": [True]}, ValueError, r"active.*2.*got 1"),
        ({"knots": [float("nan")], "slopes": [0.0, 1.0]}, ValueError, r"knots.*nan"),
        ({"knots": [0.0], "slopes": [0.0, float("inf")]}, ValueError, r"slopes.*inf"),
        (
            {"knots": [0.0], "slopes": [0.0, 1.0], "offset": float("nan")},
            ValueError,
            r"offset.*nan",
        ),
    ],
)
def test_bad_custom_activation(kwargs: dict[str, Any], exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        pl.Activation(**kwargs)


def test_bad_hardtanh() -> None:
    with pytest.raises(ValueError, match=r"min_val.*2\.0.*1\.0"):
        pl.hardtanh(2.0, 1.0)
    with pytest.raises(ValueError, match=r"min_val"):
        pl.hardtanh(1.0, 1.0)


def test_get_activation() -> None:
    assert pl.get_activation("relu") == pl.relu()
    assert pl.get_activation("ReLU") == pl.relu()
    assert pl.get_activation("abs") == pl.absolute()
    assert pl.get_activation("identity") == pl.identity()
    custom = pl.Activation([0.0], [0.5, 1.0])
    assert pl.get_activation(custom) is custom
    with pytest.raises(ValueError, match=r"activation.*'swish'"):
        pl.get_activation("swish")
    with pytest.raises(TypeError, match=r"activation.*int"):
        pl.get_activation(3)


def test_activations_are_immutable() -> None:
    act = pl.hardtanh()
    for arr in (act.knots, act.slopes, act.offsets, act.active):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 5
    with pytest.raises(AttributeError):
        act.name = "other"  # type: ignore[misc]
    # the caller's arrays are copied
    knots = np.array([0.0, 1.0])
    slopes = np.array([0.0, 1.0, 0.0])
    mine = pl.Activation(knots, slopes)
    knots[0], slopes[1] = -5.0, 9.0
    np.testing.assert_array_equal(mine.knots, [0.0, 1.0])
    np.testing.assert_array_equal(mine.slopes, [0.0, 1.0, 0.0])


def test_repr_and_equality() -> None:
    assert repr(pl.relu()) == "relu"
    assert repr(pl.absolute()) == "abs"
    assert repr(pl.identity()) == "identity"
    assert "leaky_relu" in repr(pl.leaky_relu(0.1)) and "0.1" in repr(pl.leaky_relu(0.1))
    assert "hardtanh" in repr(pl.hardtanh(-2.0, 3.0)) and "3.0" in repr(pl.hardtanh(-2.0, 3.0))
    assert pl.leaky_relu(0.1) == pl.leaky_relu(0.1)
    assert pl.leaky_relu(0.1) != pl.leaky_relu(0.2)
    assert pl.relu() != pl.absolute()
    assert pl.leaky_relu(0.0) == pl.relu()  # the same knots, slopes and active pieces
    assert hash(pl.relu()) == hash(pl.relu())
