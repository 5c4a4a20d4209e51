"""One numerical policy for singularity and positive-definiteness.

Decisions are made with an explicit tolerance relative to the largest
eigenvalue, never by whether a floating-point operation warned or produced
NaN: OpenBLAS picks different kernels on different CPUs, and round-off of
±1e-17 changes the sign of a zero eigenvalue.
"""

from __future__ import annotations

import numpy as np

#: an eigenvalue at or below ``RTOL * max(|eigenvalue|)`` counts as zero
RTOL = 1e-12


def eigvalsh(a) -> np.ndarray:
    """Eigenvalues of the symmetric part of ``a``, ascending."""
    a = np.asarray(a, dtype=float)
    return np.linalg.eigvalsh((a + a.T) / 2.0)


def zero_tolerance(eigenvalues, rtol: float = RTOL) -> float:
    """The absolute tolerance below which an eigenvalue counts as zero."""
    ev = np.asarray(eigenvalues, dtype=float)
    scale = float(np.max(np.abs(ev))) if ev.size else 0.0
    return rtol * max(scale, np.finfo(float).tiny)


def is_positive_definite(a, rtol: float = RTOL) -> bool:
    """Whether the symmetric matrix ``a`` is positive definite within ``rtol``.

    >>> is_positive_definite([[1.0, 0.5], [0.5, 1.0]])
    True
    >>> is_positive_definite([[1.0, 1.0], [1.0, 1.0]])
    False
    """
    a = np.asarray(a, dtype=float)
    if a.size == 0:
        return True
    if not np.all(np.isfinite(a)):
        return False
    ev = eigvalsh(a)
    return bool(ev[0] > zero_tolerance(ev, rtol))


def is_singular(a, rtol: float = RTOL) -> bool:
    """Whether the symmetric matrix ``a`` has an eigenvalue that is zero within ``rtol``.

    >>> is_singular([[1.0, 1.0], [1.0, 1.0]])
    True
    """
    a = np.asarray(a, dtype=float)
    if a.size == 0:
        return False
    if not np.all(np.isfinite(a)):
        return True
    ev = eigvalsh(a)
    return bool(np.min(np.abs(ev)) <= zero_tolerance(ev, rtol))


def rank(a, rtol: float = RTOL) -> int:
    """Numerical rank of the symmetric matrix ``a`` under the same tolerance."""
    ev = eigvalsh(a)
    return int(np.sum(np.abs(ev) > zero_tolerance(ev, rtol)))
