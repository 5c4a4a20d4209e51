"""Assumption checks reported beside the tests: Shapiro–Wilk per group, Levene and Brown–Forsythe."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as _st

from qimscale.analysis.compare.k_groups import _Groups, oneway_anova


_NAN = math.nan
# scipy.stats.shapiro without its axis/NaN-policy wrapper (about 0.3 ms a call; the input here is always a
# 1-D array of at least 3 finite values), or the public function when the wrapper does not expose it
_SHAPIRO = getattr(_st.shapiro, "__wrapped__", _st.shapiro)


def _levene(groups, center: str) -> dict:
    """Levene (``center="mean"``) or Brown–Forsythe (``"median"``) test: the ANOVA of absolute deviations,
    as ``car::leveneTest(y ~ g, center = mean | median)``."""
    gs = _Groups.of(groups)
    n, m, _ = gs.moments
    sizes = n.astype(int)
    dev = np.abs(gs.values - np.repeat(m if center == "mean" else gs.medians, sizes))
    r = oneway_anova(_Groups(dev, sizes, is_sorted=False))
    return {"statistic": r["statistic"], "df": r["df"], "df2": r["df2"], "p": r["p"]}


def _shapiro(x) -> tuple[float, float]:
    """Shapiro–Wilk W and p (``shapiro.test``; Royston's algorithm), NaN outside 3..5000 values or when constant."""
    if not 3 <= x.size <= 5000 or np.ptp(x) == 0:
        return _NAN, _NAN
    w, p = _SHAPIRO(x)
    return float(w), float(p)
