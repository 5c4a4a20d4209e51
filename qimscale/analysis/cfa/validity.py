"""Reliability and validity per factor: composite reliability (ω), AVE, HTMT, Fornell–Larcker."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


__all__ = ["ValidityMixin", "htmt_matrix"]


class ValidityMixin:
    """Adds :meth:`reliability`, :meth:`fornell_larcker` and :meth:`htmt` to :class:`~.results.CFAResult`."""

    def _loadings(self, g=0):
        est = self._row_estimates()
        lam = {}
        for r, e in zip(self.partable_.rows, est):
            if r["op"] == "=~" and r["group"] == g + 1 and r["rhs"] in self.model_.pos and r["rhs"] in self.partable_.ov:
                lam.setdefault(r["lhs"], {})[r["rhs"]] = e
        return lam

    def reliability(self, group: int = 0) -> pd.DataFrame:
        """Composite reliability (ω) and AVE per factor.

        Returns
        -------
        DataFrame
            Index: factors; columns ``omega`` (``(Σλ)² ψ / 1'S1`` over the
            factor's indicators, with ``S`` the observed covariance matrix) and
            ``ave`` (``Σ λ² ψ / Σ s_ii``).

        Notes
        -----
        Matches ``semTools::compRelSEM(fit)`` and ``semTools::AVE(fit)``
        (``obs.var = TRUE``). Raykov (1997), doi:10.1177/01466216970212006;
        Fornell & Larcker (1981), doi:10.1177/002224378101800104.
        """
        C, _ = self.model_.total_moments(self.theta_, group)
        S = self.groups_[group].cov
        ovpos = {v: i for i, v in enumerate(self.partable_.ov)}
        recs = {}
        for f, lam in self._loadings(group).items():
            idx = [ovpos[v] for v in lam]
            lv = np.array(list(lam.values()))
            psi = C[self.model_.pos[f], self.model_.pos[f]]
            sub = S[np.ix_(idx, idx)]
            recs[f] = {"omega": lv.sum() ** 2 * psi / sub.sum(), "ave": np.sum(lv ** 2) * psi / np.trace(sub)}
        return pd.DataFrame.from_dict(recs, orient="index")

    def fornell_larcker(self, group: int = 0) -> pd.DataFrame:
        """Factor correlations with √AVE on the diagonal (Fornell & Larcker 1981)."""
        C, _ = self.model_.total_moments(self.theta_, group)
        lv = [f for f in self.partable_.lv]
        idx = [self.model_.pos[f] for f in lv]
        sub = C[np.ix_(idx, idx)]
        sd = np.sqrt(np.diag(sub))
        R = sub / np.outer(sd, sd)
        ave = self.reliability(group)["ave"]
        for i, f in enumerate(lv):
            R[i, i] = math.sqrt(ave[f]) if f in ave and ave[f] >= 0 else math.nan
        return pd.DataFrame(R, index=lv, columns=lv)

    def htmt(self, group: int = 0, *, geometric: bool = True) -> pd.DataFrame:
        """Heterotrait–monotrait ratio of correlations between factors.

        Parameters
        ----------
        group : int
            0-based group index.
        geometric : bool
            Use geometric means (HTMT2, Roemer, Schuberth & Henseler 2021,
            doi:10.1108/IMDS-02-2021-0082; semTools' default ``htmt2 = TRUE``)
            instead of arithmetic means (the original HTMT).

        Returns
        -------
        DataFrame
            Factors × factors; 1 on the diagonal.

        Notes
        -----
        ``HTMT_ij = m(|r_ab|; a in i, b in j) / sqrt(m(|r_aa'|; i) m(|r_bb'|; j))``
        over the sample correlations of the indicators, ``m`` the (geometric)
        mean over distinct pairs (Henseler, Ringle & Sarstedt 2015,
        doi:10.1007/s11747-014-0403-8). Matches ``semTools::htmt(model, data)``.
        """
        gd = self.groups_[group]
        sd = np.sqrt(np.diag(gd.cov))
        lam = self._loadings(group)
        indicators = {f: list(lam[f]) for f in self.partable_.lv if f in lam}
        return htmt_matrix(gd.cov / np.outer(sd, sd), self.partable_.ov, indicators, geometric=geometric)


def htmt_matrix(R, items, indicators: dict, *, geometric: bool = True) -> pd.DataFrame:
    """HTMT (``geometric``: HTMT2) of the factors ``indicators = {factor: [item, ...]}``.

    ``R`` is the items' correlation matrix (Pearson, or polychoric for ordinal
    items), in the order of ``items``; see :meth:`ValidityMixin.htmt`.
    """
    R = np.abs(np.asarray(R, dtype=float))
    pos = {v: i for i, v in enumerate(items)}
    facs = list(indicators)
    idx = {f: [pos[v] for v in indicators[f]] for f in facs}

    def mean(x):
        x = np.asarray(x, dtype=float).ravel()
        return float(np.exp(np.mean(np.log(x)))) if geometric else float(np.mean(x))

    mono = {}
    for f in facs:
        k = len(idx[f])
        sub = R[np.ix_(idx[f], idx[f])]
        mono[f] = mean(sub[np.tril_indices(k, -1)]) if k > 1 else math.nan
    out = np.eye(len(facs))
    for i, a in enumerate(facs):
        for j in range(i + 1, len(facs)):  # once per pair: symmetric to the last bit
            b = facs[j]
            out[i, j] = out[j, i] = mean(R[np.ix_(idx[a], idx[b])]) / math.sqrt(mono[a] * mono[b])
    return pd.DataFrame(out, index=facs, columns=facs)

