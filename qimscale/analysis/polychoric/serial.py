"""Polyserial correlation of a continuous and an ordinal variable."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from qimscale.analysis.polychoric.cells import _bounds
from qimscale.analysis.polychoric.engine import _RHO_MAX
from qimscale.analysis.polychoric.pair import _paired_vectors
from qimscale.analysis.polychoric.thresholds import ordinal_codes, univariate_thresholds
from qimscale.errors import DataError

__all__ = ["polyserial"]


def polyserial(x, y, *, ml: bool = False) -> float:
    """Polyserial correlation of a continuous and an ordinal variable.

    Parameters
    ----------
    x : array_like
        Continuous variable (NaN = missing).
    y : array_like
        Ordinal variable (NaN = missing).
    ml : bool, default False
        ``False``: polycor's default two-step "ad hoc" estimator (Olsson,
        Drasgow & Dorans, 1982, eq. 20). ``True``: two-step maximum likelihood
        with the thresholds fixed at their marginal estimates.

    Returns
    -------
    float
        The polyserial correlation :math:`\\rho`.

    Raises
    ------
    DataError
        If lengths differ, a value is infinite, fewer than 3 complete cases,
        ``x`` is constant or ``y`` has fewer than 2 observed categories.

    Notes
    -----
    Complete cases only. Thresholds :math:`\\tau_c = \\Phi^{-1}(\\text{cumulative
    proportion of } y \\le c)`. With ``y`` recoded to ranks ``1..K``:

    * ad hoc: :math:`\\hat\\rho = r_{xy}\\, s_y \\sqrt{(n-1)/n} \\,/\\, \\sum_c \\phi(\\tau_c)`
      (:math:`r_{xy}` Pearson, :math:`s_y` the ``n-1`` standard deviation of
      the ranks), exactly as ``polycor::polyserial(x, y)``;
    * ML: :math:`z = (x - \\bar x)/s_x` (``n-1`` SD, R's ``scale``) and
      :math:`\\rho` maximises :math:`\\sum_i \\log[\\Phi(\\tau^*_{y_i}) -
      \\Phi(\\tau^*_{y_i-1})]`, :math:`\\tau^*_c = (\\tau_c - \\rho z_i)/\\sqrt{1-\\rho^2}`,
      as ``polycor::polyserial(x, y, std.err=TRUE)$rho`` (which optimises
      ``rho`` with the thresholds fixed).

    Matches ``polycor::polyserial(x, y)`` (``ml=False``) and
    ``polycor::polyserial(x, y, std.err=TRUE)$rho`` (``ml=True``).

    References
    ----------
    Olsson, U., Drasgow, F., & Dorans, N. J. (1982). The polyserial
    correlation coefficient. *Psychometrika*, 47, 337-347.
    https://doi.org/10.1007/BF02294164

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> z = rng.multivariate_normal([0, 0], [[1, .6], [.6, 1]], size=2000)
    >>> y = np.digitize(z[:, 1], [-.5, .5])
    >>> round(polyserial(z[:, 0], y), 1), round(polyserial(z[:, 0], y, ml=True), 1)
    (0.6, 0.6)
    """
    from scipy.optimize import minimize_scalar

    x, y = _paired_vectors(x, y)
    ok = ~np.isnan(x) & ~np.isnan(y)
    x, y = x[ok], y[ok]
    if x.size < 3:
        raise DataError(f"polyserial needs at least 3 complete cases; got {x.size}")
    sd = x.std(ddof=1)
    if sd == 0:
        raise DataError("the continuous variable is constant; the polyserial correlation is undefined")
    codes, cats = ordinal_codes(y)
    if len(cats) < 2:
        raise DataError(f"the ordinal variable has a single observed category ({cats.tolist()}); "
                        f"the polyserial correlation is undefined")
    tau = univariate_thresholds(y)
    n = x.size
    if not ml:
        ranks = codes.astype(float)
        r_xy = np.corrcoef(x, ranks)[0, 1]
        phi = np.exp(-0.5 * tau * tau) / np.sqrt(2.0 * np.pi)
        return float(np.sqrt((n - 1) / n) * ranks.std(ddof=1) * r_xy / phi.sum())
    z = (x - x.mean()) / sd
    b = _bounds(tau)
    lo, hi = b[codes], b[codes + 1]

    def nll(r: float) -> float:
        s = np.sqrt(1.0 - r * r)
        pr = ndtr((hi - r * z) / s) - ndtr((lo - r * z) / s)
        return -np.sum(np.log(np.maximum(pr, 1e-300)))

    res = minimize_scalar(nll, bounds=(-_RHO_MAX, _RHO_MAX), method="bounded",
                          options={"xatol": 1e-10, "maxiter": 500})
    return float(res.x)
