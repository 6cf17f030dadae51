"""Argument checks shared by the public functions: clear errors that name the argument."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["check_interval", "check_output"]


def check_interval(
    interval: Any, name: str = "interval", *, allow_infinite: bool = True
) -> tuple[float, float]:
    """``(lo, hi)`` as floats with ``lo < hi``; ``None`` means the whole real line.

    Examples
    --------
    >>> check_interval((0, 2))
    (0.0, 2.0)
    >>> check_interval(None)
    (-inf, inf)
    >>> check_interval((2, 0))
    Traceback (most recent call last):
    ...
    ValueError: interval must satisfy lo < hi, got (2, 0)
    """
    if interval is None:
        if not allow_infinite:
            raise ValueError(f"{name} is required here: give a finite (lo, hi)")
        return (-math.inf, math.inf)
    try:
        lo, hi = interval
        lo_f, hi_f = float(lo), float(hi)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (lo, hi) of numbers, got {interval!r}") from None
    except OverflowError:  # a rational or an int beyond the float64 range
        raise ValueError(
            f"{name} must lie within the float64 range (or be infinite), got {interval!r}"
        ) from None
    if math.isnan(lo_f) or math.isnan(hi_f):
        raise ValueError(f"{name} must not contain NaN, got {interval!r}")
    if not allow_infinite and not (math.isfinite(lo_f) and math.isfinite(hi_f)):
        raise ValueError(f"{name} must be finite here, got {interval!r}")
    if not lo_f < hi_f:
        raise ValueError(f"{name} must satisfy lo < hi, got {interval!r}")
    return lo_f, hi_f


def check_output(output: Any, n_outputs: int) -> int | None:
    """``output`` as a valid column index (negative counts from the end) or None."""
    if output is None:
        return None
    if isinstance(output, bool) or not isinstance(output, int):
        try:
            import numpy as np

            if isinstance(output, np.integer):
                output = int(output)
            else:
                raise TypeError
        except TypeError:
            raise TypeError(f"output must be an int or None, got {output!r}") from None
    if not -n_outputs <= output < n_outputs:
        raise ValueError(
            f"output must be in [-{n_outputs}, {n_outputs}) for this network, got {output}"
        )
    return output % n_outputs
