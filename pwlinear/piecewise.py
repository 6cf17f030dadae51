"""Continuous piecewise-linear functions on the whole real line."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["PiecewiseLinear"]


def _as_values(v: ArrayLike, name: str) -> NDArray[Any]:
    """A 1-D float64 array, or an object array of Fractions when given exact numbers."""
    from pwlinear._exact import is_exact_number, to_fraction

    raw = (
        np.asarray(v, dtype=object).reshape(-1) if not isinstance(v, np.ndarray) else v.reshape(-1)
    )
    if raw.dtype == object and any(is_exact_number(e) and not isinstance(e, int) for e in raw):
        out = np.array([to_fraction(e, name) for e in raw] + [None], dtype=object)[:-1]
    else:
        try:
            out = np.asarray(v, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must hold real numbers, got {v!r}") from None
        if not np.all(np.isfinite(out)):
            raise ValueError(f"{name} must be finite, got {out[~np.isfinite(out)][0]!r}")
        out = out.copy()
    out.flags.writeable = False
    return out


class PiecewiseLinear:
    """A continuous piecewise-linear function on the whole real line.

    With knots :math:`t_0 < \\dots < t_{k-1}` (and :math:`t_{-1} = -\\infty`,
    :math:`t_k = +\\infty`),

    .. math::

        f(x) = s_j x + c_j \\qquad \\text{for } t_{j-1} \\le x \\le t_j,\\quad j = 0, \\dots, k.

    Both neighbouring pieces give the same value at a knot (continuity is
    checked on construction), and the end pieces extend to :math:`\\pm\\infty`.
    Arrays are float64, or object arrays of :class:`fractions.Fraction` for an
    exact function.

    Parameters
    ----------
    knots : array_like, shape (k,)
        Strictly increasing finite knots.
    slopes, intercepts : array_like, shape (k + 1,)
        The line on each piece, left to right.

    Examples
    --------
    >>> from pwlinear import PiecewiseLinear
    >>> f = PiecewiseLinear([0.0, 1.0], [0.0, 1.0, 2.0], [0.0, 0.0, -1.0])
    >>> f([-1.0, 0.5, 2.0])
    array([0. , 0.5, 3. ])
    >>> f.breakpoints
    array([0., 1.])
    """

    __slots__ = ("knots", "slopes", "intercepts")

    knots: NDArray[Any]
    slopes: NDArray[Any]
    intercepts: NDArray[Any]

    def __init__(self, knots: ArrayLike, slopes: ArrayLike, intercepts: ArrayLike) -> None:
        t = _as_values(knots, "knots")
        s = _as_values(slopes, "slopes")
        c = _as_values(intercepts, "intercepts")
        if s.shape != (t.size + 1,) or c.shape != (t.size + 1,):
            raise ValueError(
                f"slopes and intercepts must have len(knots) + 1 = {t.size + 1} entries, "
                f"got {s.size} and {c.size}"
            )
        if t.size > 1 and not all(b > a for a, b in zip(t[:-1], t[1:])):
            raise ValueError("knots must be strictly increasing")
        exact = t.dtype == object or s.dtype == object or c.dtype == object
        if exact:
            t, s, c = (_to_exact(a) for a in (t, s, c))
            jump = s[:-1] * t + c[:-1] - (s[1:] * t + c[1:])
            if any(j != 0 for j in jump):
                raise ValueError("the pieces must meet at every knot (f must be continuous)")
        else:
            left = s[:-1] * t + c[:-1]
            right = s[1:] * t + c[1:]
            scale = np.abs(s[:-1] * t) + np.abs(c[:-1]) + np.abs(s[1:] * t) + np.abs(c[1:])
            if np.any(np.abs(left - right) > 1e-9 * scale + 1e-300):
                raise ValueError("the pieces must meet at every knot (f must be continuous)")
        object.__setattr__(self, "knots", t)
        object.__setattr__(self, "slopes", s)
        object.__setattr__(self, "intercepts", c)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    @property
    def is_exact(self) -> bool:
        """True when the arrays hold exact :class:`~fractions.Fraction` values."""
        return self.knots.dtype == object or self.slopes.dtype == object

    @property
    def n_pieces(self) -> int:
        """Number of linear pieces, ``len(knots) + 1``."""
        return int(self.slopes.size)

    @property
    def breakpoints(self) -> NDArray[Any]:
        """The knots where the slope actually changes."""
        out: NDArray[Any] = self.knots[self.slopes[1:] != self.slopes[:-1]]
        return out

    @property
    def values(self) -> NDArray[Any]:
        """:math:`f` at the knots."""
        out: NDArray[Any] = self.slopes[:-1] * self.knots + self.intercepts[:-1]
        return out

    def __call__(self, x: ArrayLike) -> Any:
        """Evaluate :math:`f(x)`; exactly for a Fraction or int ``x`` when ``f`` is exact."""
        if self.is_exact and isinstance(x, (Fraction, int)) and not isinstance(x, bool):
            j = int(np.searchsorted(self.knots, x, side="left"))
            return self.slopes[j] * x + self.intercepts[j]
        xa = np.asarray(x, dtype=np.float64)
        knots = self.knots.astype(np.float64)
        j = np.searchsorted(knots, xa, side="left")
        return self.slopes.astype(np.float64)[j] * xa + self.intercepts.astype(np.float64)[j]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PiecewiseLinear):
            return NotImplemented
        return all(
            a.shape == b.shape and bool(np.all(a == b))
            for a, b in (
                (self.knots, other.knots),
                (self.slopes, other.slopes),
                (self.intercepts, other.intercepts),
            )
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        kind = ", exact" if self.is_exact else ""
        return f"PiecewiseLinear(n_pieces={self.n_pieces}, knots={_short(self.knots)}{kind})"


def _to_exact(a: NDArray[Any]) -> NDArray[np.object_]:
    from pwlinear._exact import to_fraction

    out = np.array([to_fraction(v) for v in a] + [None], dtype=object)[:-1]
    out.flags.writeable = False
    return out


def _short(a: NDArray[Any]) -> str:
    items = [str(v) for v in a[:6]]
    if a.size > 6:
        items.append("...")
    return "[" + ", ".join(items) + "]"
