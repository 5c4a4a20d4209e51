"""Monte Carlo power: a seeded runner (serial, joblib or Dask) and the closed forms beside it.

A *replication* is a function ``replicate(n, rng) -> (detected, converged)``. The runner
calls it ``reps`` times for every ``n`` of the grid with a generator seeded from
``SeedSequence([seed, n, rep])``, so a replication's data depend only on ``(seed, n,
rep)``: the same seed gives identical rows whether the replications run in one process,
in ``jobs`` processes or on a Dask cluster, and a run resumed from its saved
replications gives the rows an uninterrupted run would.

Power is the share of converged replications that detected the effect; its Monte Carlo
standard error is ``sqrt(p (1 - p) / R)`` with ``R`` converged replications.

References
----------
MacCallum RC, Browne MW, Sugawara HM. Power analysis and determination of sample size for
covariance structure modeling. Psychol Methods. 1996;1:130-149. doi:10.1037/1082-989X.1.2.130
Cohen J. Statistical power analysis for the behavioral sciences. 2nd ed. Erlbaum; 1988.
Morris TP, White IR, Crowther MJ. Using simulation studies to evaluate statistical methods.
Stat Med. 2019;38:2074-2102. doi:10.1002/sim.8086
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qimscale._core.result import Result
from qimscale.errors import ModelError


# --------------------------------------------------------------------------- closed forms

def power_t_test(n: float, d: float, alpha: float = 0.05) -> float:
    """Power of the two-sided two-sample t test with ``n`` per group and effect size ``d``.

    Matches R's ``power.t.test(n, delta = d, sd = 1, sig.level = alpha)`` (``strict = FALSE``):
    ``P(T' > t_{1-alpha/2, 2n-2})`` for ``T'`` noncentral t with ``ncp = d sqrt(n/2)``.

    >>> round(power_t_test(64, 0.5), 4)
    0.8015
    """
    from scipy import stats

    df = 2 * n - 2
    ncp = d * math.sqrt(n / 2)
    crit = stats.t.ppf(1 - alpha / 2, df)
    return float(stats.nct.sf(crit, df, ncp))


def power_f2(n: int, f2: float, u: int, *, alpha: float = 0.05, k: int | None = None) -> float:
    """Power of the F test of ``u`` regression coefficients with effect size ``f2`` (Cohen 1988).

    ``v = n - k - 1`` error degrees of freedom (``k`` predictors in the full model, default
    ``u``), noncentrality ``lambda = f2 (u + v + 1)``: the computation of
    ``pwr::pwr.f2.test(u, v, f2)``, i.e. ``1 - pf(qf(1 - alpha, u, v), u, v, ncp = lambda)``.
    """
    from scipy import stats

    k = u if k is None else k
    v = n - k - 1
    if v <= 0:
        return float("nan")
    lam = f2 * (u + v + 1)
    return float(stats.ncf.sf(stats.f.ppf(1 - alpha, u, v), u, v, lam))


def power_rmsea(n: int, df: int, *, rmsea0: float = 0.05, rmsea_a: float = 0.08, alpha: float = 0.05) -> float:
    """Power of the test of close fit (MacCallum, Browne & Sugawara 1996).

    H0: RMSEA = ``rmsea0`` against the alternative ``rmsea_a``; noncentralities
    ``(n - 1) df eps^2``. With ``rmsea_a > rmsea0`` this is the power to reject close fit
    of a model that fits badly; with ``rmsea_a < rmsea0`` the power to reject not-close fit.
    Matches ``semTools::findRMSEApower(rmsea0, rmseaA, df, n)``.
    """
    from scipy import stats

    ncp0 = (n - 1) * df * rmsea0 ** 2
    ncpa = (n - 1) * df * rmsea_a ** 2
    if rmsea_a > rmsea0:
        crit = stats.ncx2.ppf(1 - alpha, df, ncp0)
        return float(stats.ncx2.sf(crit, df, ncpa))
    crit = stats.ncx2.ppf(alpha, df, ncp0)
    return float(stats.ncx2.cdf(crit, df, ncpa))


def power_chisq_noncentral(ncp: float, df: float, alpha: float = 0.05) -> float:
    """Power of a χ² test with ``df`` degrees of freedom when the statistic is noncentral χ².

    Parameters
    ----------
    ncp : float
        Noncentrality ``lambda >= 0`` of the statistic under the alternative.
    df : float
        Degrees of freedom (``> 0``).
    alpha : float
        Level of the test.

    Returns
    -------
    float
        ``P(χ²_df(ncp) > χ²_{df, 1-alpha})``.

    Raises
    ------
    ModelError
        When ``df <= 0``, ``ncp < 0`` or ``alpha`` is not in (0, 1).

    Notes
    -----
    The critical value is the central ``1 - alpha`` quantile; power is the noncentral upper
    tail above it. Matches R's ``pchisq(qchisq(1 - alpha, df), df, ncp, lower.tail = FALSE)``,
    the computation of ``semPower::semPower.aPriori``/``postHoc`` for a χ² (difference) test.
    Uses ``scipy.special`` (``chdtri``, ``chdtrc``, ``chndtr``).

    References
    ----------
    Satorra A, Saris WE. Power of the likelihood ratio test in covariance structure analysis.
    Psychometrika. 1985;50:83-90. doi:10.1007/BF02294150
    Moshagen M, Erdfelder E. A new strategy for testing structural equation models. Struct Equ
    Modeling. 2016;23:54-60. doi:10.1080/10705511.2014.950896

    Examples
    --------
    >>> round(power_chisq_noncentral(0.0, 3), 10)
    0.05
    >>> round(power_chisq_noncentral(10.0, 3), 4)
    0.7611
    """
    from scipy import special

    if not df > 0 or not ncp >= 0 or not 0 < alpha < 1:
        raise ModelError(f"power_chisq_noncentral: needs df > 0, ncp >= 0, 0 < alpha < 1 (got df={df}, "
                         f"ncp={ncp}, alpha={alpha})")
    crit = float(special.chdtri(df, alpha))
    if ncp == 0:
        return float(special.chdtrc(df, crit))
    return float(1.0 - special.chndtr(crit, df, ncp))


def n_for_power_chisq(f0: float, df: float, goal: float = 0.8, *, alpha: float = 0.05, groups: int = 1,
                      hi: int = 10 ** 7) -> int | None:
    """Smallest ``n`` per group whose χ² test reaches ``goal`` when ``ncp = (groups n - groups) f0``.

    Parameters
    ----------
    f0 : float
        Population discrepancy (noncentrality per respondent), ``>= 0``.
    df : float
        Degrees of freedom of the test.
    goal : float
        Target power.
    alpha : float
        Level of the test.
    groups : int
        Number of groups ``g``, each of ``n`` respondents (total ``N = g n``).
    hi : int
        Largest ``n`` considered.

    Returns
    -------
    int or None
        The smallest ``n >= 2`` with ``power_chisq_noncentral((g n - g) f0, df, alpha) >= goal``;
        ``None`` when ``f0 = 0`` (power stays at ``alpha``) or ``hi`` does not reach it; ``2`` when
        ``goal <= alpha`` (every ``n`` reaches it).

    Raises
    ------
    ModelError
        As :func:`power_chisq_noncentral`.

    Notes
    -----
    semPower's convention (``getNCP``): ``ncp = sum_g (N_g - 1) F_g``; with equal group sizes and
    ``f0`` the mean of the group discrepancies this is ``(N - g) f0``. The noncentrality that reaches
    the goal is ``chndtrinc(crit, df, 1 - goal)`` (inverse of the noncentral CDF in ``ncp``); ``n`` is
    rounded up from it and checked against :func:`power_chisq_noncentral`.

    References
    ----------
    Moshagen M, Erdfelder E (2016); see :func:`power_chisq_noncentral`.

    Examples
    --------
    >>> n_for_power_chisq(0.01, 1, 0.8)
    786
    """
    from scipy import special

    def pw(n):
        return power_chisq_noncentral(groups * (n - 1) * f0, df, alpha)

    if not f0 > 0 or goal <= alpha:
        return None if goal > alpha else 2
    crit = float(special.chdtri(df, alpha))
    need = float(special.chndtrinc(crit, df, 1 - goal))
    n = max(2, int(math.ceil(need / (groups * f0))) + 1) if math.isfinite(need) else hi
    n = min(n, hi)
    while n < hi and pw(n) < goal:
        n += 1
    while n > 2 and pw(n - 1) >= goal:
        n -= 1
    return n if pw(n) >= goal else None


def n_for_power(power_fn, target: float = 0.8, *, lo: int = 4, hi: int = 100000) -> int | None:
    """Smallest integer ``n`` in ``[lo, hi]`` with ``power_fn(n) >= target`` (bisection on a
    monotone power function), or ``None`` if even ``hi`` does not reach it."""
    if power_fn(hi) < target:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if power_fn(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


# --------------------------------------------------------------------------- the runner

def replication_rng(seed: int, n: int, rep: int) -> np.random.Generator:
    """The generator of one replication: a function of ``(seed, n, rep)`` only."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(n), int(rep)]))


def warning_kind(message: str) -> str:
    """A warning's message with names, numbers and parentheses taken out, so that the same warning
    from different replications counts once.

    >>> warning_kind("3 items in group 'UK' have a category with fewer than 5 responses (y1: 1; y2: 1)")
    "# items in group '…' have a category with fewer than # responses"
    """
    import re

    text = re.sub(r"\s*\([^)]*\)", "", str(message))
    text = re.sub(r"'[^']*'", "'…'", text)
    return re.sub(r"\d+(\.\d+)?", "#", text).strip()


def _one(replicate, seed, n, rep):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            detected, converged = replicate(n, replication_rng(seed, n, rep))
        except (ArithmeticError, ValueError, np.linalg.LinAlgError, ModelError) as exc:
            return {"n": int(n), "rep": int(rep), "detected": False, "converged": False,
                    "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    out = {"n": int(n), "rep": int(rep), "detected": bool(detected and converged), "converged": bool(converged)}
    seen: dict = {}
    for w in caught:
        seen.setdefault(warning_kind(w.message), str(w.message)[:300])
    if seen:
        out["warnings"] = [[k, v] for k, v in sorted(seen.items())]
    return out


def replication_warnings(records: list) -> list:
    """One line per kind of warning the replications gave: in how many of them, and the first one.

    >>> recs = [{"warnings": [["a #", "a 1"]]}, {"warnings": [["a #", "a 2"]]}, {}]
    >>> replication_warnings(recs)
    ['2 of 3 replications warned: a 1']
    """
    count: dict = {}
    first: dict = {}
    for r in records:
        for kind, text in r.get("warnings", ()):
            count[kind] = count.get(kind, 0) + 1
            first.setdefault(kind, text)
    return [f"{count[k]} of {len(records)} replications warned: {first[k]}" for k in count]


def _chunk(replicate, seed, tasks):
    return [_one(replicate, seed, n, rep) for n, rep in tasks]


@dataclass
class PowerResult(Result):
    """Power per sample size, with Monte Carlo standard errors and the smallest adequate n."""

    title = "Monte Carlo power"
    target: str
    rows: pd.DataFrame
    n_required: float | None
    n_required_range: tuple
    power_goal: float
    reps: int
    seed: int
    analytic: pd.DataFrame | None = None
    settings: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    def to_dict(self) -> dict:
        out = {"target": self.target, "rows": self.rows.to_dict(orient="records"), "n_required": self.n_required,
               "n_required_range": list(self.n_required_range), "power_goal": self.power_goal, "reps": self.reps,
               "seed": self.seed, "settings": self.settings, "warnings": list(self.warnings)}
        if self.analytic is not None:
            out["analytic"] = self.analytic.to_dict(orient="records")
        return out

    def tables(self) -> dict:
        out = {"power": self.rows}
        if self.analytic is not None:
            out["analytic"] = self.analytic
        return out


def summarise(records: list, grid, *, reps: int, goal: float) -> tuple[pd.DataFrame, float | None, tuple]:
    """Rows ``n, power, mc_se, converged, n_reps`` and the interpolated smallest ``n`` reaching
    ``goal`` with its range from power ± 1.96 MC SE (``None`` when the grid never reaches it)."""
    df = pd.DataFrame(records, columns=["n", "rep", "detected", "converged"])
    rows = []
    for n in grid:
        sub = df[df["n"] == n]
        conv = int(sub["converged"].sum())
        p = float(sub.loc[sub["converged"], "detected"].mean()) if conv else float("nan")
        se = math.sqrt(p * (1 - p) / conv) if conv else float("nan")
        rows.append({"n": int(n), "power": p, "mc_se": se, "converged": conv / len(sub) if len(sub) else float("nan"),
                     "n_reps": int(len(sub))})
    t = pd.DataFrame(rows)

    def cross(values):
        ns, ps = t["n"].to_numpy(float), np.asarray(values, dtype=float)
        for i, p in enumerate(ps):
            if p >= goal:
                if i == 0:
                    return float(ns[0])
                p0 = ps[i - 1]
                return float(ns[i - 1] + (goal - p0) * (ns[i] - ns[i - 1]) / (p - p0)) if p != p0 else float(ns[i])
        return None

    est = cross(t["power"])
    lo = cross(t["power"] + 1.96 * t["mc_se"].fillna(0))
    hi = cross(t["power"] - 1.96 * t["mc_se"].fillna(0))
    return t, est, (lo, hi)


def run_power(replicate, grid, *, reps: int = 500, seed: int = 1, jobs: int = 1, scheduler: str | None = None,
              resume: str | Path | None = None, progress=None, chunk: int = 10) -> list:
    """Run ``reps`` replications for every ``n`` in ``grid``; return the records sorted by ``(n, rep)``.

    Parameters
    ----------
    replicate : callable
        ``replicate(n, rng) -> (detected, converged)``; must be picklable for ``jobs > 1`` and Dask.
    grid : sequence of int
    reps, seed : int
    jobs : int
        Local processes (joblib); ``1`` runs in this process.
    scheduler : str, optional
        ``"tcp://HOST:PORT"`` (a running Dask scheduler) or ``"local:N"`` (a
        ``distributed.LocalCluster`` of N workers started for this run).
    resume : path, optional
        A folder: finished replications are appended to ``replications.jsonl`` there as they
        complete, and those already in it are not run again.
    progress : callable, optional
        ``progress(done, total)``.
    """
    tasks = [(int(n), r) for n in grid for r in range(reps)]
    done: dict = {}
    log = None
    if resume is not None:
        folder = Path(resume)
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / "replications.jsonl"
        meta = folder / "settings.json"
        settings = {"seed": int(seed), "reps": int(reps)}
        if meta.is_file():
            old = json.loads(meta.read_text(encoding="utf-8"))
            if old.get("seed") != settings["seed"]:
                raise ModelError(f"{folder}: it holds replications of seed {old.get('seed')}, not {seed}; "
                                 "resume with the same seed or choose another folder")
        else:
            meta.write_text(json.dumps(settings), encoding="utf-8")
        if log.is_file():
            for line in log.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    rec = json.loads(line)
                    done[(rec["n"], rec["rep"])] = rec
    todo = [t for t in tasks if t not in done]
    chunks = [todo[i:i + chunk] for i in range(0, len(todo), chunk)]
    total, finished = len(tasks), len(tasks) - len(todo)
    tick = progress or (lambda a, b: None)
    tick(finished, total)

    def keep(recs):
        nonlocal finished
        for rec in recs:
            done[(rec["n"], rec["rep"])] = rec
        if log is not None:
            with log.open("a", encoding="utf-8") as fh:
                fh.write("".join(json.dumps(r) + "\n" for r in recs))
        finished += len(recs)
        tick(finished, total)

    if scheduler:
        _run_dask(replicate, seed, chunks, scheduler, keep)
    elif jobs and jobs > 1 and len(chunks) > 1:
        from joblib import Parallel, delayed

        for recs in Parallel(n_jobs=jobs, return_as="generator")(delayed(_chunk)(replicate, seed, c)
                                                                 for c in chunks):
            keep(recs)
    else:
        for c in chunks:
            keep(_chunk(replicate, seed, c))
    return [done[t] for t in tasks]


def _run_dask(replicate, seed, chunks, scheduler: str, keep) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ModelError("--scheduler needs Dask's 'distributed' package: pip install 'qimscale[dask]'") from None
    cluster = None
    if scheduler.startswith("local:"):
        try:
            workers = int(scheduler.split(":", 1)[1])
        except ValueError:
            raise ModelError(f"--scheduler {scheduler!r}: expected local:N with N workers") from None
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    elif scheduler.startswith("tcp://"):
        client = Client(scheduler, timeout="10s")
    else:
        raise ModelError(f"--scheduler {scheduler!r}: give tcp://HOST:PORT or local:N")
    try:
        futures = [client.submit(_chunk, replicate, seed, c, pure=False) for c in chunks]
        for fut in as_completed(futures):
            keep(fut.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
