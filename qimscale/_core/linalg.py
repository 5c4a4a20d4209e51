"""One numerical policy for singularity and positive-definiteness.

Decisions are made with an explicit tolerance relative to the largest
eigenvalue, never by whether a floating-point operation warned or produced
NaN, by the sign ``slogdet`` returns or by whether a solver raised
``LinAlgError``: OpenBLAS picks different kernels on different CPUs, and
round-off of ±1e-17 changes the sign of a zero eigenvalue.

Used by EFA-ML and MAP (:mod:`qimscale.analysis.efa`, :mod:`~qimscale.analysis.nfactors`),
KMO and Bartlett (:mod:`~qimscale.analysis.factorability`), CFA/FIML
(:mod:`qimscale.analysis.cfa`), WLSMV and the scoring's Mahalanobis distance.
Inside an optimiser, a Cholesky factorisation that fails on a *trial* step only
rejects that step (the line search shortens it); that is not a decision the
user sees and stays as it is.

Tolerances: :data:`RTOL` everywhere, :data:`STRICT_RTOL` where a fit's answer
rests on an inverse (a CFA's sample correlation and information matrices).
"""

from __future__ import annotations

import numpy as np

#: an eigenvalue at or below ``RTOL * max(|eigenvalue|)`` counts as zero
RTOL = 1e-12

#: stricter tolerance for a matrix whose inverse a fit's answer rests on (a CFA's sample
#: correlation matrix, its information matrix rescaled to unit diagonal): below ``1e-10`` times
#: the largest eigenvalue the estimates or standard errors would be decided by round-off
STRICT_RTOL = 1e-10


def eigvalsh(a) -> np.ndarray:
    """Eigenvalues of the symmetric part of ``a``, ascending."""
    a = np.asarray(a, dtype=float)
    return np.linalg.eigvalsh((a + a.T) / 2.0)


def zero_tolerance(eigenvalues, rtol: float = RTOL) -> float:
    """The absolute tolerance below which an eigenvalue counts as zero."""
    ev = np.asarray(eigenvalues, dtype=float)
    scale = float(np.max(np.abs(ev))) if ev.size else 0.0
    return rtol * max(scale, np.finfo(float).tiny)


def _lowest_eigenvalue(a, rtol: float) -> tuple[float, float] | None:
    """``(lowest eigenvalue, zero tolerance)`` of the symmetric matrix ``a``; ``None`` when ``a`` holds a
    non-finite value (neither definite nor semidefinite). An empty matrix gives ``(inf, 0)``: vacuously both."""
    a = np.asarray(a, dtype=float)
    if a.size == 0:
        return np.inf, 0.0
    if not np.all(np.isfinite(a)):
        return None
    ev = eigvalsh(a)
    return float(ev[0]), zero_tolerance(ev, rtol)


def is_positive_definite(a, rtol: float = RTOL) -> bool:
    """Whether the symmetric matrix ``a`` is positive definite within ``rtol``.

    >>> is_positive_definite([[1.0, 0.5], [0.5, 1.0]])
    True
    >>> is_positive_definite([[1.0, 1.0], [1.0, 1.0]])
    False
    """
    low = _lowest_eigenvalue(a, rtol)
    return low is not None and bool(low[0] > low[1])


def is_positive_semidefinite(a, rtol: float = RTOL) -> bool:
    """Whether no eigenvalue of the symmetric matrix ``a`` is negative beyond ``rtol``.

    A singular matrix is positive semidefinite; lavaan's "not positive definite"
    warnings for the latent covariance matrix use this test.

    >>> is_positive_semidefinite([[1.0, 1.0], [1.0, 1.0]])
    True
    >>> is_positive_semidefinite([[1.0, 2.0], [2.0, 1.0]])
    False
    """
    low = _lowest_eigenvalue(a, rtol)
    return low is not None and bool(low[0] >= -low[1])


def unit_diagonal(a) -> np.ndarray | None:
    """``D^-1/2 a D^-1/2`` with ``D = |diag(a)|``, or ``None`` when a diagonal entry is zero.

    An information matrix whose parameters live on scales 10^4 apart has a
    condition number of 10^8 from the scales alone; judged on unit diagonal it
    is judged by its correlations.
    """
    a = np.asarray(a, dtype=float)
    d = np.sqrt(np.abs(np.diag(a)))
    if a.size and not np.all(d > 0):
        return None
    return a / np.outer(d, d)


def is_singular(a, rtol: float = RTOL, *, scale: bool = False) -> bool:
    """Whether the symmetric matrix ``a`` has an eigenvalue that is zero within ``rtol``.

    With ``scale=True`` the matrix is first rescaled to unit diagonal
    (:func:`unit_diagonal`; a zero diagonal entry makes it singular): use it for
    information matrices, whose parameters need not share a scale.

    >>> is_singular([[1.0, 1.0], [1.0, 1.0]])
    True
    >>> is_singular([[1e8, 0.5], [0.5, 1e-8]]), is_singular([[1e8, 0.5], [0.5, 1e-8]], scale=True)
    (True, False)
    """
    a = np.asarray(a, dtype=float)
    if a.size == 0:
        return False
    if not np.all(np.isfinite(a)):
        return True
    if scale:
        a = unit_diagonal(a)
        if a is None:
            return True
    ev = eigvalsh(a)
    return bool(np.min(np.abs(ev)) <= zero_tolerance(ev, rtol))


def rank(a, rtol: float = RTOL) -> int:
    """Numerical rank of the symmetric matrix ``a`` under the same tolerance."""
    ev = eigvalsh(a)
    return int(np.sum(np.abs(ev) > zero_tolerance(ev, rtol)))
