"""Data preparation for ``relate``: organisation-level merge, checks, listwise deletion, patsy design.

Steps, in the order :func:`prepare` runs them:

1. check that every named column exists and has a usable type
   (outcome numeric; predictors numeric or a category);
2. listwise deletion over every variable the model uses, counted per column and
   reported (never silent);
3. checks on the analysed rows: a constant outcome, a category with one level;
4. optional mean-centring of the interaction's numeric variables;
5. the design matrix through patsy (terms keep patsy's names:
   ``Intercept``, ``qim_type[T.traditional]``, ``a:b``), checked for collinearity.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qimscale._core.checks import (cell_error, check_columns, check_finite, check_numeric_columns,
                                    spreadsheet_row)
from qimscale._core.formatting import cell_text
from qimscale.errors import DataError

from . import _checks


def term_name(col: str) -> str:
    """The patsy spelling of a column: the name itself when it is an identifier, else ``Q("...")``.

    >>> term_name("expertise"), term_name("QI score")
    ('expertise', 'Q("QI score")')
    """
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", col) and not keyword.iskeyword(col):
        return col
    return "Q(" + repr(col).replace("'", '"') + ")" if '"' not in col else f"Q({col!r})"


def parse_interaction(spec: str) -> tuple[str, str]:
    """``"a:b"`` as ``("a", "b")``: the focal predictor and the moderator.

    >>> parse_interaction("expertise:interpersonal")
    ('expertise', 'interpersonal')
    """
    parts = [p.strip() for p in str(spec).split(":")]
    if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
        raise DataError(f"an interaction is written FOCAL:MODERATOR with two different columns, e.g. "
                        f"expertise:interpersonal; got {spec!r}")
    return parts[0], parts[1]


# --------------------------------------------------------------------------- organisation-level outcomes

def _keys(s: pd.Series) -> pd.Series:
    """Merge keys as text: whole numbers without '.0', surrounding spaces removed, missing stays missing."""
    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return None
        return cell_text(v).strip() or None
    return s.map(one).astype(object)


def merge_org_outcomes(data: pd.DataFrame, org: pd.DataFrame, key: str, *, source: str = "data",
                       org_source: str = "organisation file") -> tuple[pd.DataFrame, dict]:
    """Attach organisation-level indicators to every respondent of that organisation.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondent rows holding the key column.
    org : pandas.DataFrame
        One row per organisation: the key column and the indicators.
    key : str
        The key column, present in both (compared as text; ``3`` and ``3.0`` match).
    source, org_source : str
        How messages name the two files.

    Returns
    -------
    merged : pandas.DataFrame
        ``data`` (same rows and index) with the indicator columns added.
    info : dict
        ``n_org_rows``, ``n_matched_rows``, ``indicators`` (columns added),
        ``unmatched_data_keys`` (list of ``{"key", "rows"}``: keys of ``data`` not in ``org``
        and how many respondent rows hold each; ``key`` is ``None`` for rows with no key),
        ``unmatched_org_keys`` (organisations without respondents).
        Nothing is dropped here: unmatched respondents get missing indicators,
        which listwise deletion then counts.

    Raises
    ------
    DataError
        The key is missing from a file, a key is repeated or empty in ``org``,
        or an indicator name is already a column of ``data``.

    Examples
    --------
    >>> d = pd.DataFrame({"org": ["a", "a", "b", "c"], "x": [1, 2, 3, 4]})
    >>> o = pd.DataFrame({"org": ["a", "b", "z"], "audit": [0.5, 0.7, 0.9]})
    >>> merged, info = merge_org_outcomes(d, o, "org")
    >>> merged["audit"].tolist(), info["unmatched_data_keys"], info["unmatched_org_keys"]
    ([0.5, 0.5, 0.7, nan], [{'key': 'c', 'rows': 1}], ['z'])
    """
    for df, name in ((data, source), (org, org_source)):
        if key not in df.columns:
            raise DataError(f"{name}: the key column '{key}' (--org-key) is not in the file; its columns are "
                            + ", ".join(map(repr, list(df.columns)[:20])))
    okeys = _keys(org[key])
    empty = okeys.isna().to_numpy()
    if empty.any():
        pos = int(empty.argmax())
        raise cell_error("is an empty key", row=pos, column=key, value=org[key].iloc[pos], source=org_source,
                         fix="Every organisation row needs its key: fill it in or delete the row.")
    dup = okeys.duplicated(keep="first").to_numpy()
    if dup.any():
        pos = int(dup.argmax())
        first = int(np.flatnonzero((okeys == okeys.iloc[pos]).to_numpy())[0])
        raise cell_error(f"repeats the key of row {spreadsheet_row(first)}", row=pos, column=key,
                         value=org[key].iloc[pos], source=org_source, fix="Keep one row per organisation.")
    indicators = [c for c in org.columns if c != key]
    clash = [c for c in indicators if c in data.columns]
    if clash:
        raise DataError(f"{org_source}: column '{clash[0]}' is also a column of {source}; rename it in one of the "
                        "files so the merged value is not confused with the respondent's")
    dkeys = _keys(data[key])
    table = org.set_index(okeys.to_numpy())[indicators]
    merged = data.copy()
    for c in indicators:
        merged[c] = dkeys.map(table[c]).to_numpy()
        if pd.api.types.is_numeric_dtype(org[c]):
            merged[c] = pd.to_numeric(merged[c])
    known = set(okeys)
    hit = dkeys.isin(known).to_numpy()
    unmatched = dkeys[~hit].value_counts(dropna=False)
    info = {"n_org_rows": int(len(org)), "n_matched_rows": int(hit.sum()), "indicators": indicators,
            "unmatched_data_keys": [{"key": None if pd.isna(k) else k, "rows": int(v)} for k, v in unmatched.items()],
            "unmatched_org_keys": sorted(known - set(dkeys.dropna()))}
    return merged, info


def org_merge_warnings(info: dict, key: str, source: str, org_source: str) -> list[str]:
    """The unmatched keys of :func:`merge_org_outcomes`, as messages (every key listed)."""
    out = []
    um = info["unmatched_data_keys"]
    if um:
        n = sum(u["rows"] for u in um)
        keys = ", ".join("(no key)" if u["key"] is None else repr(u["key"]) for u in um)
        out.append(f"{n} row(s) of {source} have a '{key}' that is not in {org_source} ({keys}); their "
                   "organisation indicators are missing (listwise deletion counts them)")
    if info["unmatched_org_keys"]:
        out.append(f"{len(info['unmatched_org_keys'])} organisation(s) of {org_source} have no respondents in "
                   f"{source}: " + ", ".join(map(repr, info["unmatched_org_keys"])))
    return out


# --------------------------------------------------------------------------- the design

@dataclass
class Design:
    """The analysed rows of a ``relate`` model and its design matrix.

    Attributes
    ----------
    frame : pandas.DataFrame
        The analysed rows (after listwise deletion and centring), original index.
    y : numpy.ndarray
        The outcome.
    x : pandas.DataFrame
        The patsy design matrix (columns are patsy term names).
    outcome : str
    terms : list of str
        The right-hand-side terms as written in the formula.
    n_total, n : int
        Rows before and after listwise deletion.
    dropped_by_column : dict
        ``{column: rows with that value missing}`` among the rows before deletion.
    centered : dict
        ``{column: mean subtracted}``.
    categorical : list of str
    notes : list of str
        Things the user should know (numeric predictors that look like category codes).
    """

    frame: pd.DataFrame
    y: np.ndarray
    x: pd.DataFrame
    outcome: str
    terms: list
    n_total: int
    n: int
    dropped_by_column: dict
    centered: dict = field(default_factory=dict)
    categorical: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def n_dropped(self) -> int:
        return self.n_total - self.n

    def deletion(self) -> dict:
        """``{"n_total", "n_used", "n_dropped", "missing_by_column", "rule"}`` for the result."""
        return {"n_total": self.n_total, "n_used": self.n, "n_dropped": self.n_dropped,
                "missing_by_column": dict(self.dropped_by_column), "rule": "listwise"}

    def deletion_message(self) -> str | None:
        """One sentence saying how many rows listwise deletion dropped and why (None if none)."""
        if not self.n_dropped:
            return None
        by = ", ".join(f"'{c}': {k}" for c, k in self.dropped_by_column.items() if k)
        return (f"listwise deletion: {self.n_dropped} of {self.n_total} rows dropped because a model variable is "
                f"missing ({by}; a row may miss several)")

    def formula(self) -> str:
        return f"{term_name(self.outcome)} ~ " + " + ".join(self.terms or ["1"])


def prepare(data: pd.DataFrame, outcome: str, predictors, *, covariates=(), interaction=None,
            center: bool = False, extra=(), categorical=(), numeric=(), source: str = "data",
            roles: dict | None = None) -> Design:
    """Check the variables, delete listwise (counted), centre, and build the patsy design.

    Parameters
    ----------
    data : pandas.DataFrame
    outcome : str
    predictors, covariates : sequence of str
        Columns entering the model as main effects (covariates after predictors).
    interaction : str, optional
        ``"a:b"``; both parts are added as main effects when not already listed.
    center : bool
        Mean-centre the numeric parts of the interaction over the analysed rows.
    extra : sequence of str
        Further columns that must be present for a row to be analysed (cluster, mediator).
    categorical : sequence of str
        Columns to treat as categories even when they hold numbers.
    numeric : sequence of str
        Columns that must be numeric (a mediator, a random slope).
    source : str
        How messages name the data.

    Returns
    -------
    Design
    """
    roles = dict(roles or {})
    roles.setdefault(outcome, "the outcome (--outcome)")
    preds = list(dict.fromkeys(list(predictors) + list(covariates)))
    inter = parse_interaction(interaction) if interaction else None
    if inter:
        preds += [v for v in inter if v not in preds]
    if outcome in preds:
        raise DataError(f"{source}: column '{outcome}' is both the outcome and a predictor; use it in one role")
    columns = [outcome] + preds + [c for c in extra if c not in preds and c != outcome]
    check_columns(data, columns, source=source, roles=roles)
    check_numeric_columns(data, [outcome], source=source, fix=_checks.numeric_fix("outcome"))
    for c in numeric:
        check_numeric_columns(data, [c], source=source, fix=_checks.numeric_fix(roles.get(c, "variable")))
    cats = [c for c in preds if _checks.check_predictor(data, c, source, c in categorical)]

    frame = data[columns].copy()
    missing = frame.isna()
    dropped_by = {c: int(k) for c, k in missing.sum().items() if k}
    keep = ~missing.any(axis=1).to_numpy()
    frame = frame.loc[keep]
    n_total = len(data)
    if len(frame) == 0:
        raise DataError(f"{source}: no row has all of {', '.join(map(repr, columns))} filled in; "
                        "fill in the missing values or choose other variables")
    nums = [outcome] + [p for p in preds if p not in cats]
    check_finite(data[nums].to_numpy(dtype=float, na_value=np.nan), nums, rows=keep, source=source)
    y = frame[outcome].to_numpy(dtype=float)
    _checks.check_not_constant(y, outcome, source, "outcome")
    for c in cats:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            # a declared category holding numbers: level names without '.0', so terms read 'site[T.2]'
            frame[c] = s.map(cell_text)
        _checks.check_levels(frame[c], c, source)
        # a pandas Categorical with sorted levels: patsy's default order and names, read from codes (fast)
        frame[c] = pd.Categorical(frame[c], categories=sorted(frame[c].unique()))
    notes = []
    for c in preds:
        if c not in cats:
            v = frame[c].to_numpy(dtype=float)
            _checks.check_not_constant(v, c, source, "predictor")
            levels = np.unique(v)
            if 3 <= len(levels) <= 10 and np.all(levels == np.round(levels)) and not pd.api.types.is_bool_dtype(
                    frame[c]):
                notes.append(f"predictor '{c}' holds only {len(levels)} distinct whole numbers and is analysed as a "
                             f"number (one slope); if they are category codes, declare it with --categorical {c}")
    centered = {}
    if inter and center:
        for c in inter:
            if c not in cats:
                centered[c] = float(frame[c].mean())
                frame[c] = frame[c].astype(float) - centered[c]
    terms = [term_name(c) for c in preds]
    if inter:
        terms.append(f"{term_name(inter[0])}:{term_name(inter[1])}")
    x = design_matrix(terms, frame)
    _checks.check_collinear(x.to_numpy(), list(x.columns), source)
    return Design(frame=frame, y=y, x=x, outcome=outcome, terms=terms, n_total=n_total, n=len(frame),
                  dropped_by_column=dropped_by, centered=centered, categorical=cats, notes=notes)


def design_matrix(terms, frame: pd.DataFrame) -> pd.DataFrame:
    """The patsy design of ``1 + terms`` on ``frame`` (no row is dropped: ``frame`` is complete)."""
    import patsy

    rhs = " + ".join(["1"] + list(terms))
    return patsy.dmatrix(rhs, frame, return_type="dataframe", NA_action=patsy.NAAction(NA_types=[]))
