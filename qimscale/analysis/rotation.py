"""Factor rotations: the gradient projection algorithm, varimax and promax.

Orthogonal and oblique rotations of a loading matrix, written after the
gradient projection algorithm (GPA) of Jennrich (2001, 2002) as implemented
by Bernaards & Jennrich (2005) in the R package GPArotation
(``GPForth`` / ``GPFoblq``), plus ``stats::varimax`` and psych's
``Promax``/``kaiser`` promax.

The functional entry point is :func:`rotate`; it returns a
:class:`RotationResult` whose conventions follow ``psych::fa``:

* ``loadings`` is the rotated pattern matrix ``A @ rotmat``;
* ``rotmat`` is psych's ``rot.mat`` (``t(solve(Th))`` for GPA rotations), so
  that ``loadings == unrotated @ rotmat``;
* ``phi`` is the factor correlation matrix (the identity for orthogonal
  rotations, where psych returns ``NULL``).

:func:`rotate` does not reflect or reorder factors. :func:`align_factors`
applies psych's post-processing (column signs so that every column sum is
positive, then columns ordered by the variance they explain).

Supported methods (``psych::fa(rotate=...)`` names in brackets):

===============  ==========  ==================================================
method           type        criterion
===============  ==========  ==================================================
``none``         --          no rotation
``varimax``      orthogonal  ``stats::varimax`` (Kaiser normalised) [varimax]
``quartimax``    orthogonal  ``GPArotation::quartimax`` [quartimax]
``bifactor``     orthogonal  psych's ``bifactor`` (biquartimin criterion,
                             orthogonal GPA) [bifactor]
``targetT``      orthogonal  ``GPArotation::targetT``
``promax``       oblique     psych's ``kaiser(rotate="Promax")``, power 4
                             [promax]
``oblimin``      oblique     ``GPArotation::oblimin(gam=0)`` [oblimin]
``quartimin``    oblique     ``GPArotation::quartimin`` [quartimin]
``geomin``       oblique     ``GPArotation::geominQ(delta=0.01)`` [geominQ]
``biquartimin``  oblique     psych's ``biquartimin`` [biquartimin]
``target``       oblique     ``GPArotation::targetQ`` (needs ``target=``)
===============  ==========  ==================================================

References
----------
Jennrich, R. I. (2001). A simple general procedure for orthogonal rotation.
*Psychometrika*, 66, 289-306. https://doi.org/10.1007/BF02294840

Jennrich, R. I. (2002). A simple general method for oblique rotation.
*Psychometrika*, 67, 7-19. https://doi.org/10.1007/BF02294706

Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection algorithms and
software for arbitrary rotation criteria in factor analysis. *Educational and
Psychological Measurement*, 65, 676-696. https://doi.org/10.1177/0013164404272507

Kaiser, H. F. (1958). The varimax criterion for analytic rotation in factor
analysis. *Psychometrika*, 23, 187-200. https://doi.org/10.1007/BF02289233

Hendrickson, A. E., & White, P. O. (1964). Promax: a quick method for rotation
to oblique simple structure. *British Journal of Statistical Psychology*, 17,
65-70. https://doi.org/10.1111/j.2044-8317.1964.tb00244.x

Jennrich, R. I., & Bentler, P. M. (2011). Exploratory bi-factor analysis.
*Psychometrika*, 76, 537-549. https://doi.org/10.1007/s11336-011-9218-4
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from qimscale._core.checks import check_option
from qimscale._core.result import Result
from qimscale.errors import ModelError

__all__ = [
    "ROTATIONS",
    "ORTHOGONAL",
    "OBLIQUE",
    "RotationResult",
    "rotate",
    "align_factors",
    "gpa_orthogonal",
    "gpa_oblique",
    "varimax",
    "promax",
]

ORTHOGONAL = ("varimax", "quartimax", "bifactor", "targetT")
OBLIQUE = ("promax", "oblimin", "quartimin", "geomin", "biquartimin", "target")
ROTATIONS = ("none",) + ORTHOGONAL + OBLIQUE

Criterion = Callable[[np.ndarray], "tuple[float, np.ndarray]"]


@dataclass
class RotationResult(Result):
    """The outcome of a rotation.

    Attributes
    ----------
    loadings : ndarray, shape (p, k)
        Rotated pattern matrix, ``A @ rotmat``.
    phi : ndarray, shape (k, k)
        Factor correlations (identity for orthogonal rotations).
    rotmat : ndarray, shape (k, k)
        psych's ``rot.mat``: ``loadings = A @ rotmat``.
    method : str
        Rotation name.
    orthogonal : bool
        True for orthogonal rotations (and ``none``).
    converged : bool
        Whether the iterative algorithm met its tolerance.
    n_iter : int
        Iterations used (0 for closed-form steps).
    criterion : float
        Final value of the rotation criterion (NaN where not defined).
    """

    loadings: np.ndarray
    phi: np.ndarray
    rotmat: np.ndarray
    method: str
    orthogonal: bool
    converged: bool = True
    n_iter: int = 0
    criterion: float = float("nan")
    extra: dict = field(default_factory=dict)

    title = "Rotation"

    @property
    def structure(self) -> np.ndarray:
        """Structure matrix ``loadings @ phi``."""
        return self.loadings @ self.phi

    @property
    def warnings(self) -> list[str]:
        """Non-convergence of the rotation, if any."""
        return [] if self.converged else [f"rotation {self.method!r} did not converge in {self.n_iter} iterations"]

    def to_dict(self) -> dict:
        """Plain-JSON form: ``method, orthogonal, converged, n_iter, criterion, loadings, phi, rotmat``."""
        return {"method": self.method, "orthogonal": bool(self.orthogonal), "converged": bool(self.converged),
                "n_iter": int(self.n_iter), "criterion": float(self.criterion),
                "loadings": np.asarray(self.loadings).tolist(), "phi": np.asarray(self.phi).tolist(),
                "rotmat": np.asarray(self.rotmat).tolist()}

    def tables(self) -> dict:
        """``"loadings"``, ``"structure"`` and ``"phi"`` (factors named ``F1``, ``F2``, ...)."""
        import pandas as pd

        names = [f"F{i + 1}" for i in range(np.asarray(self.loadings).shape[1])]
        frame = lambda a, idx: pd.DataFrame(np.asarray(a), index=idx, columns=names)  # noqa: E731
        return {"loadings": frame(self.loadings, None), "structure": frame(self.structure, None),
                "phi": frame(self.phi, names)}


# --------------------------------------------------------------------------- criteria (value, gradient)

def _vgq_oblimin(L: np.ndarray, gam: float = 0.0) -> tuple[float, np.ndarray]:
    """Oblimin family criterion ``sum(L^2 * X) / 4`` and its gradient (GPArotation ``vgQ.oblimin``)."""
    L2 = L * L
    X = L2.sum(axis=1, keepdims=True) - L2  # L^2 %*% (1 - I)
    if gam != 0:
        p = L.shape[0]
        X = X - (gam / p) * X.sum(axis=0, keepdims=True)
    return float(np.sum(L2 * X) / 4.0), L * X


def _vgq_quartimax(L: np.ndarray) -> tuple[float, np.ndarray]:
    """Quartimax criterion ``-sum(L^4) / 4`` and gradient ``-L^3``."""
    L2 = L * L
    return float(-np.sum(L2 * L2) / 4.0), -(L2 * L)


def _vgq_geomin(L: np.ndarray, delta: float = 0.01) -> tuple[float, np.ndarray]:
    """Geomin criterion ``sum_i prod_j (l_ij^2 + delta)^(1/k)`` (GPArotation ``vgQ.geomin``)."""
    k = L.shape[1]
    L2 = L * L + delta
    pro = np.exp(np.log(L2).sum(axis=1) / k)
    return float(pro.sum()), (2.0 / k) * (L / L2) * pro[:, None]


def _vgq_bimin(L: np.ndarray) -> tuple[float, np.ndarray]:
    """psych's biquartimin criterion: quartimin-type ``sum(L2 * L2N)`` on factors 2..k."""
    G = np.zeros_like(L)
    S = L[:, 1:]
    S2 = S * S
    S2N = S2.sum(axis=1, keepdims=True) - S2
    G[:, 1:] = 4.0 * S * S2N
    return float(np.sum(S2 * S2N)), G


def _vgq_target(L: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Target criterion ``sum((L - Target)^2)`` ignoring NaN cells (GPArotation ``vgQ.target``)."""
    D = L - target
    D = np.where(np.isnan(D), 0.0, D)
    return float(np.sum(D * D)), 2.0 * D


# --------------------------------------------------------------------------- GPA

def _normalizing_weight(A: np.ndarray, normalize: bool) -> np.ndarray | None:
    if not normalize:
        return None
    return np.sqrt((A * A).sum(axis=1))[:, None]


def _gpa(A, criterion: Criterion, T, normalize, eps, maxit, oblique):
    """The GPA loop shared by the orthogonal and oblique rotations."""
    A = np.asarray(A, dtype=float)
    W = _normalizing_weight(A, normalize)
    if W is not None:
        A = A / W
    k = A.shape[1]
    T = np.eye(k) if T is None else np.asarray(T, dtype=float)

    def evaluate(T):
        # loadings, criterion and gradient with respect to T
        if oblique:
            Ti = np.linalg.inv(T)
            L = A @ Ti.T
            f, Gq = criterion(L)
            return L, f, -(L.T @ Gq @ Ti).T
        L = A @ T
        f, Gq = criterion(L)
        return L, f, A.T @ Gq

    def project(T, G):
        if oblique:
            return G - T * np.sum(T * G, axis=0)[None, :]
        M = T.T @ G
        return G - T @ ((M + M.T) / 2.0)

    def retract(X):
        if oblique:
            return X / np.sqrt(np.sum(X * X, axis=0))[None, :]
        U, _d, Vt = np.linalg.svd(X)
        return U @ Vt

    al = 1.0
    L, f, G = evaluate(T)
    s = np.inf
    it = 0
    for it in range(maxit + 1):
        Gp = project(T, G)
        s = float(np.sqrt(np.sum(Gp * Gp)))
        if s < eps:
            break
        al *= 2.0
        for _ in range(11):
            Tt = retract(T - al * Gp)
            L, ft, Gt = evaluate(Tt)
            if f - ft > 0.5 * s * s * al:
                break
            al /= 2.0
        T, f, G = Tt, ft, Gt
    converged = s < eps
    if W is not None:
        L = L * W
    return L, T, f, converged, it


def gpa_orthogonal(A, criterion: Criterion, *, T=None, normalize=False, eps=1e-5, maxit=1000):
    """Orthogonal rotation by the gradient projection algorithm.

    Matches ``GPArotation::GPForth(A, Tmat, normalize, eps, maxit, method)``.

    Parameters
    ----------
    A : array_like, shape (p, k)
        Unrotated loadings.
    criterion : callable
        ``criterion(L) -> (f, dQ/dL)``.
    T : array_like, shape (k, k), optional
        Starting rotation (default identity).
    normalize : bool
        Kaiser row normalisation before rotating.
    eps : float
        Convergence tolerance on the norm of the projected gradient.
    maxit : int
        Maximum number of iterations.

    Returns
    -------
    L, T, f, converged, n_iter
        Rotated loadings ``A @ T``, the orthogonal rotation matrix, the
        criterion value, a convergence flag and the iteration count.

    Notes
    -----
    At each step the gradient ``G = A' dQ/dL`` is projected onto the tangent
    space of the orthogonal manifold, ``Gp = G - T sym(T'G)``; a step
    ``T - a Gp`` is projected back by its polar factor (SVD) and the step size
    halved until the criterion drops by at least ``a s^2 / 2``.
    """
    return _gpa(A, criterion, T, normalize, eps, maxit, oblique=False)


def gpa_oblique(A, criterion: Criterion, *, T=None, normalize=False, eps=1e-5, maxit=1000):
    """Oblique rotation by the gradient projection algorithm.

    Matches ``GPArotation::GPFoblq(A, Tmat, normalize, eps, maxit, method)``.

    Parameters
    ----------
    A : array_like, shape (p, k)
        Unrotated loadings.
    criterion : callable
        ``criterion(L) -> (f, dQ/dL)``.
    T : array_like, shape (k, k), optional
        Starting transformation with unit-length columns (default identity).
    normalize : bool
        Kaiser row normalisation before rotating.
    eps : float
        Convergence tolerance on the norm of the projected gradient.
    maxit : int
        Maximum number of iterations.

    Returns
    -------
    L, T, f, converged, n_iter
        Pattern ``A (T')^-1``, the transformation ``T`` (``Phi = T'T``), the
        criterion value, a convergence flag and the iteration count.

    Notes
    -----
    The gradient with respect to ``T`` is ``G = -(L' dQ/dL T^-1)'``; its
    projection onto the manifold of unit-column matrices is
    ``Gp = G - T diag(1' (T * G))``. Steps ``T - a Gp`` are renormalised
    column-wise, with the same step-halving rule as the orthogonal case.
    """
    return _gpa(A, criterion, T, normalize, eps, maxit, oblique=True)


# --------------------------------------------------------------------------- varimax / promax

def varimax(A, *, normalize=True, eps=1e-5, maxit=1000):
    """Varimax rotation, Kaiser's SVD iteration.

    Matches ``stats::varimax(x, normalize=TRUE, eps=1e-5)``, which is what
    ``psych::fa(rotate="varimax")`` calls.

    Parameters
    ----------
    A : array_like, shape (p, k)
        Unrotated loadings.
    normalize : bool
        Kaiser row normalisation.
    eps : float
        Stop when the criterion grows by a relative amount below ``eps``.
    maxit : int
        Maximum number of iterations.

    Returns
    -------
    loadings, rotmat, n_iter

    Notes
    -----
    Iterates ``B = X' (Z^3 - Z diag(1'Z^2)/p)``, ``T = U V'`` from the SVD of
    ``B``, with ``Z = X T``, until ``sum(d)`` stops growing.
    """
    x = np.asarray(A, dtype=float)
    k = x.shape[1]
    if k < 2:
        return x.copy(), np.eye(k), 0
    sc = None
    if normalize:
        sc = np.sqrt((x * x).sum(axis=1))[:, None]
        x = x / sc
    p = x.shape[0]
    TT = np.eye(k)
    d = 0.0
    it = 0
    for it in range(1, maxit + 1):
        z = x @ TT
        B = x.T @ (z ** 3 - z * ((z * z).sum(axis=0) / p)[None, :])
        u, sv, vt = np.linalg.svd(B)
        TT = u @ vt
        dpast = d
        d = float(sv.sum())
        if d < dpast * (1 + eps):
            break
    z = x @ TT
    if sc is not None:
        z = z * sc
    return z, TT, it


def promax(A, *, m=4, kaiser=True):
    """Promax rotation as psych does it.

    Matches ``psych::fa(rotate="promax")``, i.e. ``psych:::kaiser(f,
    rotate="Promax")``: rows are Kaiser-normalised, ``psych::Promax`` is
    applied (varimax, then a least-squares fit to the target
    ``X |X|^(m-1)``), and the rows are rescaled. With ``kaiser=False`` this is
    ``psych::Promax(A, m)`` (``rotate="Promax"``).

    Parameters
    ----------
    A : array_like, shape (p, k)
        Unrotated loadings.
    m : float
        Power of the target.
    kaiser : bool
        Apply psych's extra Kaiser normalisation wrapper.

    Returns
    -------
    loadings, rotmat, phi
    """
    A = np.asarray(A, dtype=float)
    if kaiser:
        h = np.sqrt((A * A).sum(axis=1))[:, None]
        Aw = A / h
    else:
        h = None
        Aw = A
    x, vrot, _ = varimax(Aw)
    Q = x * np.abs(x) ** (m - 1)
    U = np.linalg.lstsq(x, Q, rcond=None)[0]
    try:
        d = np.diag(np.linalg.inv(U.T @ U))
    except np.linalg.LinAlgError as exc:  # pragma: no cover - degenerate input
        raise ModelError("promax: the factors are exactly uncorrelated; use an orthogonal rotation") from exc
    U = U * np.sqrt(d)[None, :]
    z = x @ U
    U = vrot @ U
    ui = np.linalg.inv(U)
    phi = ui @ ui.T
    if h is not None:
        z = z * h
    return z, U, phi


# --------------------------------------------------------------------------- dispatcher

def _random_start(k: int, rng: np.random.Generator) -> np.ndarray:
    """A random orthogonal start, ``qr.Q(qr(matrix(rnorm(k*k), k)))`` as GPArotation's ``Random.Start``."""
    q, _ = np.linalg.qr(rng.standard_normal((k, k)))
    return q


def rotate(loadings, method: str = "oblimin", *, target=None, gamma: float = 0.0, delta: float = 0.01,
           normalize: bool = False, eps: float = 1e-5, maxit: int = 1000, n_starts: int = 0,
           random_state=None, power: float = 4) -> RotationResult:
    """Rotate a loading matrix.

    Matches the rotations of ``psych::fa(r, nfactors, rotate=method)``
    (which call GPArotation with its defaults), before psych's reflection and
    reordering of factors (see :func:`align_factors`).

    Parameters
    ----------
    loadings : array_like, shape (p, k)
        Unrotated loadings.
    method : str
        One of :data:`ROTATIONS`.
    target : array_like, shape (p, k), optional
        Target matrix for ``target``/``targetT`` (NaN marks an unspecified cell).
    gamma : float
        Oblimin parameter (0 = quartimin, as ``GPArotation::oblimin``).
    delta : float
        Geomin parameter.
    normalize : bool
        Kaiser normalisation inside the GPA rotations (GPArotation's default
        and psych's is False; varimax and promax always normalise, as in R).
    eps, maxit : float, int
        GPA tolerance and iteration limit.
    n_starts : int
        Extra random orthogonal starting rotations (GPArotation's
        ``randomStarts``); the solution with the lowest criterion wins. The
        identity start is always tried first.
    random_state : int or numpy.random.Generator, optional
        Seed for the random starts.
    power : float
        Promax power.

    Returns
    -------
    RotationResult
        ``loadings`` (pattern), ``phi``, ``rotmat`` (``loadings = A @ rotmat``),
        ``orthogonal``, ``converged``, ``n_iter``, ``criterion``.

    Raises
    ------
    ModelError
        Unknown method, missing target, or a target of the wrong shape.

    Notes
    -----
    GPA rotations minimise a criterion ``Q(L)`` over orthogonal ``T``
    (``L = A T``) or oblique ``T`` with unit-length columns
    (``L = A (T')^-1``, ``Phi = T'T``).

    References
    ----------
    Bernaards, C. A., & Jennrich, R. I. (2005). https://doi.org/10.1177/0013164404272507

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[.8, .3], [.7, .35], [.75, .2], [.3, -.6], [.35, -.55], [.25, -.65]])
    >>> res = rotate(A, "oblimin")
    >>> res.phi.shape, bool(res.converged)
    ((2, 2), True)
    >>> bool(np.allclose(res.loadings, A @ res.rotmat))
    True
    """
    A = np.asarray(loadings, dtype=float)
    if A.ndim != 2:
        raise ModelError(f"rotate: loadings must be a 2-D matrix; got shape {A.shape}")
    p, k = A.shape
    check_option("rotation", method, ROTATIONS, "efa")
    eye = np.eye(k)
    if method == "none" or k < 2:
        return RotationResult(A.copy(), eye, eye.copy(), method, True)
    if method == "varimax":
        L, TT, it = varimax(A, eps=eps, maxit=maxit)
        return RotationResult(L, eye, TT, method, True, True, it)
    if method == "promax":
        L, U, phi = promax(A, m=power)
        return RotationResult(L, phi, U, method, False, True, 0)

    if method in ("target", "targetT"):
        if target is None:
            raise ModelError(f"rotation {method!r} needs a target matrix (items x factors)")
        tgt = np.asarray(target, dtype=float)
        if tgt.shape != A.shape:
            raise ModelError(f"rotation {method!r}: target has shape {tgt.shape}, loadings have {A.shape}")
        crit = lambda L: _vgq_target(L, tgt)  # noqa: E731
    elif method in ("oblimin",):
        crit = lambda L: _vgq_oblimin(L, gamma)  # noqa: E731
    elif method == "quartimin":
        crit = _vgq_oblimin
    elif method == "quartimax":
        crit = _vgq_quartimax
    elif method == "geomin":
        crit = lambda L: _vgq_geomin(L, delta)  # noqa: E731
    else:  # bifactor, biquartimin
        crit = _vgq_bimin

    orth = method in ORTHOGONAL
    engine = gpa_orthogonal if orth else gpa_oblique
    rng = np.random.default_rng(random_state) if n_starts else None
    best = None
    for start in range(n_starts + 1):
        T0 = None if start == 0 else _random_start(k, rng)
        L, T, f, conv, it = engine(A, crit, T=T0, normalize=normalize, eps=eps, maxit=maxit)
        if best is None or (conv and (not best[3] or f < best[2] - 1e-12)):
            best = (L, T, f, conv, it)
    L, T, f, conv, it = best
    if orth:
        return RotationResult(L, eye, T, method, True, conv, it, f)
    rotmat = np.linalg.inv(T).T
    phi = T.T @ T
    return RotationResult(L, phi, rotmat, method, False, conv, it, f)


def align_factors(loadings, phi=None, rotmat=None):
    """Reflect and reorder factors the way ``psych::fa`` does after rotating.

    Each factor is reflected so that its column sum of loadings is
    non-negative; factors are then ordered by decreasing variance accounted
    for, ``diag(Phi L'L)`` (``colSums(L^2)`` when orthogonal).

    Parameters
    ----------
    loadings : array_like, shape (p, k)
    phi : array_like, shape (k, k), optional
    rotmat : array_like, shape (k, k), optional

    Returns
    -------
    loadings, phi, rotmat, order, signs
        Aligned matrices, the column order applied (indices into the input)
        and the sign applied to each input column.
    """
    L = np.asarray(loadings, dtype=float)
    k = L.shape[1]
    phi = np.eye(k) if phi is None else np.asarray(phi, dtype=float)
    signs = np.sign(L.sum(axis=0))
    signs[signs == 0] = 1.0
    L = L * signs[None, :]
    phi = phi * np.outer(signs, signs)
    if rotmat is not None:
        rotmat = np.asarray(rotmat, dtype=float) * signs[None, :]
    ev = np.diag(phi @ L.T @ L)
    order = np.argsort(-ev, kind="stable")
    L = L[:, order]
    phi = phi[np.ix_(order, order)]
    if rotmat is not None:
        rotmat = rotmat[:, order]
    return L, phi, rotmat, order, signs
