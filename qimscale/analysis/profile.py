"""Individual score profiles: standard-error-of-measurement bands and percentile ranks.

A profile places one respondent's scale scores against a reference: the sample (or
the respondent's group in it) or published norms. The reference statistics are
computed once (:func:`profile_reference`) and each respondent's profile is then a
cheap lookup (:func:`respondent_profile`), so profiling every respondent of a study
costs little more than profiling one.

Notes
-----
Standard error of measurement (classical test theory; Lord & Novick 1968; Harvill 1991)::

    SEM = SD * sqrt(1 - reliability)

with SD the standard deviation of the scale score in the reference (the sample's
SD, ``ddof = 1``, or the norms' sd) and reliability Cronbach's alpha of the scale in
the sample (``psych::alpha(x)$total$raw_alpha``) unless the norms give one. The band
is ``score ± z SEM`` with ``z = 1.959964`` (95 %).

Percentile rank against the sample, with ties split (the "mid-rank" definition;
Crocker & Algina 1986, ch. 19)::

    PR = 100 * (n_below + n_equal / 2) / n

over the ``n`` members of the comparison group with a score on the scale (the
respondent included). Against norms (as ``qimscale score --norms``)::

    PR = 100 * Phi((score - mean) / sd)

References
----------
Harvill LM. Standard error of measurement. Educ Meas Issues Pract. 1991;10(2):33-41.
doi:10.1111/j.1745-3992.1991.tb00195.x
Crocker L, Algina J. Introduction to Classical and Modern Test Theory. New York: Holt,
Rinehart and Winston; 1986.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qimscale._core.result import Result
from qimscale.errors import DataError

#: two-sided 95 % normal quantile, the half-width of the SEM band in SEM units
BAND_Z = 1.959963984540054


@dataclass
class ScaleRef:
    """Reference statistics of one scale (or domain) score.

    ``values`` holds the comparison scores per group key (``None``: the whole
    sample), sorted, missing values removed.
    """

    id: str
    label: str
    level: str              # "scale" or "domain"
    domain: str | None
    sd: float
    sd_source: str          # "sample" or "norms"
    reliability: float
    reliability_source: str  # "sample alpha (n = ...)" or "norms file"
    mean: dict              # group key -> mean of the comparison group (sample) or the norms mean
    values: dict            # group key -> sorted scores (sample comparison only)
    norms: tuple | None = None  # (mean, sd) when compared against norms

    @property
    def sem(self) -> float:
        """``SD * sqrt(1 - reliability)``; NaN when the reliability is not in [0, 1]."""
        r = self.reliability
        if not (math.isfinite(r) and 0.0 <= r <= 1.0 and math.isfinite(self.sd)):
            return math.nan
        return self.sd * math.sqrt(1.0 - r)


@dataclass
class ProfileReference(Result):
    """Everything a profile is compared with; built once by :func:`profile_reference`."""

    title = "Profile reference"
    scales: list
    comparison: str          # "sample", "group" or "norms"
    group_col: str | None
    group_sizes: dict        # group key -> number of respondents (None: the whole sample)
    min_cell: int
    low_percentile: float
    n: int
    warnings: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """The reference without any respondent's data (group labels are shown only for groups of at
        least ``min_cell``)."""
        return {"comparison": self.comparison, "group_col": self.group_col, "n": self.n, "min_cell": self.min_cell,
                "low_percentile": self.low_percentile, "band": "95% (score ± 1.96 SEM)",
                "groups": {str(k): v for k, v in self.group_sizes.items() if k is not None and v >= self.min_cell},
                "n_groups_suppressed": sum(1 for k, v in self.group_sizes.items() if k is not None and v < self.min_cell),
                "scales": [{"scale": s.id, "level": s.level, "sd": s.sd, "sd_source": s.sd_source,
                            "reliability": s.reliability, "reliability_source": s.reliability_source, "sem": s.sem}
                           for s in self.scales],
                "warnings": list(self.warnings)}

    def tables(self) -> dict:
        return {"reference": pd.DataFrame(self.to_dict()["scales"])}


@dataclass
class ProfileResult(Result):
    """One respondent's profile.

    ``records`` (one dict per score, display order) and ``rows`` (the same as a DataFrame) hold
    ``scale, label, level, domain, score, sem, band_lower, band_upper, reliability,
    reliability_source, sd, sd_source, reference_mean, percentile, n_reference, low``.
    """

    title = "Competency profile"
    records: list
    comparison: str
    group: object
    n_reference: int
    low_percentile: float
    warnings: list = field(default_factory=list)

    @property
    def rows(self) -> pd.DataFrame:
        return pd.DataFrame(self.records)

    @property
    def low_scales(self) -> list:
        """Sub-scales (not domains) whose percentile is below ``low_percentile``."""
        return [r["scale"] for r in self.records if r["level"] == "scale" and r["low"]]

    def to_dict(self) -> dict:
        return {"comparison": self.comparison, "n_reference": self.n_reference,
                "low_percentile": self.low_percentile, "low_scales": self.low_scales,
                "scales": [dict(r) for r in self.records], "warnings": list(self.warnings)}

    def tables(self) -> dict:
        return {"profile": self.rows}


def percentile_rank(sorted_values: np.ndarray, x: float) -> float:
    """Mid-rank percentile of ``x`` among ``sorted_values`` (ties count half).

    >>> percentile_rank(np.array([1.0, 2.0, 2.0, 3.0]), 2.0)
    50.0
    >>> percentile_rank(np.array([1.0, 2.0, 3.0, 4.0]), 4.0)
    87.5
    """
    n = len(sorted_values)
    if n == 0 or not math.isfinite(x):
        return math.nan
    below = int(np.searchsorted(sorted_values, x, side="left"))
    upto = int(np.searchsorted(sorted_values, x, side="right"))
    return 100.0 * (below + 0.5 * (upto - below)) / n


def _norms_table(norms: pd.DataFrame | None, ids: list, source: str) -> dict:
    """``scale -> (mean, sd, reliability or nan)`` from a norms table, checked."""
    if norms is None:
        return {}
    cols = {str(c).strip().lower(): c for c in norms.columns}
    missing = [c for c in ("scale", "mean", "sd") if c not in cols]
    if missing:
        raise DataError(f"{source}: the norms need the columns scale, mean, sd (and optionally reliability); "
                        f"missing {', '.join(missing)}")
    out = {}
    for i, r in enumerate(norms.itertuples(index=False), start=2):
        rec = dict(zip(norms.columns, r))
        name = str(rec[cols["scale"]]).strip()
        if name in out:
            raise DataError(f"{source}: row {i}: scale {name!r} is listed twice; keep one row per scale")
        vals = []
        for key in ("mean", "sd", "reliability"):
            v = rec[cols[key]] if key in cols else math.nan
            try:
                vals.append(float(v))
            except (TypeError, ValueError):
                raise DataError(f"{source}: row {i}, column '{key}': value {v!r} is not a number") from None
        mu, sd, rel = vals
        if not (math.isfinite(mu) and math.isfinite(sd) and sd > 0):
            raise DataError(f"{source}: row {i}: scale {name!r} needs a finite mean and a positive sd; got {mu}, {sd}")
        if math.isfinite(rel) and not 0 <= rel < 1:
            raise DataError(f"{source}: row {i}, column 'reliability': value {rel} is outside [0, 1)")
        out[name] = (mu, sd, rel)
    unknown = [n for n in out if n not in ids]
    if unknown:
        raise DataError(f"{source}: scale {unknown[0]!r} is not a scale or domain score of the data; scores are "
                        + ", ".join(ids))
    return out


def profile_reference(scores: pd.DataFrame, scales: list, *, alphas: dict, norms: pd.DataFrame | None = None,
                      groups: pd.Series | None = None, group_col: str | None = None, min_cell: int = 5,
                      low_percentile: float = 25.0, source: str = "data",
                      norms_source: str = "norms") -> ProfileReference:
    """Reference statistics for profiles: SD, reliability and comparison scores per scale.

    Parameters
    ----------
    scores : DataFrame
        One row per respondent; a numeric column per scale / domain id in ``scales``.
    scales : list of dict
        ``{"id", "label", "level" ("scale"|"domain"), "domain"}`` in display order.
    alphas : dict
        ``id -> (alpha, n)``: Cronbach's alpha of each score in the sample (from
        :func:`qimscale.analysis.reliability.alpha`); used unless the norms give a reliability.
    norms : DataFrame, optional
        Columns ``scale, mean, sd`` and optionally ``reliability``: compare against these
        (percentile ``100 Phi(z)``) instead of the sample. Scales the norms omit are
        compared against the sample, and a warning says which.
    groups : Series, optional
        The respondents' group (``--group``): percentiles within the respondent's group.
    min_cell : int
        Smallest comparison group a profile may be made against (default 5).
    low_percentile : float
        A sub-scale below this percentile is flagged for development (default 25).

    Returns
    -------
    ProfileReference

    Raises
    ------
    DataError
        A score column is missing or not numeric; the norms are malformed.
    """
    ids = [s["id"] for s in scales]
    nt = _norms_table(norms, ids, norms_source)
    absent = [i for i in ids if i not in scores.columns]
    if absent:
        raise DataError(f"{source}: no score column {absent[0]!r}; profile needs the output of 'qimscale score'")
    keys = [None] if groups is None else sorted(pd.unique(groups.dropna()), key=str)
    masks = {None: np.ones(len(scores), dtype=bool)} if groups is None else {k: (groups == k).to_numpy() for k in keys}
    sizes = {k: int(m.sum()) for k, m in masks.items()}
    refs, warnings = [], []
    no_norms = []
    for s in scales:
        col = scores[s["id"]]
        if not pd.api.types.is_numeric_dtype(col):
            raise DataError(f"{source}: column {s['id']!r} is not numeric; profile needs the output of 'qimscale score'")
        x = col.to_numpy(dtype=float)
        a, n_a = alphas.get(s["id"], (math.nan, 0))
        if s["id"] in nt:
            mu, sd, rel = nt[s["id"]]
            rel_src = "norms file" if math.isfinite(rel) else f"sample alpha (n = {n_a})"
            rel = rel if math.isfinite(rel) else a
            refs.append(ScaleRef(s["id"], s["label"], s["level"], s.get("domain"), sd, "norms", rel, rel_src,
                                 {k: mu for k in masks}, {}, norms=(mu, sd)))
            continue
        if nt:
            no_norms.append(s["id"])
        finite = np.isfinite(x)
        sd = float(np.std(x[finite], ddof=1)) if finite.sum() > 1 else math.nan
        values = {k: np.sort(x[m & finite]) for k, m in masks.items()}
        means = {k: float(v.mean()) if len(v) else math.nan for k, v in values.items()}
        refs.append(ScaleRef(s["id"], s["label"], s["level"], s.get("domain"), sd, "sample", a,
                             f"sample alpha (n = {n_a})", means, values))
        if not math.isfinite(a) or not 0 <= a <= 1:
            warnings.append(f"{s['id']}: alpha in the sample is {a:.3f}; no SEM band can be drawn for it")
    if no_norms:
        warnings.append("the norms give no row for " + ", ".join(no_norms) + "; these are compared with the sample")
    comparison = "norms" if nt else ("group" if groups is not None else "sample")
    return ProfileReference(scales=refs, comparison=comparison, group_col=group_col, group_sizes=sizes,
                            min_cell=min_cell, low_percentile=float(low_percentile), n=len(scores),
                            warnings=warnings)


def respondent_profile(ref: ProfileReference, row, group=None) -> ProfileResult:
    """The profile of one respondent (``row``: their scores, a Series or a dict by score id) against ``ref``.

    Raises
    ------
    DataError
        The comparison group has fewer than ``ref.min_cell`` respondents (the profile is
        suppressed); the message names neither the respondent nor the group.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0]})
    >>> ref = profile_reference(d, [{"id": "a", "label": "A", "level": "scale"}], alphas={"a": (0.75, 5)})
    >>> p = respondent_profile(ref, d.iloc[3])
    >>> r = p.rows.iloc[0]
    >>> round(float(r["sem"]), 6), float(r["percentile"])
    (0.790569, 70.0)
    """
    key = group if ref.group_col else None
    n_ref = ref.group_sizes.get(key, 0)
    if n_ref < ref.min_cell:
        where = "the respondent's group" if ref.group_col else "the sample"
        raise DataError(f"profile suppressed: {where} has {n_ref} respondent(s), fewer than --min-cell "
                        f"{ref.min_cell}; a profile against so few could identify them")
    rows, warnings = [], []
    for s in ref.scales:
        v = row[s.id]
        x = float(v) if v is not None and not (isinstance(v, float) and math.isnan(v)) else math.nan
        sem = s.sem
        if s.norms is not None:
            mu, sd = s.norms
            pct = 100.0 * _ndtr((x - mu) / sd) if math.isfinite(x) else math.nan
            n_s, mean = None, mu
        else:
            v = s.values[key]
            n_s, mean = len(v), s.mean[key]
            pct = percentile_rank(v, x) if n_s >= ref.min_cell else math.nan
            if n_s < ref.min_cell and math.isfinite(x):
                warnings.append(f"{s.id}: only {n_s} respondent(s) of the comparison group have this score; "
                                "no percentile is given")
        half = BAND_Z * sem
        rows.append({"scale": s.id, "label": s.label, "level": s.level, "domain": s.domain, "score": x,
                     "sem": sem, "band_lower": x - half, "band_upper": x + half,
                     "reliability": s.reliability, "reliability_source": s.reliability_source,
                     "sd": s.sd, "sd_source": s.sd_source, "reference_mean": mean, "percentile": pct,
                     "n_reference": n_s, "low": bool(math.isfinite(pct) and pct < ref.low_percentile)})
    return ProfileResult(records=rows, comparison=ref.comparison, group=key, n_reference=n_ref,
                         low_percentile=ref.low_percentile, warnings=warnings)


def _ndtr(z: float) -> float:
    """Standard normal CDF (as ``scipy.special.ndtr``)."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))
