"""Exact rational values: every finite float64 is the dyadic rational ``m * 2**e``."""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import Any

__all__ = ["to_fraction", "is_exact_number"]


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


def int_matmul(a: Any, b: Any) -> Any:
    """Exact ``a @ b`` for object arrays of Python ints, with float64 BLAS products.

    Each integer is split into signed limbs of ``bits`` bits, small enough that
    every limb product summed over the inner dimension is exact in float64
    (:math:`2^{2 \\cdot bits} k < 2^{53}`); the limb products are then recombined
    in integers.  Same result as ``a.dot(b)``, several times faster.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[2**80 + 1, -3]], dtype=object)
    >>> b = np.array([[5], [2**70]], dtype=object)
    >>> int_matmul(a, b)[0, 0] == (2**80 + 1) * 5 - 3 * 2**70
    True
    """
    import numpy as np

    k = a.shape[1]
    if a.size == 0 or b.size == 0:
        return np.zeros((a.shape[0], b.shape[1]), dtype=object) + 0
    if a.shape[0] * k * b.shape[1] <= 50_000:  # small products: Python ints directly
        return a.dot(b)
    bits = (53 - math.ceil(math.log2(k + 1))) // 2
    limbs_a, limbs_b = _limbs(a, bits), _limbs(b, bits)
    diagonals: dict[int, Any] = {}
    for i, la in enumerate(limbs_a):
        for j, lb in enumerate(limbs_b):
            m = (la @ lb).astype(np.int64)
            diagonals[i + j] = diagonals[i + j] + m if i + j in diagonals else m
    out: Any = None
    prev = 0
    for d in sorted(diagonals, reverse=True):  # Horner in 2**bits
        term = diagonals[d].astype(object)
        out = term if out is None else out * (1 << (bits * (prev - d))) + term
        prev = d
    return out * (1 << (bits * prev)) if prev else out


def _limbs(x: Any, bits: int) -> list[Any]:
    """Signed float64 limbs ``L_i`` with ``x == sum(L_i * 2**(bits * i))``, ``|L_i| < 2**bits``.

    The magnitudes are read once as little-endian 64-bit words; each limb is then cut from
    one or two words with numpy shifts (no per-limb Python integer arithmetic).
    """
    import numpy as np

    flat = x.reshape(-1)
    sign = (x > 0).astype(np.float64) - (x < 0).astype(np.float64)
    mags = [abs(int(v)) for v in flat]
    top = max(mags, default=0).bit_length()
    n_limbs = max(1, -(-top // bits))
    n_words = (n_limbs * bits) // 64 + 2  # a spare word: a limb may straddle two words
    raw = b"".join(m.to_bytes(8 * n_words, "little") for m in mags)
    words = np.frombuffer(raw, dtype="<u8").reshape(flat.size, n_words)
    mask = np.uint64((1 << bits) - 1)
    out = []
    for i in range(n_limbs):
        w, off = divmod(bits * i, 64)
        limb = words[:, w] >> np.uint64(off)
        if off + bits > 64:
            limb = limb | (words[:, w + 1] << np.uint64(64 - off))
        out.append((limb & mask).astype(np.float64).reshape(x.shape) * sign)
    return out
