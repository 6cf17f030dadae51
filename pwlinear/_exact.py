"""Exact rational values: every finite float64 is the dyadic rational ``m * 2**e``."""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import Any

__all__ = ["to_fraction", "to_float", "is_exact_number"]


def _coprime_maker() -> Any:
    """``make(n, d)``: the Fraction ``n/d`` for coprime ints with ``d > 0``, without the
    gcd and the argument checks of ``Fraction(n, d)`` (about 6x faster): Python 3.12's
    ``Fraction._from_coprime_ints``, or on 3.11 what it does, checked once here and
    replaced by ``Fraction`` itself if that check fails."""
    make = getattr(Fraction, "_from_coprime_ints", None)
    if make is None:

        def make(n: int, d: int) -> Fraction:
            f = object.__new__(Fraction)
            f._numerator, f._denominator = n, d  # type: ignore[attr-defined]
            return f

    try:
        ok = all(
            make(n, d) == Fraction(n, d) and hash(make(n, d)) == hash(Fraction(n, d))
            for n, d in ((3, 4), (-7, 2), (0, 1), (2**80 + 1, 3))
        )
    except Exception:  # pragma: no cover - a Fraction without those slots
        ok = False
    return make if ok else Fraction


_make = _coprime_maker()


def dyadic_fractions(ints: Any, num: int, den: int) -> list[Fraction]:
    """The Fractions ``v * num / den`` of the ints ``ints`` (a list or an object array),
    for ``num/den`` in lowest terms.  Where ``den`` is a power of two (every float scale)
    lowest terms only strip common powers of two, read off the trailing zeros; else one
    gcd each.

    >>> dyadic_fractions([12, -3, 0], 1, 8)
    [Fraction(3, 2), Fraction(-3, 8), Fraction(0, 1)]
    """
    make, out = _make, []
    values = ints.tolist() if hasattr(ints, "tolist") else list(ints)
    if num != 1:
        values = [v * num for v in values]
    if den & (den - 1):  # not a power of two
        gcd = math.gcd
        for n in values:
            g = gcd(n, den)
            out.append(make(n // g, den // g))
        return out
    e = den.bit_length() - 1
    for n in values:
        if n:
            s = (n & -n).bit_length() - 1
            if s > e:
                s = e
            out.append(make(n >> s, den >> s))
        else:
            out.append(make(0, 1))
    return out


def ratios(num: Any, den: Any, rn: int = 1, rd: int = 1) -> list[Fraction]:
    """The Fractions ``(rn * x) / (rd * y)`` of the ints ``x`` in ``num`` and the nonzero
    ints ``y`` in ``den`` (lists or object arrays), one gcd each.

    >>> ratios([6, 1], [-4, 3], 1, 2)
    [Fraction(-3, 4), Fraction(1, 6)]
    """
    make, gcd, out = _make, math.gcd, []
    xs = num.tolist() if hasattr(num, "tolist") else list(num)
    ys = den.tolist() if hasattr(den, "tolist") else list(den)
    if rn != 1:
        xs = [rn * x for x in xs]
    if rd != 1:
        ys = [rd * y for y in ys]
    for n, d in zip(xs, ys):
        if d < 0:
            n, d = -n, -d
        g = gcd(n, d)
        out.append(make(n // g, d // g) if g != 1 else make(n, d))
    return out


def to_float(v: Any) -> float:
    """``float(v)`` correctly rounded, with overflow to ``±inf`` instead of an error.

    >>> to_float(Fraction(1, 3)), to_float(-(10**400))
    (0.3333333333333333, -inf)
    """
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def is_exact_number(v: Any) -> bool:
    """True for ints, :class:`~fractions.Fraction` and sympy rationals (not floats)."""
    if isinstance(v, bool):
        return False
    if isinstance(v, (numbers.Integral, Fraction)):
        return True
    mod = type(v).__module__
    return mod.startswith("sympy") and bool(getattr(v, "is_Rational", False))


def to_fraction(v: Any, name: str = "value") -> Fraction:
    """``v`` as an exact :class:`~fractions.Fraction`.

    Floats are taken at their exact binary value, so ``to_fraction(0.1)`` is
    ``3602879701896397/36028797018963968``, not ``1/10``.

    Examples
    --------
    >>> to_fraction(0.5), to_fraction(3), to_fraction(Fraction(1, 3))
    (Fraction(1, 2), Fraction(3, 1), Fraction(1, 3))
    >>> to_fraction(float("nan"), "weights")
    Traceback (most recent call last):
    ...
    ValueError: weights must be finite, got nan
    """
    if isinstance(v, Fraction):
        return v
    if isinstance(v, bool):
        raise TypeError(f"{name} must be a number, got bool {v!r}")
    if isinstance(v, numbers.Integral):
        return Fraction(int(v))
    if isinstance(v, numbers.Real) and not is_exact_number(v):
        f = float(v)
        if not math.isfinite(f):
            raise ValueError(f"{name} must be finite, got {f!r}")
        return Fraction(f)
    if type(v).__module__.startswith("sympy"):
        if getattr(v, "is_Rational", False):
            return Fraction(int(v.p), int(v.q))
        if getattr(v, "is_Float", False):
            return to_fraction(float(v), name)
        raise TypeError(f"{name} must be a rational number, got sympy {v!r}")
    if isinstance(v, numbers.Rational):
        return Fraction(int(v.numerator), int(v.denominator))
    raise TypeError(f"{name} must be a real number, got {type(v).__name__} {v!r}")


def scaled_integers(values: Any) -> tuple[Any, Fraction]:
    """Exact values as ``(ints, scale)`` with ``values == ints * scale``.

    ``ints`` is an object array of Python ints and ``scale`` a positive
    Fraction; float64 weights are dyadic, so the scale is a power of two and
    exact products of weights stay integers instead of growing Fractions.

    Examples
    --------
    >>> import numpy as np
    >>> ints, scale = scaled_integers(np.array([0.5, 1.5, -2.0]))
    >>> list(ints), scale
    ([1, 3, -4], Fraction(1, 2))
    """
    import numpy as np

    arr = np.asarray(values, dtype=object)
    flat = [to_fraction(v) for v in arr.reshape(-1)]
    den = 1
    for f in flat:
        den = den * f.denominator // math.gcd(den, f.denominator)
    nums = [f.numerator * (den // f.denominator) for f in flat]
    g = 0
    for n in nums:
        g = math.gcd(g, n)
    g = g or 1
    ints = np.empty(arr.shape, dtype=object)
    ints.reshape(-1)[:] = [n // g for n in nums] if flat else []
    return ints, Fraction(g, den)
