"""Honest responses simulated from the instrument's model, and the false-positive rates of the quality flags.

A careless-responding flag is only as good as the share of honest respondents
it leaves alone. :func:`honest_responses` draws Likert answers from a
correlated-factor model of the instrument (one factor per scale, loadings of
the keyed sign, categories cut from normal latent responses, a few "not
applicable" answers); :func:`false_positive_rates` runs the default
``qc_*`` flags on such data and reports the share of respondents each flag
marks. The defaults of :mod:`qimscale.scoring.quality` are checked against
these rates in the tests (at most 5 % per flag, 10 % for ``qc_flagged``).

The model is an assumption, stated in full in :func:`honest_responses`: its
numbers are typical of validated Likert scales, not estimates for any study.

References
----------
Curran, P. G. (2016). Methods for the detection of carelessly invalid responses
in survey data. *Journal of Experimental Social Psychology, 66*, 4-19.
https://doi.org/10.1016/j.jesp.2015.07.006
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: share of respondents in each category of a 5-point scale, from "strongly disagree" up
#: (answers about one's competencies lean towards agreement)
CATEGORY_SHARES_5 = (0.04, 0.11, 0.25, 0.38, 0.22)


def honest_responses(instrument=None, n: int = 600, *, seed: int = 0, na_rate: float = 0.03,
                     loadings=(0.60, 0.85), r_domain: float = 0.60, r_other: float = 0.40,
                     threshold_sd: float = 0.25, study_codes: bool = True) -> pd.DataFrame:
    """Simulate honest (attentive) answers to every scored item of an instrument.

    Parameters
    ----------
    instrument : str, Path or Instrument, optional
        Default: the bundled QIM instrument.
    n : int
        Respondents.
    seed : int
        Seed of the random generator (same seed, same data on every machine).
    na_rate : float
        Chance that an answer is "not applicable" (the instrument's N/A code,
        9 in the bundled instrument), independently per answer.
    loadings : (float, float)
        Standardised loadings are drawn uniformly from this range.
    r_domain, r_other : float
        Correlation of two scale factors of the same domain, of different domains.
    threshold_sd : float
        SD of each item's shift of the category thresholds (items differ in difficulty).
    study_codes : bool
        Add ``qim_id``, ``org_id``, ``team_id`` (study codes: 60 organisations, 3
        teams each) as the first columns.

    Returns
    -------
    pandas.DataFrame
        One row per respondent: the study codes (if asked), then one column per
        scored item with integer codes as a survey export holds them (raw, not
        reverse-keyed; N/A as the instrument's code).

    Notes
    -----
    Model: factors :math:`f \\sim N(0, \\Phi)` with one factor per scale and
    :math:`\\Phi_{st}` = ``r_domain`` within a domain, ``r_other`` across;
    latent response :math:`y_j = s_j \\lambda_j f_{s(j)} + \\sqrt{1 - \\lambda_j^2}\\, e_j`
    with :math:`s_j = -1` for reverse-keyed items; category
    :math:`c = 1 + \\#\\{\\tau_{jk} < y_j\\}` with thresholds at the normal
    quantiles of :data:`CATEGORY_SHARES_5` (equal shares for other scale
    lengths) shifted by :math:`N(0, \\text{threshold\\_sd}^2)` per item.

    Examples
    --------
    >>> df = honest_responses(n=5, seed=1)
    >>> df.shape, list(df.columns[:4])
    ((5, 58), ['qim_id', 'org_id', 'team_id', 'exp_meth_1'])
    """
    from scipy.special import ndtri

    from qimscale.instrument import Instrument, load_instrument

    inst = instrument if isinstance(instrument, Instrument) else load_instrument(instrument)
    rng = np.random.default_rng(seed)
    scales = [sc for sc in inst.scales if inst.scale_items(sc.id)]
    f_count = len(scales)
    phi = np.full((f_count, f_count), r_other)
    for a, sa in enumerate(scales):
        for b, sb in enumerate(scales):
            if a != b and sa.domain == sb.domain:
                phi[a, b] = r_domain
    np.fill_diagonal(phi, 1.0)
    factors = rng.standard_normal((n, f_count)) @ np.linalg.cholesky(phi).T
    cols: dict[str, np.ndarray] = {}
    if study_codes:
        org = rng.integers(1, 61, size=n)
        cols["qim_id"] = np.array([f"Q{i + 1:04d}" for i in range(n)])
        cols["org_id"] = np.array([f"ORG{o:02d}" for o in org])
        cols["team_id"] = np.array([f"ORG{o:02d}-T{t}" for o, t in zip(org, rng.integers(1, 4, size=n))])
    for s, sc in enumerate(scales):
        for it in inst.scale_items(sc.id):
            rs = inst.response_scale(it.id)
            codes = np.asarray(rs.codes)
            k = len(codes)
            shares = np.asarray(CATEGORY_SHARES_5) if k == 5 else np.full(k, 1.0 / k)
            tau = ndtri(np.cumsum(shares)[:-1]) + rng.normal(0.0, threshold_sd)
            lam = rng.uniform(*loadings)
            y = lam * factors[:, s] + np.sqrt(1.0 - lam * lam) * rng.standard_normal(n)
            if it.reverse:
                y = -y
            x = codes[np.searchsorted(tau, y)]
            if rs.na_code is not None and na_rate > 0:
                x = np.where(rng.random(n) < na_rate, rs.na_code, x)
            cols[it.id] = x
    return pd.DataFrame(cols)


def false_positive_rates(instrument=None, n: int = 2000, *, seeds=(1, 2, 3), **model) -> dict:
    """Share of simulated honest respondents each default quality flag marks.

    Parameters
    ----------
    instrument : str, Path or Instrument, optional
        Default: the bundled QIM instrument.
    n : int
        Respondents per replication.
    seeds : iterable of int
        One replication per seed; the rates are pooled over them.
    **model
        Passed to :func:`honest_responses`.

    Returns
    -------
    dict
        ``{flag: rate}`` for every flag :func:`~qimscale.scoring.quality.quality_flags`
        computes on these data (``qc_flagged`` included), plus ``"skipped"``:
        the notes of flags not computed (e.g. even-odd with too few scales).

    Examples
    --------
    >>> rates = false_positive_rates(n=400, seeds=(1,))
    >>> rates["qc_flagged"] <= 0.10
    True
    """
    from qimscale.instrument import Instrument, load_instrument
    from qimscale.scoring.quality import quality_flags
    from qimscale.scoring.spec import ScoringSpec

    inst = instrument if isinstance(instrument, Instrument) else load_instrument(instrument)
    spec = ScoringSpec.from_instrument(inst)
    counts: dict[str, int] = {}
    total, skipped = 0, {}
    for seed in seeds:
        df = honest_responses(inst, n, seed=seed, study_codes=False, **model)
        codes = pd.DataFrame({i: df[i].where(df[i] != (spec.items[i].na_code if spec.items[i].na_code is not None
                                                         else np.inf)).astype(float) for i in spec.items})
        flags, info = quality_flags(codes, spec)
        for f in info["flags"] + ["qc_flagged"]:
            counts[f] = counts.get(f, 0) + int(flags[f].sum())
        skipped.update({k: v for k, v in info.items() if k.endswith("_skipped")})
        total += n
    out = {f: c / total for f, c in counts.items()}
    out["skipped"] = skipped
    return out
