r"""Arrays of big integers as int64 limbs, multiplied exactly with float64 BLAS.

An array of integers is kept as limbs :math:`L_k` (one int64 array per power of
:math:`2^B`, :math:`B = 23`),

.. math:: x = \sum_{k=0}^{n-1} L_k \, 2^{Bk}, \qquad |L_k| \le 2^{B-1}

(balanced limbs, so the sign of ``x`` is the sign of its top nonzero limb).  A
limb product is at most :math:`2^{44}`, so float64 BLAS products of limb
matrices, summed per power of :math:`2^B`, are exact integers as long as each
sum has at most :math:`2^{9}` terms (longer inner dimensions are cut into
chunks); they are then carried back into balanced limbs.  Nothing is converted
to Python ints on the way: the exact analysis keeps its slopes and intercepts
as limbs across layers and converts only the entries it reports or compares
exactly.  The carries and reads run as compiled passes
(:mod:`pwlinear._limb_kernels`) where numba is installed, as numpy passes
otherwise, with identical results.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Limbs"]

B = 23
_HALF = 1 << (B - 1)
_MASK = (1 << B) - 1

I64 = NDArray[np.int64]


def _kernels() -> Any:
    """The compiled passes of :mod:`pwlinear._limb_kernels`, or None without numba."""
    global _KERNELS
    if _KERNELS is None:
        try:
            from pwlinear import _limb_kernels
        except ImportError:  # numba missing: the numpy passes give the same results
            _KERNELS = False
        else:
            _KERNELS = _limb_kernels
    return _KERNELS or None


_KERNELS: Any = None

_WORK = threading.local()
_WORK_MAX = 1 << 19  # entries (4 MiB) per work array kept between calls


def _work(slot: str, shape: tuple[int, ...], dtype: Any = np.float64) -> NDArray[Any]:
    """An array of ``shape`` with undefined contents, for temporaries that do not leave
    the function using them: kept per thread and slot and reused by the next call.

    Fresh large arrays cost a page fault per 4 KiB page on first touch, which on virtual
    machines takes longer than the products filling them; reuse pays the faults once.
    """
    size = math.prod(shape)
    if size > _WORK_MAX:
        return np.empty(shape, dtype)
    buf = getattr(_WORK, slot, None)
    if buf is None or buf.size < size or buf.dtype != dtype:
        buf = np.empty(max(size, 1 << 12), dtype)
        setattr(_WORK, slot, buf)
    return buf[:size].reshape(shape)


def _normalize(L: NDArray[Any]) -> I64:
    """Balanced limbs of int64 limbs below :math:`2^{62}` (or float64 sums of limb
    products below :math:`2^{53}`): compiled where numba is, :func:`_normalize_np` else."""
    kernels = _kernels()
    if kernels is not None and L.size:
        flat = np.ascontiguousarray(L.reshape(L.shape[0], -1))
        return kernels.normalize(flat, B).reshape((-1, *L.shape[1:]))  # type: ignore[no-any-return]
    return _normalize_np(L.astype(np.int64, copy=False))


def _normalize_np(L: I64) -> I64:
    """Balanced limbs (``|L_k| <= 2**(B-1)``) of the same integers, for int64 limbs of any
    size below :math:`2^{62}`; top limbs that are zero everywhere are dropped."""
    n = L.shape[0]
    out = np.empty((n + 3, *L.shape[1:]), dtype=np.int64)  # room for the top carry
    carry = np.zeros(L.shape[1:], dtype=np.int64)
    for k in range(n + 3):
        v = L[k] + carry if k < n else carry
        low = out[k]
        np.bitwise_and(v + _HALF, _MASK, out=low)
        low -= _HALF
        carry = v - low
        carry >>= B
    n += 3
    while n > 1 and not out[n - 1].any():
        n -= 1
    return out[:n]


def _aligned(a: I64, b: I64) -> tuple[I64, I64]:
    """``a`` and ``b`` with singleton entry axes inserted after the limb axis, so that
    their entries broadcast as numpy arrays of the entry shapes would."""
    d = a.ndim - b.ndim
    if d > 0:
        b = b.reshape((b.shape[0],) + (1,) * d + b.shape[1:])
    elif d < 0:
        a = a.reshape((a.shape[0],) + (1,) * -d + a.shape[1:])
    return a, b


def _read_np(L: I64) -> tuple[NDArray[np.int8], NDArray[np.float64]]:
    """Signs and floats of ``(n, m)`` balanced limbs (see :meth:`Limbs.to_float`)."""
    n = L.shape[0]
    top = n - 1 - np.argmax(L[::-1] != 0, axis=0)
    Lp = np.concatenate([np.zeros((3, L.shape[1]), np.int64), L])

    def limb(d: int) -> I64:
        return np.take_along_axis(Lp, (top + 3 - d)[None], axis=0)[0]  # type: ignore[no-any-return]

    hi = (limb(0) << B) + limb(1)
    lo = (limb(2) << B) + limb(3)
    with np.errstate(over="ignore"):
        f = np.ldexp(hi.astype(np.float64) * 2.0 ** (2 * B) + lo.astype(np.float64), B * (top - 3))
    return np.sign(limb(0)).astype(np.int8), f


class Limbs:
    r"""An integer array :math:`x = \sum_k L_k 2^{Bk}` with balanced int64 limbs ``L``.

    Examples
    --------
    >>> import numpy as np
    >>> x = Limbs.from_ints(np.array([2**100 + 1, -3, 0], dtype=object))
    >>> y = Limbs.from_ints(np.array([5, 2**70, 7], dtype=object))
    >>> list((x * y - y).to_ints()) == [(2**100 + 1) * 5 - 5, -4 * 2**70, -7]
    True
    >>> x.sign().tolist(), x.to_float().tolist()
    ([1, -1, 0], [1.2676506002282294e+30, -3.0, 0.0])
    """

    __slots__ = ("L", "_signs", "_floats")

    def __init__(self, L: I64) -> None:
        self.L = L
        self._signs: NDArray[np.int8] | None = None
        self._floats: NDArray[np.float64] | None = None

    @classmethod
    def from_ints(cls, values: Any) -> Limbs:
        """Limbs of an array of Python ints (any size)."""
        arr = np.asarray(values, dtype=object)
        rest = np.empty(arr.size, dtype=object)
        rest[:] = [int(v) for v in arr.reshape(-1)]
        top = max((abs(v) for v in rest), default=0)
        n = (top.bit_length() + 1 + B) // B  # n balanced limbs hold all below 2**(n B - 2)
        L = np.empty((n, arr.size), dtype=np.int64)
        for k in range(n):
            low = ((rest + _HALF) & _MASK) - _HALF
            L[k] = low.astype(np.int64)
            rest = (rest - low) >> B
        return cls(L.reshape((n, *arr.shape)))

    @classmethod
    def from_int(cls, value: int) -> Limbs:
        """Limbs of one Python int (a 0-d array, broadcasting in products)."""
        v, limbs = int(value), []
        while True:
            low = ((v + _HALF) & _MASK) - _HALF
            limbs.append(low)
            v = (v - low) >> B
            if v == 0:
                return cls(np.array(limbs, dtype=np.int64))

    @property
    def shape(self) -> tuple[int, ...]:
        return self.L.shape[1:]  # type: ignore[no-any-return]

    def __getitem__(self, idx: Any) -> Limbs:
        if not isinstance(idx, tuple):
            idx = (idx,)
        return Limbs(self.L[(slice(None), *idx)])

    def is_zero(self) -> bool:
        """True if every entry is zero."""
        return not self.L.any()

    # -- arithmetic ---------------------------------------------------------------------

    def __neg__(self) -> Limbs:
        return Limbs(-self.L)

    def __add__(self, other: Limbs) -> Limbs:
        a, b = _aligned(self.L, other.L)
        shape = np.broadcast_shapes(a.shape[1:], b.shape[1:])
        if not b.any():  # adding zeros (a relu's knot, say): no carries
            return Limbs(np.broadcast_to(a, (a.shape[0], *shape)))
        if not a.any():
            return Limbs(np.broadcast_to(b, (b.shape[0], *shape)))
        n = max(a.shape[0], b.shape[0])
        out = np.zeros((n, *shape), dtype=np.int64)
        out[: a.shape[0]] += a
        out[: b.shape[0]] += b
        return Limbs(_normalize(out))

    def __sub__(self, other: Limbs) -> Limbs:
        return self + (-other)

    def __mul__(self, other: Limbs) -> Limbs:
        """Elementwise (broadcasting) product: a convolution of the limbs."""
        a, b = _aligned(self.L, other.L)
        if b.shape[0] == 1 and np.abs(b).max(initial=0) <= 1:  # 0/±1 factors, e.g. relu
            return Limbs(a * b[0])
        if a.shape[0] == 1 and np.abs(a).max(initial=0) <= 1:
            return Limbs(b * a[0])
        shape = np.broadcast_shapes(a.shape[1:], b.shape[1:])
        out = np.zeros((a.shape[0] + b.shape[0], *shape), dtype=np.int64)
        for i in range(a.shape[0]):
            for j in range(b.shape[0]):
                out[i + j] += a[i] * b[j]
        return Limbs(_normalize(out))

    def scale(self, factor: int) -> Limbs:
        """Every entry times the Python int ``factor``."""
        if factor == 1:
            return self
        if factor > 0 and not factor & (factor - 1):  # a power of two: a shift
            return Limbs.shifted_sum([self], [factor.bit_length() - 1])
        return self * Limbs.from_int(factor)

    @staticmethod
    def shifted_sum(parts: list[Limbs], shifts: list[int]) -> Limbs:
        r""":math:`\sum_i x_i 2^{e_i}` of limbs ``parts`` and shifts ``shifts`` (at least 0),
        their entries broadcasting: the limbs moved by whole limbs and shifted by the rest,
        added as int64 (each below :math:`2^{2B - 1}`) and carried once."""
        shape = np.broadcast_shapes(*(p.shape for p in parts))
        n = max(p.L.shape[0] + e // B for p, e in zip(parts, shifts)) + 1
        out = np.zeros((n, *shape), dtype=np.int64)
        for p, e in zip(parts, shifts):
            q, r = divmod(e, B)
            n_p = p.L.shape[0]
            L = p.L.reshape((n_p,) + (1,) * (len(shape) - len(p.shape)) + p.shape)
            out[q : q + n_p] += L << r
        return Limbs(_normalize(out))

    def __matmul__(self, other: Limbs) -> Limbs:
        """Exact matrix product of ``(r, k)`` and ``(k, c)`` integer arrays."""
        return product(self.L.astype(np.float64), other)

    @staticmethod
    def concatenate(parts: list[Limbs]) -> Limbs:
        """The entries of ``parts`` stacked along their first axis."""
        n = max(p.L.shape[0] for p in parts)
        padded = [
            np.concatenate([p.L, np.zeros((n - p.L.shape[0], *p.shape), np.int64)]) for p in parts
        ]
        return Limbs(np.concatenate(padded, axis=1))

    # -- reading ------------------------------------------------------------------------

    def _read(self) -> tuple[NDArray[np.int8], NDArray[np.float64]]:
        """Signs and floats of the entries (computed once)."""
        if self._signs is None:
            kernels = _kernels()
            flat = self.L.reshape(self.L.shape[0], -1)
            if kernels is not None and flat.shape[1]:
                sign, f = kernels.read(np.ascontiguousarray(flat), B)
            else:
                sign, f = _read_np(flat)
            self._signs, self._floats = sign.reshape(self.shape), f.reshape(self.shape)
        return self._signs, self._floats  # type: ignore[return-value]

    def sign(self) -> NDArray[np.int8]:
        """Signs of the entries (the signs of their top nonzero limbs)."""
        return self._read()[0]

    def to_float(self) -> NDArray[np.float64]:
        r"""Floats of the entries, within :math:`1.01 u` (``±inf`` beyond the float range).

        The top four limbs from the top nonzero one hold :math:`4B` bits; they are added
        as two exact :math:`2B`-bit floats (one rounding), and the dropped limbs are below
        :math:`2^{1 - 3B}` of the value.
        """
        return self._read()[1]

    def to_ints(self) -> NDArray[np.object_]:
        """The entries as an object array of Python ints."""
        L = self.L
        if L.shape[0] % 2:
            L = np.concatenate([L, np.zeros_like(L[:1])])
        pairs = L[0::2] + (L[1::2] << B)  # two limbs are one int64 of at most 46 bits
        acc = pairs[-1].astype(object)
        for k in range(pairs.shape[0] - 2, -1, -1):
            acc = (acc << (2 * B)) + pairs[k].astype(object)
        if not isinstance(acc, np.ndarray):  # a 0-d result
            acc = np.array(acc, dtype=object)
        return acc  # type: ignore[no-any-return]

    def item(self, idx: Any) -> int:
        """One entry as a Python int."""
        v = 0
        col = self.L[(slice(None), *idx)] if isinstance(idx, tuple) else self.L[:, idx]
        for limb in col[::-1]:
            v = (v << B) + int(limb)
        return v


def _dgemm() -> Any:
    """BLAS ``dgemm`` (scipy's), which adds a product into its output: about 15% faster
    than ``np.matmul`` into a work array and a separate sum on the limb products."""
    from scipy.linalg.blas import dgemm

    return dgemm


def _chunk(na: int, nb: int) -> int:
    """The length of the chunks of the inner dimension in products of ``na``- by
    ``nb``-limb integers: a sum per power of :math:`2^B` then adds at most
    ``min(na, nb) * chunk`` limb products of :math:`2^{2B - 2}` at most, below
    :math:`2^{53}`, so it is exact in float64."""
    chunk = (1 << (53 - 2 * (B - 1))) // min(na, nb)
    if chunk == 0:
        raise ValueError(f"integers of {min(na, nb) * B} bits are beyond the limb products")
    return chunk


def product(a: NDArray[np.float64], other: Limbs) -> Limbs:
    r"""Exact matrix product of ``(r, k)`` integers given as float64 limbs ``a`` (each
    :math:`|a_i| \le 2^{B-1}`) and the ``(k, c)`` limbs ``other``: one float64 product per
    pair of limbs, summed per power of :math:`2^B`."""
    b = other.L.astype(np.float64)
    na, r, k = a.shape
    nb, _, c = b.shape
    chunk = _chunk(na, nb)
    total: Limbs | None = None
    diag = _work("diag", (na + nb - 1, r, c))
    gemm = _dgemm() if min(r, c) >= 16 and k else None  # (its call costs more on few)
    for k0 in range(0, max(k, 1), chunk):  # each chunk's float sums carried on their own
        diag[:] = 0.0
        if gemm is None:  # few rows or columns: every pair of limbs in one matmul
            ab = a[:, :, k0 : k0 + chunk].reshape(na * r, -1) @ np.concatenate(
                b[:, k0 : k0 + chunk], axis=1
            )
            ab = ab.reshape(na, r, nb, c)
            for i in range(na):
                for j in range(nb):
                    diag[i + j] += ab[i, :, j]
        else:
            for i in range(na):
                for j in range(nb):
                    ai, bj = a[i, :, k0 : k0 + chunk], b[j, k0 : k0 + chunk]
                    # diag[i + j] += ai @ bj in place (transposed: BLAS is column-major);
                    # exact sums of integers, in any order
                    out = gemm(1.0, bj.T, ai.T, beta=1.0, c=diag[i + j].T, overwrite_c=True)
                    if not np.may_share_memory(out, diag):  # it added into a copy
                        diag[i + j] = out.T
        part = Limbs(_normalize(diag))
        total = part if total is None else total + part
    assert total is not None
    return total


def rowdot(a: NDArray[np.float64], b: NDArray[np.float64]) -> Limbs:
    r"""Exact sums :math:`\sum_k a_{\ldots k} b_{\ldots k}` over the last axis of integers
    given as float64 limbs ``a`` and ``b`` (each :math:`|a_i|, |b_j| \le 2^{B-1}`), whose
    other axes broadcast: one batch of small float64 products per chunk of the last axis,
    summed per power of :math:`2^B` (exact, as in :func:`product`)."""
    na, nb, k = a.shape[0], b.shape[0], a.shape[-1]
    chunk = _chunk(na, nb)
    # entries first, limbs last: (..., na, k) @ (..., k, nb) -> (..., na, nb)
    a, b = np.moveaxis(a, 0, -2), np.moveaxis(b, 0, -1)
    total: Limbs | None = None
    for k0 in range(0, max(k, 1), chunk):
        pairs = np.matmul(a[..., k0 : k0 + chunk], b[..., k0 : k0 + chunk, :])
        diag = np.zeros((na + nb - 1, *pairs.shape[:-2]))
        for i in range(na):  # limb i of a times limb j of b is a multiple of 2**(B (i + j))
            diag[i : i + nb] += np.moveaxis(pairs[..., i, :], -1, 0)
        part = Limbs(_normalize(diag))
        total = part if total is None else total + part
    assert total is not None
    return total
