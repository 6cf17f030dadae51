"""Piecewise-linear activation functions, each stated by its own knots and slopes.

An activation with knots :math:`t_0 < t_1 < \\dots < t_{k-1}` is

.. math::

    \\sigma(z) = s_j z + o_j \\quad\\text{for } t_{j-1} \\le z \\le t_j,
    \\qquad t_{-1} = -\\infty,\\ t_k = +\\infty,

continuous, so the offsets :math:`o_j` follow from the leftmost one.  A
neuron's *state* is the index ``j`` of the piece its pre-activation lies on;
at a knot the left piece is taken, so a ReLU neuron with pre-activation exactly
0 is inactive.  Every analysis in pwlinear handles all activations with this
one mechanism, custom ones included.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Activation",
    "relu",
    "leaky_relu",
    "hardtanh",
    "absolute",
    "identity",
    "get_activation",
]


def _readonly(a: NDArray[Any]) -> NDArray[Any]:
    a.flags.writeable = False
    return a


def _exact_array(values: Sequence[Any], name: str) -> NDArray[np.object_]:
    """Values as an object array of :class:`fractions.Fraction` (exactly)."""
    from pwlinear._exact import to_fraction

    return np.array([to_fraction(v, name) for v in values] + [None], dtype=object)[:-1]


class Activation:
    """A continuous piecewise-linear activation :math:`\\sigma(z) = s_j z + o_j` on piece ``j``.

    Parameters
    ----------
    knots : array_like, shape (k,)
        Strictly increasing finite points where the slope may change.
    slopes : array_like, shape (k + 1,)
        Slope on each piece, left to right.
    offset : float, default 0
        Intercept :math:`o_0` of the leftmost piece; the others follow by
        continuity.
    name : str, optional
        Name shown in ``repr``.
    active : array_like of bool, shape (k + 1,), optional
        Which pieces count as *active* in activation patterns.  Default: the
        pieces with nonzero slope.

    Examples
    --------
    >>> from pwlinear.activations import Activation
    >>> step = Activation([0.0, 1.0], [0.0, 2.0, 0.0], name="ramp")
    >>> step([-1.0, 0.5, 3.0])
    array([0., 1., 2.])
    >>> step.n_pieces
    3
    """

    __slots__ = ("knots", "slopes", "offsets", "active", "name", "_exact", "integer_slopes")

    knots: NDArray[np.float64]
    slopes: NDArray[np.float64]
    offsets: NDArray[np.float64]
    active: NDArray[np.bool_]
    name: str
    integer_slopes: tuple[NDArray[np.object_], Fraction]
    _exact: tuple[NDArray[np.object_], NDArray[np.object_], NDArray[np.object_]]

    def __init__(
        self,
        knots: ArrayLike | Sequence[Any],
        slopes: ArrayLike | Sequence[Any],
        offset: Any = 0.0,
        *,
        name: str | None = None,
        active: ArrayLike | None = None,
    ) -> None:
        knot_list = list(np.asarray(knots, dtype=object).reshape(-1))
        slope_list = list(np.asarray(slopes, dtype=object).reshape(-1))
        if len(slope_list) != len(knot_list) + 1:
            raise ValueError(
                f"slopes must have len(knots) + 1 = {len(knot_list) + 1} entries, "
                f"got {len(slope_list)}"
            )
        exact_knots = _exact_array(knot_list, "knots")
        exact_slopes = _exact_array(slope_list, "slopes")
        exact_offset = _exact_array([offset], "offset")[0]
        if any(b <= a for a, b in zip(exact_knots[:-1], exact_knots[1:])):
            raise ValueError(f"knots must be strictly increasing, got {knot_list}")
        offsets = [exact_offset]
        for j, t in enumerate(exact_knots):
            offsets.append(offsets[-1] + (exact_slopes[j] - exact_slopes[j + 1]) * t)
        exact_offsets = np.array(offsets + [None], dtype=object)[:-1]
        object.__setattr__(self, "_exact", (exact_knots, exact_slopes, exact_offsets))
        from pwlinear._exact import scaled_integers

        object.__setattr__(self, "integer_slopes", scaled_integers(exact_slopes))
        object.__setattr__(self, "knots", _readonly(exact_knots.astype(np.float64)))
        object.__setattr__(self, "slopes", _readonly(exact_slopes.astype(np.float64)))
        object.__setattr__(self, "offsets", _readonly(exact_offsets.astype(np.float64)))
        if active is None:
            act = self.slopes != 0
        else:
            act = np.asarray(active, dtype=bool).reshape(-1)
            if act.shape != self.slopes.shape:
                raise ValueError(
                    f"active must have {self.slopes.size} entries (one per piece), got {act.size}"
                )
        object.__setattr__(self, "active", _readonly(act.copy()))
        object.__setattr__(self, "name", name if name is not None else "custom")

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    @property
    def n_pieces(self) -> int:
        """Number of linear pieces, ``len(knots) + 1``."""
        return int(self.slopes.size)

    @property
    def exact(self) -> tuple[NDArray[np.object_], NDArray[np.object_], NDArray[np.object_]]:
        """``(knots, slopes, offsets)`` as exact :class:`fractions.Fraction` object arrays."""
        return self._exact  # type: ignore[no-any-return]

    @property
    def max_abs_slope(self) -> float:
        """:math:`\\max_j |s_j|`, the activation's Lipschitz constant."""
        return float(np.max(np.abs(self.slopes)))

    def state(self, z: ArrayLike) -> NDArray[np.intp]:
        """Piece index of each pre-activation ``z`` (the left piece at a knot)."""
        return np.searchsorted(self.knots, np.asarray(z, dtype=np.float64), side="left")

    def __call__(self, z: ArrayLike) -> NDArray[np.float64]:
        """Evaluate :math:`\\sigma(z)` elementwise in float64."""
        z = np.asarray(z, dtype=np.float64)
        j = self.state(z)
        out: NDArray[np.float64] = self.slopes[j] * z + self.offsets[j]
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Activation):
            return NotImplemented
        return all(
            a.shape == b.shape and bool(np.all(a == b))
            for a, b in zip(self._exact + (self.active,), other._exact + (other.active,))
        )

    def __hash__(self) -> int:
        return hash((tuple(self._exact[0]), tuple(self._exact[1]), self._exact[2][0]))

    def __repr__(self) -> str:
        return self.name


def _fmt(v: Any) -> str:
    return str(v) if isinstance(v, Fraction) else repr(v)


def relu() -> Activation:
    """:math:`\\max(z, 0)`: one knot at 0, slopes 0 and 1."""
    return Activation([0], [0, 1], name="relu")


def leaky_relu(negative_slope: Any = 0.01) -> Activation:
    """:math:`\\max(z, 0) + a \\min(z, 0)`; active means :math:`z > 0`."""
    return Activation(
        [0], [negative_slope, 1], name=f"leaky_relu({_fmt(negative_slope)})", active=[False, True]
    )


def hardtanh(min_val: Any = -1.0, max_val: Any = 1.0) -> Activation:
    """:math:`\\min(\\max(z, l), u)`; active means unsaturated, :math:`l < z \\le u`."""
    if not min_val < max_val:
        raise ValueError(f"hardtanh needs min_val < max_val, got {min_val!r} and {max_val!r}")
    return Activation(
        [min_val, max_val],
        [0, 1, 0],
        offset=min_val,
        name=f"hardtanh({_fmt(min_val)}, {_fmt(max_val)})",
    )


def absolute() -> Activation:
    """:math:`|z|`; active means :math:`z > 0`."""
    return Activation([0], [-1, 1], name="abs", active=[False, True])


def identity() -> Activation:
    """:math:`z`: no knots, so a network of identity layers is linear."""
    return Activation([], [1], name="identity")


_BY_NAME = {
    "relu": relu,
    "leaky_relu": leaky_relu,
    "hardtanh": hardtanh,
    "abs": absolute,
    "absolute": absolute,
    "identity": identity,
    "linear": identity,
}


def get_activation(spec: Any) -> Activation:
    """An :class:`Activation` from a name (``"relu"``, ``"leaky_relu"``, ...) or itself.

    Examples
    --------
    >>> get_activation("relu")
    relu
    >>> get_activation("hardtanh")
    hardtanh(-1.0, 1.0)
    """
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str):
        try:
            return _BY_NAME[spec.lower()]()
        except KeyError:
            raise ValueError(
                f"activation must be one of {sorted(_BY_NAME)} or an Activation, got {spec!r}"
            ) from None
    raise TypeError(f"activation must be a name or an Activation, got {type(spec).__name__}")
