"""Compiled (numba) passes over int64 limbs: the carries and the reads of
:mod:`pwlinear._limbs` in one pass each instead of a numpy pass per limb and step.

Same arithmetic as the numpy fallbacks in :mod:`pwlinear._limbs`, so the results
are identical.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True)
def normalize(L, B):  # type: ignore[no-untyped-def]
    """Balanced ``B``-bit limbs of ``(n, m)`` integer limbs (int64, or float64 holding
    integers below :math:`2^{53}`): ``(n + 3, m)`` int64, top limbs zero everywhere dropped.
    (``B`` is an argument, not a global, so that cached compilations cannot go stale.)
    Limb by limb over all entries, so that memory is read in order."""
    half = np.int64(1) << (B - 1)
    mask = (np.int64(1) << B) - 1
    n, m = L.shape
    out = np.empty((n + 3, m), dtype=np.int64)
    carry = np.zeros(m, dtype=np.int64)
    top = 0
    for k in range(n + 3):
        nonzero = False
        for j in range(m):
            v = carry[j]
            if k < n:
                v += np.int64(L[k, j])
            low = ((v + half) & mask) - half
            out[k, j] = low
            carry[j] = (v - low) >> B
            nonzero |= low != 0
        if nonzero:
            top = k
    return out[: top + 1]


@numba.njit(cache=True)
def read(L, B):  # type: ignore[no-untyped-def]
    """Signs and floats (within :math:`1.01 u`) of ``(n, m)`` balanced ``B``-bit limbs:
    the top nonzero limb and the three below it, found limb by limb over all entries."""
    n, m = L.shape
    at = np.zeros(m, dtype=np.int64)  # the top nonzero limb
    for k in range(1, n):
        for j in range(m):
            if L[k, j] != 0:
                at[j] = k
    sign = np.zeros(m, dtype=np.int8)
    f = np.zeros(m)
    for j in range(m):
        t = at[j]
        top = L[t, j]
        if top == 0:
            continue
        sign[j] = 1 if top > 0 else -1
        hi = (top << B) + (L[t - 1, j] if t >= 1 else 0)
        lo = ((L[t - 2, j] if t >= 2 else 0) << B) + (L[t - 3, j] if t >= 3 else 0)
        f[j] = math.ldexp(float(hi) * 2.0 ** (2 * B) + float(lo), B * (t - 3))
    return sign, f
