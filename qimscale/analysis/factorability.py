"""Is a correlation matrix worth factoring? KMO and Bartlett's test of sphericity.

References
----------
Kaiser, H. F. (1970). A second generation little jiffy. *Psychometrika*, 35,
401-415. https://doi.org/10.1007/BF02291817

Kaiser, H. F., & Rice, J. (1974). Little Jiffy, Mark IV. *Educational and
Psychological Measurement*, 34, 111-117. https://doi.org/10.1177/001316447403400115

Bartlett, M. S. (1951). The effect of standardization on a chi square
approximation in factor analysis. *Biometrika*, 38, 337-344.
https://doi.org/10.2307/2332580
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from qimscale._core.distributions import chi2_sf
from qimscale._core.linalg import is_positive_definite, is_singular
from qimscale._core.result import Result, row_table
from qimscale.analysis.factoring import as_correlation
from qimscale.errors import DataError

__all__ = ["KMOResult", "BartlettResult", "FactorabilityResult", "kmo", "bartlett_sphericity", "factorability"]


@dataclass
class KMOResult(Result):
    """Kaiser-Meyer-Olkin measure of sampling adequacy.

    Attributes
    ----------
    overall : float
        Overall MSA (psych ``$MSA``).
    items : Series
        Per-item MSA (psych ``$MSAi``), indexed by item.
    """

    overall: float
    items: pd.Series

    title = "Kaiser-Meyer-Olkin measure of sampling adequacy"

    def to_dict(self) -> dict:
        """``kmo`` (overall MSA) and ``kmo_items`` (item -> MSA)."""
        return {"kmo": float(self.overall), "kmo_items": {str(k): float(v) for k, v in self.items.items()}}

    def tables(self) -> dict[str, pd.DataFrame]:
        """``"items"``: one row per item, ``item, msa``."""
        return {"items": pd.DataFrame({"item": [str(k) for k in self.items.index],
                                       "msa": self.items.to_numpy(dtype=float)})}

    def summary(self) -> str:
        """Overall and per-item MSA as text."""
        return f"KMO = {self.overall:.3f}\n" + self.tables()["items"].to_string(
            index=False, float_format=lambda v: f"{v:.3f}")


@dataclass
class BartlettResult(Result):
    """Bartlett's test that the correlation matrix is an identity.

    Attributes
    ----------
    chisq, df, p : float
        Statistic, degrees of freedom and p-value.
    n_obs : int
        Sample size used.
    """

    chisq: float
    df: float
    p: float
    n_obs: int

    title = "Bartlett's test of sphericity"

    def tables(self) -> dict[str, pd.DataFrame]:
        """``"test"``: one row ``chisq, df, p, n_obs``."""
        return {"test": row_table(self.to_dict())}

    def summary(self) -> str:
        """The test as one line."""
        return f"Bartlett's test: chisq = {self.chisq:.3f}, df = {self.df:g}, p = {self.p:.4g}, n = {self.n_obs}"


@dataclass
class FactorabilityResult(Result):
    """KMO and Bartlett's test together (the ``qimscale factorability`` output)."""

    kmo: KMOResult
    bartlett: BartlettResult

    def to_dict(self) -> dict:
        """JSON form: ``kmo``, ``kmo_items`` (item -> MSA), ``bartlett_chisq``, ``bartlett_df``,
        ``bartlett_p``, ``n_obs``."""
        return {
            "kmo": self.kmo.overall,
            "kmo_items": {str(k): float(v) for k, v in self.kmo.items.items()},
            "bartlett_chisq": self.bartlett.chisq,
            "bartlett_df": self.bartlett.df,
            "bartlett_p": self.bartlett.p,
            "n_obs": self.bartlett.n_obs,
        }

    title = "Factorability"

    def tables(self) -> dict[str, pd.DataFrame]:
        """``"kmo_items"`` (``item, msa``) and ``"bartlett"`` (one row; with the overall ``kmo``)."""
        return {"kmo_items": self.kmo.tables()["items"],
                "bartlett": row_table({"kmo": float(self.kmo.overall), **self.bartlett.to_dict()})}

    def summary(self) -> str:
        """KMO and Bartlett's test as text."""
        return self.kmo.summary() + "\n" + self.bartlett.summary()


def kmo(data) -> KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, overall and per item.

    Matches ``psych::KMO(r)`` (``cor(x, use="pairwise")`` for raw data).

    Parameters
    ----------
    data : DataFrame or array_like
        Raw responses (pairwise correlations) or a correlation matrix.

    Returns
    -------
    KMOResult
        ``overall`` and ``items``.

    Raises
    ------
    DataError
        Singular correlation matrix (the partial correlations do not exist).

    Notes
    -----
    With ``Q`` the anti-image (partial) correlations, ``q_ij = -s_ij /
    sqrt(s_ii s_jj)`` for ``S = R^-1``: ``MSA = sum_{i!=j} r_ij^2 /
    (sum_{i!=j} r_ij^2 + sum_{i!=j} q_ij^2)``; per item the sums run over
    column ``i`` only.

    References
    ----------
    Kaiser, H. F. (1970). https://doi.org/10.1007/BF02291817

    Examples
    --------
    >>> import numpy as np
    >>> R = np.array([[1, .5, .4], [.5, 1, .3], [.4, .3, 1]])
    >>> round(kmo(R).overall, 4)
    0.6279
    """
    R, _n, _np, items, _raw = as_correlation(data)
    if is_singular(R):   # an eigenvalue within the package's tolerance (RTOL) of zero
        raise DataError("KMO: the correlation matrix is singular (an item is a linear combination of "
                        "others); drop redundant items")
    S = np.linalg.inv(R)
    d = 1.0 / np.sqrt(np.diag(S))
    Q = S * np.outer(d, d)
    np.fill_diagonal(Q, 0.0)
    r = R.copy()
    np.fill_diagonal(r, 0.0)
    r2 = r * r
    q2 = Q * Q
    overall = float(r2.sum() / (r2.sum() + q2.sum()))
    per = r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0))
    return KMOResult(overall, pd.Series(per, index=items, name="msa"))


def bartlett_sphericity(data, n_obs=None) -> BartlettResult:
    """Bartlett's test of sphericity.

    Matches ``psych::cortest.bartlett(R, n)``.

    Parameters
    ----------
    data : DataFrame or array_like
        Raw responses or a correlation matrix.
    n_obs : int, optional
        Sample size. Defaults to the number of rows of raw data; required for
        a correlation matrix (psych silently uses 100; qimscale refuses).

    Returns
    -------
    BartlettResult

    Raises
    ------
    DataError
        No sample size for a correlation matrix, or a singular matrix.

    Notes
    -----
    ``chisq = -log|R| (n - 1 - (2p + 5)/6)`` on ``p(p-1)/2`` degrees of freedom.

    References
    ----------
    Bartlett, M. S. (1951). https://doi.org/10.2307/2332580

    Examples
    --------
    >>> import numpy as np
    >>> R = np.array([[1, .5, .4], [.5, 1, .3], [.4, .3, 1]])
    >>> res = bartlett_sphericity(R, n_obs=100)
    >>> round(res.chisq, 4), res.df
    (46.4491, 3.0)
    """
    R, n, _np, _items, _raw = as_correlation(data, n_obs)
    if n is None:
        raise DataError("Bartlett's test of a correlation matrix needs the sample size (n_obs)")
    p = R.shape[0]
    if not is_positive_definite(R):
        raise DataError("Bartlett's test: the correlation matrix is singular or not positive definite")
    logdet = float(np.linalg.slogdet(R)[1])
    chisq = float(-logdet * (n - 1 - (2 * p + 5) / 6))
    df = p * (p - 1) / 2
    return BartlettResult(chisq, float(df), float(chi2_sf(chisq, df)), int(n))


def factorability(data, n_obs=None, *, cor: str = "pearson") -> FactorabilityResult:
    """KMO and Bartlett's test in one call (the ``qimscale factorability`` command).

    Matches ``psych::KMO(r)`` and ``psych::cortest.bartlett(r, n)``.

    Parameters
    ----------
    data : DataFrame or array_like
        Raw responses (pairwise correlations) or a correlation matrix.
    n_obs : int, optional
        Sample size (defaults to the number of rows of raw data).
    cor : {"pearson", "polychoric"}
        Correlations of raw data (pairwise deletion): Pearson (``cor(x, use="pairwise")``) or
        polychoric (``psych::polychoric(x)$rho``, as ``psych::fa(x, cor="poly")`` builds them).
        Ignored for a correlation matrix.

    Returns
    -------
    FactorabilityResult
    """
    R, n, _np, items, _raw = as_correlation(data, n_obs, cor)   # once, not once per test
    R = pd.DataFrame(R, index=items, columns=items)
    return FactorabilityResult(kmo(R), bartlett_sphericity(R, n))
