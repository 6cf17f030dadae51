"""Exact rational values: every finite float64 is the dyadic rational ``m * 2**e``."""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import Any

__all__ = ["to_fraction", "to_float", "is_exact_number"]


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
