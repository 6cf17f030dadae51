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

    Each integer is cut into 16-bit limbs of its two's complement bytes (and a sign limb
    of 0 or -1), so that every limb product summed over an inner dimension below
    :math:`2^{21}` is exact in float64; the products are summed per power of
    :math:`2^{16}` in int64, carried into 16-bit limbs, and read back as Python ints
    from their bytes.  Same result as ``a.dot(b)``, several times faster.

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
    if a.shape[0] * k * b.shape[1] <= 50_000 or k >= 1 << 21:  # small: Python ints directly
        return a.dot(b)
    limbs_a, limbs_b = _limbs(a), _limbs(b)
    n_a, n_b = limbs_a.shape[0], limbs_b.shape[0]
    diagonals = np.zeros((n_a + n_b - 1, a.shape[0], b.shape[1]), dtype=np.int64)
    for i in range(n_a):
        for j in range(n_b):
            diagonals[i + j] += (limbs_a[i] @ limbs_b[j]).astype(np.int64)
    return _from_limbs(diagonals)


def _limbs(x: Any) -> Any:
    """``(n + 1, *x.shape)`` float64 limbs ``L_i`` with ``x == sum(L_i * 2**(16 * i))``:
    ``n`` limbs in ``[0, 2**16)`` from the little-endian two's complement bytes, and a last
    limb of -1 for negative entries, 0 otherwise."""
    from operator import methodcaller

    import numpy as np

    flat = x.reshape(-1)
    top = max(abs(int(flat.max())), abs(int(flat.min())))
    n = top.bit_length() // 16 + 1  # 16-bit limbs that hold the magnitude and a sign bit
    raw = b"".join(map(methodcaller("to_bytes", 2 * n, "little", signed=True), flat))
    words = np.frombuffer(raw, dtype="<u2").reshape(flat.size, n)
    out = np.empty((n + 1, flat.size))
    out[:n] = words.T
    out[n] = -(words[:, -1] >> 15).astype(np.float64)  # the top bit of two's complement: -2**(16 n)
    return out.reshape((n + 1, *x.shape))


def _from_limbs(diagonals: Any) -> Any:
    """Python ints (an object array) from int64 sums of powers of :math:`2^{16}`
    (``diagonals[d]`` multiplies ``2**(16 d)``): carried into 16-bit limbs, read from
    their bytes as two's complement."""
    import numpy as np

    limbs = []
    carry = np.zeros(diagonals.shape[1:], dtype=np.int64)
    for d in diagonals:
        v = d + carry
        limbs.append(v & 0xFFFF)
        carry = v >> 16
    while (carry < -(1 << 15)).any() or (carry >= 1 << 15).any():
        limbs.append(carry & 0xFFFF)
        carry >>= 16
    limbs.append(carry & 0xFFFF)  # in [-2**15, 2**15): the two's complement top limb
    n = len(limbs)
    raw = np.stack(limbs, axis=-1).astype("<u2").tobytes()
    step = 2 * n
    view = memoryview(raw)
    size = diagonals[0].size
    out = np.empty(size, dtype=object)
    out[:] = [
        int.from_bytes(view[j : j + step], "little", signed=True)
        for j in range(0, size * step, step)
    ]
    return out.reshape(diagonals.shape[1:])
