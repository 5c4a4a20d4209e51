"""``qimscale power``: Monte Carlo power for the study the population model describes.

Targets (each a picklable replication ``(n, rng) -> (detected, converged)``):

- ``ttest``: the traditional-clinical difference on one scale score (Welch t), ``n`` per group;
- ``moderation``: the interpersonal x expertise interaction on QI performance (OLS on domain
  scores, centred), total ``n``;
- ``multilevel``: the expertise fixed effect on QI performance in a random-intercept model
  (REML, organisations as clusters), total ``n``;
- ``cfa_fit``: P(CFI ≥ .95 and RMSEA ≤ .06) for the WLSMV CFA of the instrument's
  competency structure, total ``n``;
- ``invariance``: detection of one item's intercept/threshold shift in one of the model's
  countries (WLSMV invariance of the item's domain), ``n`` per country, by the chosen rule.

The invariance replication reuses the model's structure: the model is parsed and each level's
parameter table and model structure are built once (for the population's categories, before the
replications are shipped to workers), and each level starts from the estimates of the level before
it in the same replication. Nothing carries over from one replication to the next, so a replication's
numbers do not depend on where or after which other replication it runs.

Where a closed form exists it is shown beside the simulation: ``power.t.test`` for the
t test (with the effect size of the simulated scale scores), Cohen's f² test for the
interaction, MacCallum et al. (1996) RMSEA power for the CFA's degrees of freedom, and for
invariance the χ² difference test of the target level against the level before it at the
misfit of one large pilot sample (Satorra & Saris 1985; semPower's noncentrality
``ncp = (N - g) F0``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from qimscale.analysis.simulate import draw
from qimscale.analysis.simulate.power import (
    PowerResult,
    n_for_power,
    n_for_power_chisq,
    power_chisq_noncentral,
    power_f2,
    power_rmsea,
    power_t_test,
    replication_warnings,
    run_power,
    summarise,
)
from qimscale.errors import ModelError

TARGETS = ("ttest", "moderation", "multilevel", "cfa_fit", "invariance")
PER_GROUP = {"ttest", "invariance"}


def _keyed(data: pd.DataFrame, pop) -> pd.DataFrame:
    """Item codes as numbers, the not-applicable code missing, reverse-keyed items recoded."""
    X = data[pop.items]
    X = X.astype("float64") if any(str(t) != "float64" for t in X.dtypes) else X.copy()
    if pop.na_code is not None:
        X = X.mask(X == pop.na_code)
    for it in pop.reverse:
        k = len(pop.thresholds[it]) + 1
        X[it] = k + 1 - X[it]
    return X


def _scale_means(X: pd.DataFrame, pop, factors) -> dict:
    return {f: X[[i for i in pop.items if pop.item_factor[i] == f]].mean(axis=1).to_numpy() for f in factors}


class TTest:
    """Welch t test of one scale score between the first two groups, ``n`` per group."""

    def __init__(self, pop, scale: str, alpha: float = 0.05):
        self.pop, self.scale, self.alpha = pop, scale, alpha
        self.groups = list(pop.groups)[:2]

    def __call__(self, n, rng):
        from scipy import stats

        data, _ = draw(self.pop, 2 * n, rng, codes_dtype="float64", group_n={self.groups[0]: n, self.groups[1]: n})
        score = _scale_means(_keyed(data, self.pop), self.pop, [self.scale])[self.scale]
        g = data["group"].to_numpy()
        a, b = score[g == self.groups[0]], score[g == self.groups[1]]
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        if min(a.size, b.size) < 2:
            return False, False
        p = stats.ttest_ind(a, b, equal_var=False).pvalue
        return bool(p < self.alpha), bool(np.isfinite(p))


def _domain_scores(data, pop):
    X = _keyed(data, pop)
    dom = {d: np.nanmean(np.column_stack(list(_scale_means(X, pop, fs).values())), axis=1)
           for d, fs in pop.domains.items()}
    y = _scale_means(X, pop, [pop.outcome_factor])[pop.outcome_factor]
    return dom, y


def _ols_p(X: np.ndarray, y: np.ndarray, j: int) -> float:
    """Two-sided p of coefficient ``j`` of an OLS fit (classical standard errors)."""
    from scipy import stats

    ok = np.isfinite(y) & np.isfinite(X).all(axis=1)
    X, y = X[ok], y[ok]
    n, k = X.shape
    if n <= k + 1:
        return float("nan")
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    s2 = resid @ resid / (n - k)
    xtx = X.T @ X
    from qimscale._core.linalg import is_singular

    if is_singular(xtx, rtol=1e-10):
        return float("nan")
    se = math.sqrt(s2 * np.linalg.inv(xtx)[j, j])
    return float(2 * stats.t.sf(abs(beta[j] / se), n - k))


class Moderation:
    """OLS of QI performance on the centred domain scores with the interpersonal x expertise term."""

    def __init__(self, pop, alpha: float = 0.05, a: str = "interpersonal", b: str = "expertise"):
        self.pop, self.alpha, self.a, self.b = pop, alpha, a, b

    def design(self, data):
        dom, y = _domain_scores(data, self.pop)
        cols = [dom[d] - np.nanmean(dom[d]) for d in self.pop.domains]
        names = list(self.pop.domains)
        inter = cols[names.index(self.a)] * cols[names.index(self.b)]
        X = np.column_stack([np.ones_like(y)] + cols + [inter])
        return X, y

    def __call__(self, n, rng):
        data, _ = draw(self.pop, n, rng, codes_dtype="float64")
        X, y = self.design(data)
        p = _ols_p(X, y, X.shape[1] - 1)
        return bool(p < self.alpha), bool(np.isfinite(p))


class Multilevel:
    """Random-intercept model (REML) of QI performance on expertise, organisations as clusters."""

    def __init__(self, pop, alpha: float = 0.05, predictor: str = "expertise"):
        self.pop, self.alpha, self.predictor = pop, alpha, predictor

    def __call__(self, n, rng):
        import warnings

        import statsmodels.formula.api as smf

        data, _ = draw(self.pop, n, rng, codes_dtype="float64")
        dom, y = _domain_scores(data, self.pop)
        df = pd.DataFrame({"y": y, "x": dom[self.predictor], "org": data["org"].to_numpy()}).dropna()
        if df["org"].nunique() < 2:
            return False, False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = smf.mixedlm("y ~ x", df, groups=df["org"]).fit(reml=True)
        p = float(fit.pvalues.get("x", float("nan")))
        converged = bool(getattr(fit, "converged", False)) and np.isfinite(p)
        return bool(p < self.alpha), converged


def _model(pop, factors=None) -> str:
    fs = factors or [f for f in pop.factors if any(f in v for v in pop.domains.values())]
    return "\n".join(f"{f} =~ " + " + ".join(i for i in pop.items if pop.item_factor[i] == f) for f in fs)


class CFAFit:
    """P(CFI ≥ .95 and RMSEA ≤ .06) for the WLSMV CFA of the competency structure.

    ``indices="robust"`` (default) judges lavaan's robust indices for categorical data
    (Savalei 2021; ``cfi.robust``, ``rmsea.robust``); ``"scaled"`` the mean-and-variance scaled
    ones. With sparse 5-point items the two differ a great deal at moderate N, so say which.
    """

    def __init__(self, pop, cfi: float = 0.95, rmsea: float = 0.06, indices: str = "robust"):
        if indices not in ("robust", "scaled"):
            raise ModelError(f"The 'indices' parameter of power must be one of robust, scaled. Got {indices!r} instead.")
        self.pop, self.cfi, self.rmsea, self.indices = pop, cfi, rmsea, indices
        self.model = _model(pop)
        self.last_fit_measures = None

    def __call__(self, n, rng):
        from qimscale.analysis.cfa import CFA

        data, _ = draw(self.pop, n, rng, codes_dtype="float64")
        X = _keyed(data, self.pop)
        fit = CFA(self.model, estimator="WLSMV", ordered="all", missing="pairwise").fit(X)
        fm = fit.fit_measures()
        self.last_fit_measures = fm
        cfi = fm.get(f"cfi_{self.indices}", float("nan"))
        rmsea = fm.get(f"rmsea_{self.indices}", float("nan"))
        ok = bool(np.isfinite(cfi) and np.isfinite(rmsea))
        return bool(ok and cfi >= self.cfi and rmsea <= self.rmsea), ok


class Invariance:
    """Detection of one item's shift in one country among the model's countries (``n`` per country):
    the scalar level fails (by the χ² difference test or by the chosen fit-index rule)."""

    def __init__(self, pop, item: str, rule: str = "chisq", alpha: float = 0.05):
        self.pop, self.item, self.rule, self.alpha = pop, item, rule, alpha
        domain = next(d for d, fs in pop.domains.items() if pop.item_factor[item] in fs)
        self.model = _model(pop, pop.domains[domain])
        self.model_items = [i for i in pop.items if pop.item_factor[i] in pop.domains[domain]]
        self.countries = list(pop.countries)
        self.warm_start = True
        # the parsed model and each level's parameter table and model structure, built here once for the
        # population's categories and shipped with the replication to the workers (a replication whose data
        # lack a category adds its own tables on first use); they depend only on the number of categories
        # per item, never on the data, so no number depends on which replication ran before
        from qimscale.analysis.cfa.wlsmv_invariance import LEVELS, level_structure

        self.structures: dict = {}
        nth = {i: len(pop.thresholds[i]) for i in self.model_items}
        for level in LEVELS:
            level_structure(self.model, level, nth, len(self.countries), (), self.structures)

    def data(self, n, rng):
        """``(items with the country column, category merges)`` of one replication."""
        from qimscale.study.validate import collapse_empty_categories

        data, _ = draw(self.pop, len(self.countries) * n, rng, codes_dtype="float64",
                       country_n={c: n for c in self.countries})
        X = _keyed(data, self.pop)[self.model_items]
        coll = collapse_empty_categories(X, data["country"])
        return X.assign(country=data["country"].to_numpy()), coll

    def fit(self, n, rng):
        """The invariance sequence of one replication: each level starts from the estimates of the level
        before it in the same replication (the same estimates as a cold start, within the convergence
        tolerance, in fewer iterations)."""
        from qimscale.analysis.cfa.wlsmv_invariance import ordinal_invariance

        X, coll = self.data(n, rng)
        return ordinal_invariance(X, self.model, "country", ordered="all", missing="pairwise",
                                  collapse=coll or None, criteria="chen2007" if self.rule == "chisq" else self.rule,
                                  warm_start=self.warm_start, structures=self.structures)

    def __call__(self, n, rng):
        res = self.fit(n, rng)
        lv = res.levels.set_index("level")
        if "scalar" not in lv.index or "metric" not in lv.index:
            return False, False
        if self.rule == "chisq":
            p = float(lv.loc["scalar", "chisq_diff_p"])
            return bool(p < self.alpha), bool(np.isfinite(p))
        if res.highest_level_held in (None, "none"):  # the configural model does not fit: not assessable
            return False, False
        # detected where it is: the metric level holds and the scalar level does not
        return bool(lv.loc["metric", "held"] and not lv.loc["scalar", "held"]), True


def build_target(target: str, pop, *, effect=None, scale=None, item=None, alpha=0.05, rule="chisq", icc=None,
                 indices="robust"):
    """The replication for ``target`` with the population's parameters overridden by ``effect``/``icc``."""
    import copy

    if target not in TARGETS:
        raise ModelError(f"The 'target' parameter of power must be one of {', '.join(TARGETS)}. Got {target!r} instead.")
    pop = copy.deepcopy(pop)
    if target == "ttest":
        scale = scale or max(pop.group_means, key=lambda f: abs(pop.group_means[f]), default=None)
        if scale not in pop.factors:
            raise ModelError(f"power: --scale {scale!r} is not a scale of the population model")
        if effect is not None:
            pop.group_means[scale] = float(effect)
        pop.groups = dict(list(pop.groups.items())[:2])
        return TTest(pop, scale, alpha), {"scale": scale, "d_latent": pop.group_means.get(scale, 0.0)}
    if target == "moderation":
        if effect is not None:
            key = next((k for k in pop.outcome_effects if ":" in k), "interpersonal:expertise")
            pop.outcome_effects[key] = float(effect)
        return Moderation(pop, alpha), {"interaction": {k: v for k, v in pop.outcome_effects.items() if ":" in k}}
    if target == "multilevel":
        if effect is not None:
            pop.outcome_effects["expertise"] = float(effect)
        if icc is not None:
            pop.icc_outcome = float(icc)
        return Multilevel(pop, alpha), {"effect": pop.outcome_effects.get("expertise"), "icc": pop.icc_outcome,
                                        "n_orgs": pop.n_orgs}
    if target == "cfa_fit":
        return CFAFit(pop, indices=indices), {"model_factors": len(pop.factors), "indices": indices}
    item = item or (pop.non_invariance[0]["item"] if pop.non_invariance else None)
    if item not in pop.items:
        raise ModelError(f"power: --item {item!r} is not an item of the population model")
    countries = list(pop.countries)
    planted = next((d for d in pop.non_invariance if d["item"] == item), None)
    country = planted["country"] if planted else countries[-1]
    shift = float(effect) if effect is not None else (float(planted["shift"]) if planted else 0.5)
    pop.non_invariance = [{"country": country, "item": item, "shift": shift}]
    return Invariance(pop, item, rule, alpha), {"item": item, "shift": shift, "rule": rule, "country": country,
                                                "countries": countries}


def analytic(target: str, replicate, grid, *, goal: float = 0.8, alpha: float = 0.05, seed: int = 1):
    """The closed-form answer where one exists (``None`` otherwise), from a large pilot draw."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0, 10 ** 6]))
    if target == "ttest":
        pop, n = replicate.pop, 20000
        data, _ = draw(pop, 2 * n, rng, codes_dtype="float64", group_n={replicate.groups[0]: n, replicate.groups[1]: n})
        score = _scale_means(_keyed(data, pop), pop, [replicate.scale])[replicate.scale]
        g = data["group"].to_numpy()
        a, b = score[g == replicate.groups[0]], score[g == replicate.groups[1]]
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        d = (a.mean() - b.mean()) / math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
        rows = [{"n": int(k), "power": power_t_test(k, abs(d), alpha)} for k in grid]
        need = n_for_power(lambda k: power_t_test(k, abs(d), alpha), goal, lo=2)
        return pd.DataFrame(rows), {"method": "power.t.test (Student t, observed d of the scale scores)",
                                    "d_observed": float(d), "n_required": need}
    if target == "moderation":
        data, _ = draw(replicate.pop, 40000, rng, codes_dtype="float64")
        X, y = replicate.design(data)
        ok = np.isfinite(y) & np.isfinite(X).all(axis=1)
        X, y = X[ok], y[ok]

        def r2(M):
            beta, *_ = np.linalg.lstsq(M, y, rcond=None)
            e = y - M @ beta
            return 1 - e @ e / ((y - y.mean()) @ (y - y.mean()))

        full, red = r2(X), r2(X[:, :-1])
        f2 = (full - red) / (1 - full)
        k = X.shape[1] - 1
        rows = [{"n": int(m), "power": power_f2(m, f2, 1, alpha=alpha, k=k)} for m in grid]
        need = n_for_power(lambda m: power_f2(m, f2, 1, alpha=alpha, k=k), goal, lo=k + 3)
        return pd.DataFrame(rows), {"method": "Cohen's f² test of one coefficient (pwr.f2.test)", "f2": float(f2),
                                    "n_required": need}
    if target == "cfa_fit":
        p = len(replicate.pop.items)
        model_items = sum(1 for i in replicate.pop.items
                          if any(replicate.pop.item_factor[i] in fs for fs in replicate.pop.domains.values()))
        k = sum(len(fs) for fs in replicate.pop.domains.values())
        df = model_items * (model_items - 1) // 2 - (model_items + k * (k - 1) // 2)
        rows = [{"n": int(m), "power": power_rmsea(m, df, rmsea0=0.05, rmsea_a=0.01, alpha=alpha)} for m in grid]
        need = n_for_power(lambda m: power_rmsea(m, df, rmsea0=0.05, rmsea_a=0.01, alpha=alpha), goal)
        del p
        return pd.DataFrame(rows), {"method": "MacCallum, Browne & Sugawara (1996): power to reject not-close fit "
                                              "(H0 RMSEA = .05, true RMSEA = .01)", "df": int(df), "n_required": need}
    if target == "invariance":
        return _analytic_invariance(replicate, grid, rng, goal=goal)
    return None, {}


PILOT_PER_GROUP = 10000


def _analytic_invariance(replicate, grid, rng, *, goal: float, pilot_n: int = PILOT_PER_GROUP):
    """Satorra & Saris (1985) power of the χ² difference test of the scalar against the metric level.

    One pilot sample of ``pilot_n`` per country is drawn from the population model and run through the
    same invariance sequence as a replication (:meth:`Invariance.fit`). Its scaled difference statistic
    ``T`` with ``df`` degrees of freedom estimates the misfit per respondent
    ``F0 = max(T - df, 0) / (N_pilot - g)`` (``g`` countries), with a range from ``T ± 1.96 sd`` where
    ``sd = sqrt(2 (df + 2 (T - df)))`` is the noncentral χ² standard deviation (the pilot's own sampling
    error, carried to ``n_required_range``); at ``n`` per country the test statistic is
    taken as noncentral χ² with ``ncp = (g n - g) F0`` (semPower's ``sum_g (N_g - 1) F0``) and power is
    :func:`~qimscale.analysis.simulate.power.power_chisq_noncentral`.

    Notes
    -----
    For WLSMV the difference statistic is scaled and shifted (Satorra 2000, as lavaan's
    ``lavTestLRT``): its mean and variance match χ²_df under the null only, so the noncentral χ²
    under the alternative (and with it this power) is an approximation; the simulation checks it.

    References
    ----------
    Satorra A, Saris WE. Power of the likelihood ratio test in covariance structure analysis.
    Psychometrika. 1985;50:83-90. doi:10.1007/BF02294150
    """
    import warnings

    level, previous = "scalar", "metric"
    g = len(replicate.countries)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = replicate.fit(pilot_n, rng)
    notes = sorted({str(w.message) for w in caught})
    lv = res.levels.set_index("level")
    T = float(lv.loc[level, "chisq_diff"]) if level in lv.index else float("nan")
    df = float(lv.loc[level, "df_diff"]) if level in lv.index else float("nan")
    if not (math.isfinite(T) and math.isfinite(df) and df > 0):
        return None, {"method": "Satorra & Saris (1985): not available, the pilot fit gave no "
                                f"{level}-vs-{previous} difference test", "n_required": None, "warnings": notes}
    f0 = max(T - df, 0.0) / (g * pilot_n - g)
    alpha = replicate.alpha
    rows = [{"n": int(n), "power": power_chisq_noncentral(g * (n - 1) * f0, df, alpha)} for n in grid]
    need = n_for_power_chisq(f0, df, goal, alpha=alpha, groups=g)
    # the pilot's own sampling error: sd of a noncentral χ² is sqrt(2 (df + 2 ncp))
    half = 1.96 * math.sqrt(2 * (df + 2 * max(T - df, 0.0)))
    f0_range = tuple(max(T - df + sign * half, 0.0) / (g * pilot_n - g) for sign in (-1, 1))
    need_range = [n_for_power_chisq(f, df, goal, alpha=alpha, groups=g) for f in (f0_range[1], f0_range[0])]
    method = (f"Satorra & Saris (1985): χ² difference test, {level} vs {previous}, noncentral χ²({df:g}) with "
              f"ncp = (N - {g}) F0 from a pilot of {pilot_n} per country; the WLSMV scaled difference test is "
              "only approximately noncentral χ²")
    if replicate.rule != "chisq":
        method += f"; the replications judge by rule {replicate.rule!r}, this is the χ² test's power"
    return pd.DataFrame(rows), {"method": method, "f0": f0, "df": df, "pilot_chisq_diff": T,
                                "pilot_n_per_group": pilot_n, "groups": g, "n_required": need,
                                "f0_range": list(f0_range), "n_required_range": need_range, "warnings": notes}


def run_power_study(target: str, grid, *, reps: int = 500, seed: int = 1, model=None, instrument=None,
                    effect=None, scale=None, item=None, icc=None, alpha: float = 0.05, goal: float = 0.8,
                    rule: str = "chisq", indices: str = "robust", jobs: int = 1, scheduler=None, resume=None,
                    progress=None) -> PowerResult:
    """Monte Carlo power for ``target`` over ``grid`` under the population model (see module docstring)."""
    from qimscale.instrument import load_instrument
    from qimscale.study.population import build_population, read_population_file

    grid = sorted({int(n) for n in grid})
    if not grid or grid[0] < 2:
        raise ModelError("power: --n must list sample sizes of at least 2")
    if reps < 1:
        raise ModelError("power: --reps must be at least 1")
    inst = instrument if hasattr(instrument, "scored_items") else load_instrument(instrument)
    spec, name = read_population_file(model)
    pop, _ = build_population(inst, spec, name)
    replicate, settings = build_target(target, pop, effect=effect, scale=scale, item=item, alpha=alpha, rule=rule,
                                       icc=icc, indices=indices)
    records = run_power(replicate, grid, reps=reps, seed=seed, jobs=jobs, scheduler=scheduler, resume=resume,
                        progress=progress)
    rows, need, rng_need = summarise(records, grid, reps=reps, goal=goal)
    table, info = analytic(target, replicate, grid, goal=goal, alpha=alpha, seed=seed)
    warnings = []
    failed = [r for r in records if "error" in r]
    if failed:
        warnings.append(f"{len(failed)} replication(s) failed and count as not converged (first: {failed[0]['error']})")
    warnings.extend(replication_warnings(records))
    low = rows[rows["converged"] < 0.9]
    if len(low):
        warnings.append("convergence below 90 % at n = " + ", ".join(str(int(n)) for n in low["n"])
                        + "; power there is among converged replications only")
    if need is None:
        warnings.append(f"no n in the grid reaches power {goal:g}; extend --n")
    warnings.extend(f"analytic pilot: {w}" for w in info.pop("warnings", []))
    settings.update({"model": name, "alpha": alpha, "per_group": target in PER_GROUP, "analytic": info})
    return PowerResult(target=target, rows=rows, n_required=need, n_required_range=rng_need, power_goal=goal,
                       reps=reps, seed=seed, analytic=table, settings=settings, warnings=warnings)
