"""Hypothesis strategies for piecewise-linear functions and networks, for your own tests.

Needs ``hypothesis`` (in the ``test`` extra).

Examples
--------
>>> from hypothesis import given
>>> from pwlinear.testing import piecewise_linear
>>> @given(piecewise_linear(exact=True))
... def test_double(f):
...     assert 2 * f == f + f
>>> test_double()
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

from pwlinear.network import Network
from pwlinear.piecewise import PiecewiseLinear

__all__ = ["networks", "piecewise_linear"]


def _numbers(exact: bool, lo: int = -8, hi: int = 8) -> st.SearchStrategy[Any]:
    if exact:
        return st.fractions(min_value=lo, max_value=hi, max_denominator=16)
    return st.integers(4 * lo, 4 * hi).map(lambda v: v / 4)  # dyadic floats: exact sums


@st.composite
def piecewise_linear(draw: st.DrawFn, max_knots: int = 6, exact: bool = False) -> PiecewiseLinear:
    """Continuous piecewise-linear functions with up to ``max_knots`` knots, from points
    and end slopes (Fractions when ``exact``, else dyadic floats)."""
    k = draw(st.integers(0, max_knots))
    xs = sorted(set(draw(st.lists(_numbers(exact), min_size=k, max_size=k))))
    if not xs:
        s = draw(_numbers(exact))
        c = draw(_numbers(exact))
        return PiecewiseLinear([], [s], [c])
    ys = [draw(_numbers(exact)) for _ in xs]
    left, right = draw(_numbers(exact)), draw(_numbers(exact))
    return PiecewiseLinear.from_points(
        np.array(xs, dtype=object) if exact else np.array(xs),
        np.array(ys, dtype=object) if exact else np.array(ys),
        Fraction(left) if exact else left,
        Fraction(right) if exact else right,
    )


@st.composite
def networks(draw: st.DrawFn, max_depth: int = 3, max_width: int = 6) -> Network:
    """Small scalar-input ReLU networks with dyadic weights (many coincident switches)."""
    depth = draw(st.integers(1, max_depth))
    widths = [1] + [draw(st.integers(1, max_width)) for _ in range(depth)] + [1]
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        W = np.array([[draw(_numbers(False, -2, 2)) for _ in range(n_in)] for _ in range(n_out)])
        b = np.array([draw(_numbers(False, -2, 2)) for _ in range(n_out)])
        layers.append((W, b))
    return Network(layers)
