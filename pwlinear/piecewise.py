"""Continuous piecewise-linear functions on the whole real line."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Extrema", "PiecewiseConstant", "PiecewiseLinear", "maximum", "minimum"]


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
            # relative to the function's magnitude on its knots: intercepts computed from
            # other points can cancel to nearly 0 where the function itself is not small
            scale = np.abs(s[:-1] * t) + np.abs(c[:-1]) + np.abs(s[1:] * t) + np.abs(c[1:])
            if np.any(np.abs(left - right) > 1e-9 * scale.max(initial=0.0) + 1e-300):
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

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def from_points(
        cls, xs: ArrayLike, ys: ArrayLike, left_slope: Any = 0, right_slope: Any = 0
    ) -> PiecewiseLinear:
        """The function through the points :math:`(x_i, y_i)` (``xs`` strictly increasing),
        continued with ``left_slope`` before ``xs[0]`` and ``right_slope`` after ``xs[-1]``.

        Examples
        --------
        >>> f = PiecewiseLinear.from_points([0.0, 1.0, 2.0], [0.0, 1.0, 0.0])
        >>> f([-1.0, 0.5, 3.0])
        array([0. , 0.5, 0. ])
        """
        x = _as_values(xs, "xs")
        y = _as_values(ys, "ys")
        if x.size == 0 or x.shape != y.shape:
            raise ValueError(
                f"xs and ys must be non-empty and of one length, got {x.size}, {y.size}"
            )
        ends = _as_values([left_slope, right_slope], "left_slope/right_slope")
        exact = _any_exact(x, y, ends)
        x, y, ends = (_cast(v, exact) for v in (x, y, ends))
        if x.size > 1 and not all(b > a for a, b in zip(x[:-1], x[1:])):
            raise ValueError("xs must be strictly increasing")
        inner = (y[1:] - y[:-1]) / (x[1:] - x[:-1])
        s = np.concatenate([ends[:1], inner, ends[1:]])
        c = np.concatenate(
            [y[:1] - ends[:1] * x[:1], y[:-1] - inner * x[:-1], y[-1:] - ends[1:] * x[-1:]]
        )
        return cls(x, s, c).simplify()

    @classmethod
    def from_ppoly(cls, pp: Any) -> PiecewiseLinear:
        """The function of a degree-1 (or constant) :class:`scipy.interpolate.PPoly`,
        extrapolated with its end pieces."""
        c = np.asarray(pp.c, dtype=np.float64)
        x = np.asarray(pp.x, dtype=np.float64)
        if c.ndim != 2:
            raise ValueError(f"pp must be a scalar PPoly, got coefficients of shape {c.shape}")
        if c.shape[0] > 2 and np.any(c[:-2] != 0):
            raise ValueError(f"pp must have degree at most 1, got degree {c.shape[0] - 1}")
        slope = c[-2] if c.shape[0] >= 2 else np.zeros(c.shape[1])
        value = c[-1]
        if x[0] > x[-1]:
            raise ValueError("pp must have increasing breakpoints")
        return cls(x[1:-1], slope, value - slope * x[:-1]).simplify()

    # -- exports ----------------------------------------------------------------------------

    def to_ppoly(self) -> Any:
        """A :class:`scipy.interpolate.PPoly` of degree 1 equal to ``f`` everywhere
        (its first and last intervals extrapolate the end pieces)."""
        from scipy.interpolate import PPoly

        t = self.knots.astype(np.float64)
        x = (
            np.array([0.0, 1.0])
            if t.size == 0
            else np.concatenate([[t[0] - 1.0], t, [t[-1] + 1.0]])
        )
        s = self.slopes.astype(np.float64)
        c = self.intercepts.astype(np.float64)
        return PPoly(np.stack([s, s * x[:-1] + c]), x, extrapolate=True)

    def to_sympy(self, x: Any = None) -> Any:
        """A :class:`sympy.Piecewise` in ``x`` (default the symbol ``x``); exact when ``f`` is."""
        import sympy

        x = sympy.Symbol("x") if x is None else x
        conv = (
            (lambda v: sympy.Rational(v.numerator, v.denominator)) if self.is_exact else sympy.Float
        )
        args = [
            (conv(s) * x + conv(c), x <= conv(t))
            for s, c, t in zip(self.slopes, self.intercepts, self.knots)
        ]
        args.append((conv(self.slopes[-1]) * x + conv(self.intercepts[-1]), True))
        return sympy.Piecewise(*args)

    def to_network(self) -> Any:
        """The smallest one-hidden-layer ReLU :class:`~pwlinear.Network` equal to ``f``.

        ``f`` with slope jumps :math:`\\Delta_i` at its kinks :math:`t_i` is
        :math:`c + \\sum_{i \\in R} \\Delta_i\\,\\mathrm{relu}(x - t_i) +
        \\sum_{i \\in L} \\Delta_i\\,\\mathrm{relu}(t_i - x)` whenever the left-facing
        units :math:`L` carry the left slope, :math:`\\sum_{i \\in L} -\\Delta_i = s_0`:
        width ``k``.  Otherwise one kink takes two units (width ``k + 1``), and a
        line with no kink takes two (:math:`x = \\mathrm{relu}(x) - \\mathrm{relu}(-x)`).
        Every unit has one kink, so ``k`` is a lower bound; whether ``k`` suffices
        is a subset-sum question, searched exhaustively for up to 16 kinks.

        Examples
        --------
        >>> f = PiecewiseLinear.from_points([0.0, 1.0], [0.0, 1.0], left_slope=0, right_slope=0)
        >>> f.to_network().widths
        (1, 2, 1)
        """
        from pwlinear.network import Network

        f = self.simplify()
        exact = f.is_exact
        one = Fraction(1) if exact else 1.0
        t, s = f.knots, f.slopes
        delta = s[1:] - s[:-1]
        k = t.size
        s0 = s[0]
        if k == 0:
            if s0 == 0:
                rows, shifts, w = [], [], []
            else:  # s0 x + c = s0 relu(x) - s0 relu(-x) + c
                rows, shifts, w = [one, -one], [0 * one, 0 * one], [s0, -s0]
        else:
            left = _left_facing(delta, s0)
            if left is not None:
                rows = [-one if i in left else one for i in range(k)]
                shifts = list(t)
                w = list(delta)
            else:  # kink 0 takes a left-facing unit for s0 and a right-facing one for s1
                rows = [-one, one] + [one] * (k - 1)
                shifts = [t[0], t[0], *t[1:]]
                w = [-s0, s[1], *delta[1:]]
        if not rows:
            W1 = np.zeros((1, 1), dtype=object if exact else np.float64)
            b1 = np.zeros(1, dtype=object if exact else np.float64)
            W2 = np.zeros((1, 1), dtype=object if exact else np.float64)
            bias = f.intercepts[0]
        else:
            a = np.array(rows, dtype=object if exact else np.float64)
            h = np.array(shifts, dtype=object if exact else np.float64)
            W1, b1 = a[:, None], -a * h
            W2 = np.array([w], dtype=object if exact else np.float64)
            # the constant: f(x) at a point minus the units there
            x0 = (t[0] if k else 0 * one) - one
            units = (
                np.maximum(a * (x0 - h), 0)
                if not exact
                else np.array([max(v, 0) for v in a * (x0 - h)], dtype=object)
            )
            bias = f(x0) - (W2[0] * units).sum()
        return Network([(W1, b1), (W2, np.array([bias], dtype=object if exact else np.float64))])

    # -- algebra ----------------------------------------------------------------------------

    def simplify(self) -> PiecewiseLinear:
        """The same function with collinear neighbouring pieces merged (canonical form)."""
        keep = self.slopes[1:] != self.slopes[:-1]
        if keep.all():
            return self
        sel = np.concatenate([[True], keep])
        return PiecewiseLinear(self.knots[keep], self.slopes[sel], self.intercepts[sel])

    def __add__(self, other: Any) -> Any:
        g = _coerce(other, self)
        if g is None:
            return NotImplemented
        t, (s1, c1), (s2, c2) = _refine(self, g)
        return _make(t, s1 + s2, c1 + c2)

    __radd__ = __add__

    def __neg__(self) -> PiecewiseLinear:
        return PiecewiseLinear(self.knots, -self.slopes, -self.intercepts)

    def __pos__(self) -> PiecewiseLinear:
        return self

    def __sub__(self, other: Any) -> Any:
        g = _coerce(other, self)
        return NotImplemented if g is None else self + (-g)

    def __rsub__(self, other: Any) -> Any:
        g = _coerce(other, self)
        return NotImplemented if g is None else g + (-self)

    def __mul__(self, other: Any) -> Any:
        if isinstance(other, PiecewiseLinear):
            if other.n_pieces == 1 and other.slopes[0] == 0:
                return self * other.intercepts[0]
            if self.n_pieces == 1 and self.slopes[0] == 0:
                return other * self.intercepts[0]
            raise TypeError(
                "the product of two non-constant piecewise-linear functions is piecewise "
                "quadratic, not piecewise linear"
            )
        a = _scalar(other, self.is_exact)
        if a is None:
            return NotImplemented
        if a == 0:
            return PiecewiseLinear([], [a], [a])
        return PiecewiseLinear(self.knots, self.slopes * a, self.intercepts * a)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        a = _scalar(other, self.is_exact)
        if a is None:
            return NotImplemented
        if a == 0:
            raise ZeroDivisionError("division of a PiecewiseLinear by zero")
        return self * (1 / a)

    def __abs__(self) -> PiecewiseLinear:
        return maximum(self, -self)

    def compose(self, g: PiecewiseLinear) -> PiecewiseLinear:
        """:math:`(f \\circ g)(x) = f(g(x))`, exactly."""
        if not isinstance(g, PiecewiseLinear):
            raise TypeError(f"g must be a PiecewiseLinear, got {type(g).__name__}")
        f, g = _same_kind(self, g)
        # where g crosses a knot of f, on each piece of g
        pts = [g.knots]
        for tk in f.knots:
            with np.errstate(divide="ignore", invalid="ignore"):
                nz = g.slopes != 0
                if not nz.any():
                    continue
                x = (tk - g.intercepts[nz]) / g.slopes[nz]
            lo, hi = _piece_ends(g.knots, np.flatnonzero(nz))
            pts.append(x[np.asarray((x > lo) & (x < hi), dtype=bool)])
        t = _unique(np.concatenate(pts))
        gs, gc = _on(g, t)
        mid = _interior(t)
        inner = gs * mid + gc
        fi = (
            np.searchsorted(f.knots, inner, side="left")
            if f.knots.size
            else np.zeros(mid.size, dtype=np.intp)
        )
        fs, fc = f.slopes[fi], f.intercepts[fi]
        return _make(t, fs * gs, fs * gc + fc)

    # -- calculus ---------------------------------------------------------------------------

    def derivative(self) -> PiecewiseConstant:
        """:math:`f'`, piecewise constant (the left piece's slope at a knot)."""
        return PiecewiseConstant(self.knots, self.slopes)

    def integrate(self, a: Any, b: Any) -> Any:
        """:math:`\\int_a^b f(x)\\,dx` exactly (a Fraction for an exact ``f`` and bounds)."""
        lo, hi, sign = _bounds(a, b, self.is_exact)
        t = self.knots
        edges = np.concatenate([[lo], t[(t > lo) & (t < hi)], [hi]])
        x1, x2 = edges[:-1], edges[1:]
        j = np.searchsorted(t, x1, side="right")  # the piece of f on [x1, x2]
        s, c = self.slopes[j], self.intercepts[j]
        return sign * (s * (x2 * x2 - x1 * x1) / 2 + c * (x2 - x1)).sum()

    def antiderivative(self) -> Any:
        """:math:`F(x) = \\int_{x_0}^x f`, a degree-2 :class:`scipy.interpolate.PPoly`
        (``x_0`` its first breakpoint)."""
        return self.to_ppoly().antiderivative()

    # -- analysis ---------------------------------------------------------------------------

    def roots(self) -> tuple[NDArray[Any], list[tuple[Any, ...]]]:
        """The zero set: isolated zeros, and the intervals ``(lo, hi)`` on which ``f`` is 0
        (``-inf``/``inf`` for unbounded ones).

        Examples
        --------
        >>> f = PiecewiseLinear.from_points([0.0, 1.0, 2.0], [-1.0, 0.0, 0.0], 1.0, 1.0)
        >>> f.roots()
        (array([], dtype=float64), [(1.0, 2.0)])
        """
        f = self.simplify()
        zero = np.flatnonzero((f.slopes == 0) & (f.intercepts == 0))
        z_lo, z_hi = _piece_ends(f.knots, zero)
        intervals = [
            tuple(v if isinstance(v, Fraction) else float(v) for v in ends)
            for ends in zip(z_lo, z_hi)
        ]
        nz = np.flatnonzero(f.slopes != 0)
        x = -f.intercepts[nz] / f.slopes[nz]
        lo, hi = _piece_ends(f.knots, nz)
        pts = _unique(x[np.asarray((x >= lo) & (x <= hi), dtype=bool)])
        # a zero at the end of a zero interval belongs to the interval
        in_interval = np.asarray(
            ((pts[:, None] >= z_lo[None, :]) & (pts[:, None] <= z_hi[None, :])).any(axis=1),
            dtype=bool,
        )
        return pts[~in_interval], intervals

    def extrema(self, interval: Any) -> Extrema:
        """Minimum and maximum of ``f`` on ``[a, b]`` and where they are attained
        (the leftmost point)."""
        lo, hi, _ = _bounds(interval[0], interval[1], self.is_exact)
        if lo == hi:
            raise ValueError(f"interval must satisfy lo < hi, got {interval!r}")
        t = self.knots
        pts = np.concatenate([[lo], t[(t > lo) & (t < hi)], [hi]])
        v = self(pts) if not self.is_exact else np.array([self(p) for p in pts], dtype=object)
        i_min, i_max = int(np.argmin(v)), int(np.argmax(v))
        return Extrema(v[i_min], pts[i_min], v[i_max], pts[i_max])

    def lipschitz(self) -> Any:
        """:math:`\\max_j |s_j|`, the smallest Lipschitz constant of ``f``."""
        return max(abs(v) for v in self.slopes)

    def distance(self, other: PiecewiseLinear, kind: str = "sup", interval: Any = None) -> Any:
        """:math:`\\sup|f - g|`, :math:`\\int|f - g|` or :math:`(\\int (f - g)^2)^{1/2}`
        on ``interval`` (default the whole line), with no sampling.

        ``kind`` is ``"sup"``, ``"l1"``, ``"l2"`` or ``"l2sq"`` (the square of the
        L2 distance, exact for exact functions; ``"l2"`` is its float root).  On
        the whole line a distance is ``inf`` unless ``f - g`` vanishes far out.
        """
        if not isinstance(other, PiecewiseLinear):
            raise TypeError(f"other must be a PiecewiseLinear, got {type(other).__name__}")
        if kind not in ("sup", "l1", "l2", "l2sq"):
            raise ValueError(f"kind must be 'sup', 'l1', 'l2' or 'l2sq', got {kind!r}")
        h = abs(self - other)
        if interval is None:
            outside_zero = h.slopes[0] == 0 and h.slopes[-1] == 0
            if kind == "sup":
                if not outside_zero:
                    return np.inf
                return max(h.intercepts[0], h.intercepts[-1], *h.values)
            if not (outside_zero and h.intercepts[0] == 0 and h.intercepts[-1] == 0):
                return np.inf
            if h.knots.size == 0:
                return h.intercepts[0] * 0
            interval = (h.knots[0], h.knots[-1])
        if kind == "sup":
            return h.extrema(interval).max
        if kind == "l1":
            return h.integrate(*interval)
        lo, hi, _ = _bounds(interval[0], interval[1], h.is_exact)
        t = h.knots
        edges = np.concatenate([[lo], t[(t > lo) & (t < hi)], [hi]])
        x1, x2 = edges[:-1], edges[1:]
        j = np.searchsorted(t, x1, side="right")
        s, c = h.slopes[j], h.intercepts[j]
        sq = (s * s * (x2**3 - x1**3) / 3 + s * c * (x2 * x2 - x1 * x1) + c * c * (x2 - x1)).sum()
        return sq if kind == "l2sq" else float(sq) ** 0.5

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


# -- helpers and the functions of two arguments ----------------------------------------------


def _any_exact(*arrays: NDArray[Any]) -> bool:
    return any(a.dtype == object for a in arrays)


def _cast(a: NDArray[Any], exact: bool) -> NDArray[Any]:
    if exact:
        return _to_exact(a) if a.dtype != object else a
    return a.astype(np.float64) if a.dtype == object else a


def _same_kind(f: PiecewiseLinear, g: PiecewiseLinear) -> tuple[PiecewiseLinear, PiecewiseLinear]:
    """Both exact, or both float (an exact function meets a float one in float)."""
    if f.is_exact == g.is_exact:
        return f, g

    def conv(h: PiecewiseLinear) -> PiecewiseLinear:
        return PiecewiseLinear(*(a.astype(np.float64) for a in (h.knots, h.slopes, h.intercepts)))

    return (conv(f) if f.is_exact else f), (conv(g) if g.is_exact else g)


def _scalar(v: Any, exact: bool) -> Any:
    from pwlinear._exact import is_exact_number, to_fraction

    if isinstance(v, bool) or (
        not isinstance(v, (int, float, Fraction, np.number)) and not is_exact_number(v)
    ):
        return None
    if exact and (is_exact_number(v) or isinstance(v, (float, np.floating))):
        return to_fraction(v, "scalar")
    return float(v) if not exact else to_fraction(v, "scalar")


def _coerce(other: Any, like: PiecewiseLinear) -> PiecewiseLinear | None:
    if isinstance(other, PiecewiseLinear):
        return other
    a = _scalar(other, like.is_exact)
    if a is None:
        return None
    return PiecewiseLinear([], [a * 0], [a])


def _unique(a: NDArray[Any]) -> NDArray[Any]:
    if a.dtype == object:
        return np.array(sorted(set(a.tolist())) + [None], dtype=object)[:-1]
    return np.unique(a)


def _on(f: PiecewiseLinear, t: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """Slopes and intercepts of ``f`` on the pieces cut by the sorted knots ``t``
    (each knot of ``f`` must be in ``t``)."""
    idx = (
        np.concatenate([[0], np.searchsorted(f.knots, t, side="right")])
        if f.knots.size
        else np.zeros(t.size + 1, dtype=np.intp)
    )
    return f.slopes[idx], f.intercepts[idx]


def _refine(
    f: PiecewiseLinear, g: PiecewiseLinear
) -> tuple[NDArray[Any], tuple[NDArray[Any], NDArray[Any]], tuple[NDArray[Any], NDArray[Any]]]:
    f, g = _same_kind(f, g)
    t = _unique(np.concatenate([f.knots, g.knots]))
    return t, _on(f, t), _on(g, t)


def _piece_ends(t: NDArray[Any], pieces: NDArray[np.intp]) -> tuple[NDArray[Any], NDArray[Any]]:
    """Left and right ends of the given pieces cut by the knots ``t`` (``-inf``/``inf``
    outside), of ``t``'s kind so that exact comparisons stay exact."""
    padded = np.concatenate(
        [np.array([-np.inf], dtype=t.dtype), t, np.array([np.inf], dtype=t.dtype)]
    )
    return padded[pieces], padded[pieces + 1]


def _interior(t: NDArray[Any]) -> NDArray[Any]:
    """A point inside each piece cut by the knots ``t``."""
    if t.size == 0:
        return (
            np.zeros(1, dtype=t.dtype)
            if t.dtype != object
            else np.array([Fraction(0)], dtype=object)
        )
    one = Fraction(1) if t.dtype == object else 1.0
    return np.concatenate([[t[0] - one], (t[:-1] + t[1:]) / 2, [t[-1] + one]])


def _make(t: NDArray[Any], s: NDArray[Any], c: NDArray[Any]) -> PiecewiseLinear:
    return PiecewiseLinear(t, s, c).simplify()


def _bounds(a: Any, b: Any, exact: bool) -> tuple[Any, Any, int]:
    from pwlinear._exact import to_fraction

    for v, name in ((a, "a"), (b, "b")):
        if isinstance(v, (float, np.floating)) and not np.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v!r}")
    conv = (lambda v, n: to_fraction(v, n)) if exact else (lambda v, n: float(v))
    lo, hi = conv(a, "a"), conv(b, "b")
    return (lo, hi, 1) if lo <= hi else (hi, lo, -1)


def _left_facing(delta: NDArray[Any], s0: Any) -> set[int] | None:
    """Indices L with sum(-delta[L]) == s0, or None (exhaustive for up to 16 kinks)."""
    k = delta.size
    if s0 == 0:
        return set()
    if -delta.sum() == s0:
        return set(range(k))
    for i in range(k):
        if -delta[i] == s0:
            return {i}
        if -(delta.sum() - delta[i]) == s0:
            return set(range(k)) - {i}
    if k <= 16:
        from itertools import combinations

        for r in range(2, k - 1):
            for combo in combinations(range(k), r):
                if -sum(delta[list(combo)]) == s0:
                    return set(combo)
    return None


def maximum(f: PiecewiseLinear, g: PiecewiseLinear) -> PiecewiseLinear:
    """:math:`\\max(f, g)`, with new knots where they cross.

    Examples
    --------
    >>> from pwlinear import PiecewiseLinear, maximum
    >>> x = PiecewiseLinear([], [1.0], [0.0])
    >>> maximum(x, -x).knots
    array([0.])
    """
    return _envelope(f, g, upper=True)


def minimum(f: PiecewiseLinear, g: PiecewiseLinear) -> PiecewiseLinear:
    """:math:`\\min(f, g)`, with new knots where they cross."""
    return _envelope(f, g, upper=False)


def _envelope(f: Any, g: Any, upper: bool) -> PiecewiseLinear:
    if not isinstance(f, PiecewiseLinear) or not isinstance(g, PiecewiseLinear):
        raise TypeError("maximum and minimum take two PiecewiseLinear functions")
    t, (s1, c1), (s2, c2) = _refine(f, g)
    ds, dc = s1 - s2, c1 - c2
    nz = ds != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        x = -dc[nz] / ds[nz] + 0  # + 0 turns a float -0.0 into 0.0
    lo, hi = _piece_ends(t, np.flatnonzero(nz))
    inside = x[np.asarray((x > lo) & (x < hi), dtype=bool)]
    if inside.size:
        t = _unique(np.concatenate([t, inside]))
        f2, g2 = _same_kind(f, g)
        s1, c1 = _on(f2, t)
        s2, c2 = _on(g2, t)
    mid = _interior(t)
    first = (s1 * mid + c1 >= s2 * mid + c2) if upper else (s1 * mid + c1 <= s2 * mid + c2)
    first = np.asarray(first, dtype=bool)
    return _make(t, np.where(first, s1, s2), np.where(first, c1, c2))


class PiecewiseConstant:
    """A step function :math:`f(x) = v_j` for :math:`t_{j-1} < x \\le t_j` (the left piece
    at a knot).

    Examples
    --------
    >>> d = PiecewiseLinear([0.0], [0.0, 1.0], [0.0, 0.0]).derivative()
    >>> d([-1.0, 0.0, 1.0])
    array([0., 0., 1.])
    """

    __slots__ = ("knots", "values")

    knots: NDArray[Any]
    values: NDArray[Any]

    def __init__(self, knots: ArrayLike, values: ArrayLike) -> None:
        object.__setattr__(self, "knots", _as_values(knots, "knots"))
        object.__setattr__(self, "values", _as_values(values, "values"))
        if self.values.size != self.knots.size + 1:
            raise ValueError("values must have len(knots) + 1 entries")

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __call__(self, x: ArrayLike) -> Any:
        xa = np.asarray(x, dtype=np.float64)
        return self.values.astype(np.float64)[
            np.searchsorted(self.knots.astype(np.float64), xa, side="left")
        ]

    def to_ppoly(self) -> Any:
        """A degree-0 :class:`scipy.interpolate.PPoly` (right-continuous at the knots)."""
        from scipy.interpolate import PPoly

        t = self.knots.astype(np.float64)
        x = (
            np.array([0.0, 1.0])
            if t.size == 0
            else np.concatenate([[t[0] - 1.0], t, [t[-1] + 1.0]])
        )
        return PPoly(self.values.astype(np.float64)[None, :], x, extrapolate=True)

    def __repr__(self) -> str:
        return f"PiecewiseConstant(knots={_short(self.knots)}, values={_short(self.values)})"


class Extrema(NamedTuple):
    """Minimum and maximum of a function on an interval and where they are attained."""

    min: Any
    argmin: Any
    max: Any
    argmax: Any
