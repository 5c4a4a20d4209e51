"""A population model for Likert survey data, and seeded draws from it.

The generating model (all latent variables standardised in the reference group):

1. Respondents belong to an organisation (random intercepts), a country and a
   group (e.g. traditional vs clinical QI managers).
2. Competency factors ``F`` (one per sub-scale) are multivariate normal with
   correlation matrix ``factor_corr``, group mean differences ``group_means``
   (in SD units) and an organisation share of variance ``icc_factors``.
3. The outcome factor is a latent regression on domain composites (the
   standardised mean of a domain's factors) with one product term:
   ``eta = sum_d b_d D_d + b_int D_a D_b + u_org + e``, scaled so its total
   variance is about 1 with ``icc_outcome`` of it between organisations.
4. Each item is an ordinal indicator of one factor: ``y* = lambda F + sqrt(1 -
   lambda^2) e + shift``, cut at the item's thresholds into codes
   ``1..K``; a reverse-keyed (negatively worded) item reports ``K + 1 - code``.
   ``shift`` is zero except for planted non-invariance (an intercept shift of an
   item in one country).
5. Careless responders answer uniformly at random or give one answer
   throughout; then cells are made not-applicable (``na_code``) or blank
   completely at random.

References
----------
Muthén, B. (1984). A general structural equation model with dichotomous,
ordered categorical, and continuous latent variable indicators.
*Psychometrika*, 49, 115-132. doi:10.1007/BF02294210

Bliese, P. D. (2000). Within-group agreement, non-independence, and reliability.
In K. J. Klein & S. W. J. Kozlowski (Eds.), *Multilevel theory, research and
methods in organizations* (pp. 349-381). Jossey-Bass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qimscale.errors import ModelError


@dataclass
class Population:
    """A generating model for ordinal survey data (see the module docstring).

    Parameters
    ----------
    items : list of str
        Item columns, in output order.
    item_factor : dict
        Item -> the factor it loads on (a competency factor or ``outcome_factor``).
    loadings : dict
        Item -> standardised loading in (0, 1).
    thresholds : dict
        Item -> increasing thresholds on the latent response scale (K-1 of them
        for codes ``1..K``).
    reverse : list of str
        Negatively worded items (reported as ``K + 1 - code``).
    factors : list of str
        Competency (and exploratory) factors, in the order of ``factor_corr``.
    factor_corr : ndarray
        Correlation matrix of ``factors`` (positive definite).
    domains : dict
        Domain -> list of its factors (for the outcome's composites).
    outcome_factor : str or None
        Name of the outcome factor (its items load on it).
    outcome_effects : dict
        Domain -> standardised effect on the outcome; a key ``"a:b"`` is the
        product of two domain composites.
    groups : dict
        Group label -> share (sums to 1).
    group_means : dict
        Factor -> mean difference (first group minus the others) in SD units;
        the first group of ``groups`` gets ``+d/2`` and the others ``-d/2``.
    countries : dict
        Country label -> share.
    non_invariance : list of dict
        ``{"country": c, "item": i, "shift": s}``: latent-response shift ``s`` (SD
        units) for item ``i`` in country ``c`` (an intercept / threshold difference).
    n_orgs : int
        Organisations (clusters); respondents are spread over them at random.
    icc_factors, icc_outcome : float
        Share of the factors' and the outcome's variance between organisations.
    p_missing, p_na : float
        Per-cell probability of a blank (MCAR) and of the not-applicable code.
    na_code : int or None
        Code stored for "not applicable".
    p_careless : float
        Share of careless responders (half random, half one answer throughout).
    """

    items: list
    item_factor: dict
    loadings: dict
    thresholds: dict
    reverse: list = field(default_factory=list)
    factors: list = field(default_factory=list)
    factor_corr: np.ndarray = None
    domains: dict = field(default_factory=dict)
    outcome_factor: str | None = None
    outcome_effects: dict = field(default_factory=dict)
    groups: dict = field(default_factory=lambda: {"all": 1.0})
    group_means: dict = field(default_factory=dict)
    countries: dict = field(default_factory=lambda: {"all": 1.0})
    non_invariance: list = field(default_factory=list)
    n_orgs: int = 1
    icc_factors: float = 0.0
    icc_outcome: float = 0.0
    p_missing: float = 0.0
    p_na: float = 0.0
    na_code: int | None = None
    p_careless: float = 0.0

    def __post_init__(self):
        self.check()

    def check(self) -> None:
        """Raise :class:`~qimscale.errors.ModelError` naming the first inconsistent setting."""
        from qimscale._core.linalg import is_positive_definite

        k = len(self.factors)
        R = np.asarray(self.factor_corr if self.factor_corr is not None else np.eye(k), dtype=float)
        if R.shape != (k, k) or not np.allclose(R, R.T) or not np.allclose(np.diag(R), 1.0):
            raise ModelError(f"population: factor_corr must be a symmetric {k} x {k} correlation matrix")
        if not is_positive_definite(R):
            raise ModelError("population: the factor correlations are not positive definite; lower the "
                             "correlations between domains or within a domain")
        self.factor_corr = R
        known = set(self.factors) | ({self.outcome_factor} if self.outcome_factor else set())
        for it in self.items:
            f = self.item_factor.get(it)
            if f not in known:
                raise ModelError(f"population: item '{it}' loads on unknown factor {f!r}")
            lam = self.loadings.get(it)
            if lam is None or not 0 < lam < 1:
                raise ModelError(f"population: item '{it}': loading must lie in (0, 1); got {lam!r}")
            t = np.asarray(self.thresholds.get(it, []), dtype=float)
            if t.size < 1 or np.any(np.diff(t) <= 0):
                raise ModelError(f"population: item '{it}': thresholds must be increasing; got {t.tolist()}")
        for name, shares in (("groups", self.groups), ("countries", self.countries)):
            if not shares or any(s <= 0 for s in shares.values()) or abs(sum(shares.values()) - 1) > 1e-9:
                raise ModelError(f"population: the shares of {name} must be positive and sum to 1; got {shares}")
        for f in self.group_means:
            if f not in self.factors:
                raise ModelError(f"population: group mean difference for unknown factor '{f}'")
        for d, fs in self.domains.items():
            bad = [f for f in fs if f not in self.factors]
            if bad:
                raise ModelError(f"population: domain '{d}' names unknown factor(s) {bad}")
        for term in self.outcome_effects:
            for d in term.split(":"):
                if d not in self.domains:
                    raise ModelError(f"population: outcome effect '{term}' names unknown domain '{d}'")
        for ni in self.non_invariance:
            if ni.get("item") not in self.items or ni.get("country") not in self.countries:
                raise ModelError(f"population: non_invariance entry {ni} names an unknown item or country")
        for name in ("icc_factors", "icc_outcome", "p_missing", "p_na", "p_careless"):
            v = getattr(self, name)
            if not 0 <= v < 1:
                raise ModelError(f"population: {name} must lie in [0, 1); got {v}")
        if self.n_orgs < 1:
            raise ModelError("population: n_orgs must be at least 1")

    @property
    def n_categories(self) -> dict:
        return {it: len(self.thresholds[it]) + 1 for it in self.items}


def _shares(rng, shares: dict, n: int) -> np.ndarray:
    labels = list(shares)
    p = np.array([shares[k] for k in labels], dtype=float)
    return np.asarray(labels, dtype=object)[rng.choice(len(labels), size=n, p=p / p.sum())]


def _allocate(shares: dict, n_orgs: int) -> np.ndarray:
    """Country of each organisation: proportional to the shares (largest remainder), each country
    getting at least one organisation when there are enough of them."""
    labels = list(shares)
    p = np.array([shares[k] for k in labels], dtype=float)
    p = p / p.sum()
    base = np.floor(p * n_orgs).astype(int)
    if n_orgs >= len(labels):
        base = np.maximum(base, 1)
    while base.sum() < n_orgs:
        base[int(np.argmax(p * n_orgs - base))] += 1
    while base.sum() > n_orgs:
        base[int(np.argmax(base))] -= 1
    return np.repeat(np.asarray(labels, dtype=object), base)


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else x - x.mean()


def _exact(rng, counts: dict) -> np.ndarray:
    labels = np.repeat(np.asarray(list(counts), dtype=object), [int(v) for v in counts.values()])
    return labels[rng.permutation(labels.size)]


def draw(pop: Population, n: int, seed=None, *, group_n: dict | None = None,
         country_n: dict | None = None, codes_dtype: str = "Int64") -> tuple[pd.DataFrame, dict]:
    """Draw ``n`` respondents from ``pop``.

    Parameters
    ----------
    pop : Population
    n : int
        Number of respondents (at least 2). Organisations are nested in countries.
    seed : int, numpy Generator or None
        The same seed gives the same data on every machine.
    group_n, country_n : dict, optional
        Exact numbers of respondents per group / country (they must sum to ``n``) instead of
        drawing them from the shares (power analyses fix the design).
    codes_dtype : {"Int64", "float64"}
        Item columns as nullable integers (default) or as floats with NaN for a blank (faster,
        for Monte Carlo loops).

    Returns
    -------
    data : DataFrame
        One row per respondent: ``group``, ``country``, ``org`` (1-based
        organisation number), ``careless`` (bool) and one integer-code column per
        item (``<NA>`` for a blank; ``na_code`` for not applicable).
    truth : dict
        The latent scores behind the data: ``"factors"`` (DataFrame, one column per
        factor, plus the outcome factor) for recovery checks.

    Examples
    --------
    >>> import numpy as np
    >>> pop = Population(items=["a", "b", "c"], item_factor={"a": "f", "b": "f", "c": "f"},
    ...                  loadings={"a": .7, "b": .7, "c": .7},
    ...                  thresholds={i: [-1.0, 0.0, 1.0] for i in "abc"}, factors=["f"],
    ...                  factor_corr=np.eye(1))
    >>> data, truth = draw(pop, 5, seed=1)
    >>> data[["a", "b", "c"]].shape
    (5, 3)
    """
    if int(n) < 2:
        raise ModelError(f"simulate: n must be at least 2; got {n}")
    n = int(n)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    for name, fixed, known in (("group_n", group_n, pop.groups), ("country_n", country_n, pop.countries)):
        if fixed is not None and (sum(int(v) for v in fixed.values()) != n or set(fixed) - set(known)):
            raise ModelError(f"simulate: {name} must name known levels and sum to n = {n}; got {fixed}")
    groups = _exact(rng, group_n) if group_n is not None else _shares(rng, pop.groups, n)
    countries = _exact(rng, country_n) if country_n is not None else _shares(rng, pop.countries, n)
    org_country = _allocate(pop.countries, pop.n_orgs)
    org = np.zeros(n, dtype=int)
    for c in pop.countries:  # organisations are nested in countries
        rows = np.flatnonzero(countries == c)
        mine = np.flatnonzero(org_country == c)
        if rows.size:
            org[rows] = mine[rng.integers(0, mine.size, size=rows.size)] if mine.size else 0

    # competency factors: between-organisation + within parts, then group mean differences
    k = len(pop.factors)
    L = np.linalg.cholesky(pop.factor_corr) if k else np.zeros((0, 0))
    within = rng.standard_normal((n, k)) @ L.T
    between = (rng.standard_normal((pop.n_orgs, k)) @ L.T)[org] if pop.n_orgs > 1 else np.zeros((n, k))
    F = np.sqrt(1 - pop.icc_factors) * within + np.sqrt(pop.icc_factors) * between
    first = next(iter(pop.groups))
    sign = np.where(groups == first, 0.5, -0.5)
    for j, f in enumerate(pop.factors):
        F[:, j] += sign * pop.group_means.get(f, 0.0)
    scores = {f: F[:, j] for j, f in enumerate(pop.factors)}

    if pop.outcome_factor:
        composite = {d: _standardise(np.mean([scores[f] for f in fs], axis=0)) for d, fs in pop.domains.items()}
        eta = np.zeros(n)
        for term, b in pop.outcome_effects.items():
            eta += b * np.prod([composite[d] for d in term.split(":")], axis=0)
        explained = float(eta.var()) if n > 1 else 0.0
        rest = max(1.0 - explained, 0.2)
        u = rng.standard_normal(pop.n_orgs)[org] if pop.n_orgs > 1 else np.zeros(n)
        eta += np.sqrt(rest * pop.icc_outcome) * u + np.sqrt(rest * (1 - pop.icc_outcome)) * rng.standard_normal(n)
        scores[pop.outcome_factor] = eta

    shift = {}
    for ni in pop.non_invariance:
        shift.setdefault(ni["item"], np.zeros(n))
        shift[ni["item"]] += np.where(countries == ni["country"], float(ni["shift"]), 0.0)

    codes = np.empty((n, len(pop.items)), dtype=float)
    reverse = set(pop.reverse)
    for j, it in enumerate(pop.items):
        lam = pop.loadings[it]
        ystar = lam * scores[pop.item_factor[it]] + np.sqrt(1 - lam * lam) * rng.standard_normal(n)
        if it in shift:
            ystar = ystar + shift[it]
        t = np.asarray(pop.thresholds[it], dtype=float)
        c = 1 + np.searchsorted(t, ystar, side="right")
        codes[:, j] = (t.size + 2 - c) if it in reverse else c

    careless = rng.random(n) < pop.p_careless
    idx = np.flatnonzero(careless)
    if idx.size:
        kmax = np.array([len(pop.thresholds[it]) + 1 for it in pop.items])
        random_half = rng.random(idx.size) < 0.5
        for r, is_random in zip(idx, random_half):
            if is_random:
                codes[r] = 1 + np.floor(rng.random(len(pop.items)) * kmax)
            else:
                codes[r] = np.minimum(rng.integers(1, kmax.min() + 1), kmax)
    if pop.p_na and pop.na_code is not None:
        codes[rng.random(codes.shape) < pop.p_na] = pop.na_code
    if pop.p_missing:
        codes[rng.random(codes.shape) < pop.p_missing] = np.nan

    data = pd.DataFrame({"group": groups.astype(str), "country": countries.astype(str), "org": org + 1,
                         "careless": careless})
    items = pd.DataFrame(codes, columns=pop.items)
    if codes_dtype == "Int64":
        items = items.astype("Int64")
    data = pd.concat([data, items], axis=1)
    truth = {"factors": pd.DataFrame(scores)}
    return data, truth
