"""Build a :class:`~qimscale.analysis.simulate.Population` from the instrument and a population file,
and simulate a study: item codes plus the instrument's background fields.

The population file (default: the bundled ``analysis/population.yaml``) is documented in
that file. Every key is optional except ``schema``; unknown keys are an error, so a typo
never silently falls back to a default.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from qimscale.analysis.simulate import Population, draw
from qimscale.errors import ModelError

SCHEMA = "qimscale-population/1"
BUNDLED_NAME = "population.yaml"

_KEYS = {
    "": {"schema", "instrument", "instrument_version", "factors", "loadings", "thresholds", "groups",
         "countries", "organisations", "outcome", "missing", "careless", "description"},
    "factors": {"correlation"},
    "factors.correlation": {"within_domain", "between_domains", "exploratory"},
    "loadings": {"default", "reverse_keyed", "items"},
    "thresholds": {"default", "items"},
    "groups": {"column", "levels", "mean_differences"},
    "countries": {"column", "levels", "non_invariance"},
    "organisations": {"n", "teams_per_org", "icc_factors", "icc_outcome"},
    "outcome": {"scale", "effects"},
    "missing": {"blank", "not_applicable"},
}


def bundled_analysis_dir() -> Path:
    """The folder holding the bundled study files (``population.yaml``, ``hypotheses.yaml``)."""
    pkg = Path(__file__).resolve().parent.parent
    for c in (pkg / "_bundled" / "analysis", pkg.parent / "analysis"):
        if (c / BUNDLED_NAME).is_file():
            return c
    raise ModelError("the bundled population model was not found; reinstall qimscale or pass --model FILE")


def read_yaml(path: Path, name: str) -> tuple[object, str]:
    """Read a study YAML file (UTF-8, with or without a byte-order mark) as ``(data, text)``;
    every failure is one :class:`~qimscale.errors.ModelError` naming the file (and line)."""
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
        return yaml.safe_load(text), text
    except FileNotFoundError:
        raise ModelError(f"{name}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"{name}: cannot be read ({type(exc).__name__}); save it as UTF-8 text") from None
    except (yaml.YAMLError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ModelError(f"{name}{f', line {mark.line + 1}' if mark else ''}: not valid YAML") from None


def read_population_file(path=None) -> tuple[dict, str]:
    """Read and check the population YAML; returns ``(spec, display name)``."""
    p = Path(path) if path is not None else bundled_analysis_dir() / BUNDLED_NAME
    name = str(path) if path is not None else f"bundled {BUNDLED_NAME}"
    spec, _ = read_yaml(p, name)
    if not isinstance(spec, dict) or spec.get("schema") != SCHEMA:
        raise ModelError(f"{name}: not a population model (expected 'schema: {SCHEMA}')")
    for where, allowed in _KEYS.items():
        node = spec
        for part in [k for k in where.split(".") if k]:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            continue
        if not isinstance(node, dict):
            raise ModelError(f"{name}: '{where}' must be a mapping")
        unknown = sorted(set(map(str, node)) - allowed)
        if unknown:
            raise ModelError(f"{name}: unknown key(s) {', '.join(repr(u) for u in unknown)} under "
                             f"'{where or 'top level'}'; allowed: {', '.join(sorted(allowed))}")
    return spec, name


def _get(spec, path, default):
    node = spec
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return default if node is None else node


def build_population(inst, spec: dict, name: str = "population") -> tuple[Population, dict]:
    """The :class:`Population` for instrument ``inst`` under ``spec``, and the study settings
    (group column and codes, country column, teams per organisation) the background needs."""
    items = [it.id for it in inst.scored_items()]
    item_scale = {it.id: it.scale for it in inst.scored_items()}
    scales = {sc.id: sc for sc in inst.scales}
    outcome = _get(spec, "outcome.scale", None)
    if outcome is not None and outcome not in scales:
        raise ModelError(f"{name}: outcome.scale '{outcome}' is not a scale of the instrument")
    factors = [s for s in dict.fromkeys(item_scale.values()) if s != outcome]
    domain_of = {s: scales[s].domain for s in factors}
    exploratory = {s for s in factors if getattr(scales[s], "exploratory", False)}
    comp = [s for s in factors if s not in exploratory]
    r_in = float(_get(spec, "factors.correlation.within_domain", 0.5))
    r_between = float(_get(spec, "factors.correlation.between_domains", 0.3))
    r_expl = float(_get(spec, "factors.correlation.exploratory", 0.2))
    R = np.eye(len(factors))
    for a, fa in enumerate(factors):
        for b, fb in enumerate(factors):
            if a == b:
                continue
            if fa in exploratory or fb in exploratory:
                R[a, b] = r_expl
            else:
                R[a, b] = r_in if domain_of[fa] == domain_of[fb] else r_between
    domains: dict[str, list] = {}
    for s in comp:
        domains.setdefault(domain_of[s], []).append(s)

    reverse = [it.id for it in inst.scored_items() if it.reverse]
    lam_default = float(_get(spec, "loadings.default", 0.7))
    lam_rev = float(_get(spec, "loadings.reverse_keyed", lam_default))
    lam_items = dict(_get(spec, "loadings.items", {}))
    t_default = list(_get(spec, "thresholds.default", [-2.0, -1.0, 0.0, 1.0]))
    t_items = dict(_get(spec, "thresholds.items", {}))
    for key in list(lam_items) + list(t_items):
        if key not in item_scale:
            raise ModelError(f"{name}: '{key}' is not a scored item of the instrument")
    loadings = {i: float(lam_items.get(i, lam_rev if i in reverse else lam_default)) for i in items}
    thresholds = {}
    for i in items:
        t = list(t_items.get(i, t_default))
        k = len(inst.response_scale(i).codes)
        if len(t) != k - 1:
            raise ModelError(f"{name}: item '{i}' has {k} response codes, so it needs {k - 1} thresholds; "
                             f"got {len(t)}")
        thresholds[i] = t

    levels = dict(_get(spec, "groups.levels", {}))
    groups = {str(g): float(v.get("share", 0)) for g, v in levels.items()} or {"all": 1.0}
    group_codes = {str(g): v.get("code", g) for g, v in levels.items()}
    means = {str(k): float(v) for k, v in dict(_get(spec, "groups.mean_differences", {})).items()}
    countries = {str(k): float(v) for k, v in dict(_get(spec, "countries.levels", {"all": 1.0})).items()}
    noninv = [dict(d) for d in _get(spec, "countries.non_invariance", [])]
    effects = {str(k): float(v) for k, v in dict(_get(spec, "outcome.effects", {})).items()}
    pop = Population(
        items=items, item_factor=item_scale, loadings=loadings, thresholds=thresholds, reverse=reverse,
        factors=factors, factor_corr=R, domains=domains, outcome_factor=outcome, outcome_effects=effects,
        groups=groups, group_means=means, countries=countries, non_invariance=noninv,
        n_orgs=int(_get(spec, "organisations.n", 1)),
        icc_factors=float(_get(spec, "organisations.icc_factors", 0.0)),
        icc_outcome=float(_get(spec, "organisations.icc_outcome", 0.0)),
        p_missing=float(_get(spec, "missing.blank", 0.0)),
        p_na=float(_get(spec, "missing.not_applicable", 0.0)),
        na_code=inst.na_code(), p_careless=float(_get(spec, "careless", 0.0)))
    settings = {"group_column": _get(spec, "groups.column", None), "group_codes": group_codes,
                "country_column": _get(spec, "countries.column", None),
                "teams_per_org": int(_get(spec, "organisations.teams_per_org", 1))}
    return pop, settings


def _background(inst, data: pd.DataFrame, settings: dict, rng) -> pd.DataFrame:
    """The instrument's background fields, filled plausibly (codes as the instrument defines them)."""
    n = len(data)
    fields = {f.id: f for f in inst.background_for("self")}
    out = {}
    gcol = settings["group_column"]
    clinical = np.zeros(n, dtype=bool)
    if gcol:
        if gcol not in fields:
            raise ModelError(f"population: groups.column '{gcol}' is not a background field of the instrument")
        out[gcol] = data["group"].map(settings["group_codes"]).to_numpy()
        clinical = (data["group"] == "clinical").to_numpy()
    ccol = settings["country_column"]
    if ccol:
        out[ccol] = data["country"].to_numpy()
    org_label = np.array([f"{c}-ORG{o:02d}" for c, o in zip(data["country"], data["org"])], dtype=object)
    team = rng.integers(1, settings["teams_per_org"] + 1, size=n)

    def pick(p, size=n):
        return 1 + rng.choice(len(p), size=size, p=np.asarray(p) / np.sum(p))

    plausible = {
        "clinical_profession": lambda: np.where(clinical, pick([0.6, 0.3, 0.1, 0.0]), 4),
        "org_type": lambda: pick([0.65, 0.35], size=int(data["org"].max()) + 1)[data["org"].to_numpy()],
        "years_qi_role": lambda: pick([0.3, 0.4, 0.3]),
        "years_healthcare": lambda: np.where(clinical, pick([0.05, 0.15, 0.3, 0.5]), pick([0.3, 0.35, 0.2, 0.15])),
        "formal_qi_training": lambda: np.where(clinical, pick([0.3, 0.5, 0.15, 0.05]), pick([0.0, 0.2, 0.5, 0.3])),
        "qim_id": lambda: np.array([f"QIM{i + 1:04d}" for i in range(n)], dtype=object),
        "org_id": lambda: org_label,
        "team_id": lambda: np.array([f"{o}-T{t}" for o, t in zip(org_label, team)], dtype=object),
    }
    for fid in fields:
        if fid in out:
            continue
        if fid in plausible:
            out[fid] = plausible[fid]()
    return pd.DataFrame(out, index=data.index)


def simulate_study(n: int, seed=None, *, instrument=None, model=None):
    """Simulate ``n`` respondents to the instrument under a population model.

    Parameters
    ----------
    n : int
    seed : int or None
        The same seed gives the same data on every machine.
    instrument : Instrument or spec, optional
        Default: the bundled instrument.
    model : path, optional
        Population YAML (default: the bundled ``analysis/population.yaml``).

    Returns
    -------
    data : DataFrame
        Background fields (instrument codes; ``qim_id``, ``org_id``, ``team_id`` study codes)
        then one column per scored item (integer codes, ``<NA>`` blank, the not-applicable
        code as answered).
    info : dict
        ``truth`` (latent scores), ``careless`` (bool array), ``population`` and ``model`` name.
    """
    from qimscale.instrument import load_instrument

    inst = instrument if hasattr(instrument, "scored_items") else load_instrument(instrument)
    spec, name = read_population_file(model)
    pop, settings = build_population(inst, spec, name)
    rng = np.random.default_rng(seed)
    drawn, truth = draw(pop, n, rng)
    bg = _background(inst, drawn, settings, rng)
    data = pd.concat([bg, drawn[pop.items]], axis=1)
    return data, {"truth": truth, "careless": drawn["careless"].to_numpy(), "population": pop, "model": name,
                  "groups": drawn["group"].to_numpy(), "settings": settings}
