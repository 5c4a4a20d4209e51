"""Turn export cells into response codes and list every problem: :func:`validate`.

Validation is lazy (as in pandera): it never stops at the first bad cell but
collects every problem into one table with the columns ``row, column, item,
value, problem``. ``row`` is the spreadsheet row (header rows counted; see
:mod:`qimscale.io.survey`), or empty for problems about a whole column.

Rules, per item column:

- an empty cell is missing (system-missing);
- a number is a code; a text is a number when it parses as one, otherwise it is
  looked up among the response labels of every declared language
  (case- and whitespace-insensitive, never fuzzy);
- the not-applicable code or label (9, "Not applicable / can't judge") is a
  valid answer that is never scored: it becomes missing and is counted;
- SPSS/Stata user-missing codes become missing and are counted separately;
- any other value (a code outside the scale, a fraction, an unknown label,
  other text) is a problem, and the cell becomes missing.

Background fields with categories are checked the same way; free-text fields
are not checked. Duplicate respondent ids and items absent from the file are
problems too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qimscale.errors import DataError
from qimscale._core.formatting import cell_text, show_value
from qimscale.scoring.itemcodes import ItemCodes, small_codes
from qimscale.scoring.spec import normalise_label

PROBLEM_COLUMNS = ["row", "column", "item", "value", "problem"]

#: a number as written in an export: ASCII digits only (float() alone would also take '0_4' or other scripts' digits)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


@dataclass
class Validation:
    """The validated codes and the problems found.

    Attributes
    ----------
    background : pandas.DataFrame
        Background field id -> validated values.
    problems : pandas.DataFrame
        ``row, column, item, value, problem``.
    counts : dict
        Per item: ``answered``, ``missing``, ``not_applicable``,
        ``user_missing``, ``invalid``, ``from_labels``.
    item_codes : ItemCodes or None
        The item matrix as 8-bit codes and an answered mask, when every
        item's codes are small integers (Likert codes); else None.
    codes : pandas.DataFrame
        Item id -> float codes (missing where empty, not applicable,
        user-missing or invalid), same index as the data (built from
        ``item_codes`` on first use).
    """

    background: pd.DataFrame
    problems: pd.DataFrame
    counts: dict = field(default_factory=dict)
    item_codes: ItemCodes | None = None
    float_codes: pd.DataFrame | None = None

    @property
    def codes(self) -> pd.DataFrame:
        if self.float_codes is None:
            self.float_codes = self.item_codes.to_frame()
            self.float_codes.attrs["qimscale_codes"] = list(self.item_codes.codes)
        return self.float_codes

    @property
    def matrix(self):
        """What scoring reads: :attr:`item_codes` when there is one, else :attr:`codes`."""
        return self.item_codes if self.item_codes is not None else self.codes

    def output_column(self, j: int):
        """Item ``j``'s validated codes for the output table (nullable integers where possible)."""
        if self.item_codes is not None:
            return self.item_codes.nullable(j)
        return self.float_codes.iloc[:, j].to_numpy()


def _in_ranges(values: np.ndarray, defs) -> np.ndarray:
    """Mask of values inside SPSS user-missing definitions (codes or lo/hi ranges)."""
    mask = np.zeros(values.shape, dtype=bool)
    for d in defs or []:
        if isinstance(d, str):
            continue  # Stata letter codes are handled on the raw cells
        if isinstance(d, dict):
            mask |= (values >= float(d["lo"])) & (values <= float(d["hi"]))
        else:
            try:
                mask |= values == float(d)
            except (TypeError, ValueError):
                continue
    return mask


def _as_codes(series: pd.Series, labels: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convert a column to float codes, vectorised over its distinct values.

    Returns ``(values, unparsed, from_label)``: float values (NaN where empty
    or unparseable), a mask of non-empty cells that are neither numbers nor
    known labels, and a mask of cells converted from a label.
    """
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        vals = series.to_numpy(dtype=float, na_value=np.nan)
        return vals, np.zeros(len(vals), bool), np.zeros(len(vals), bool)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if len(uniques) == 0:
        empty = np.zeros(len(series), bool)
        return np.full(len(series), np.nan), empty, empty.copy()
    uvals = np.full(len(uniques), np.nan)
    ubad = np.zeros(len(uniques), bool)
    ulabel = np.zeros(len(uniques), bool)
    for k, u in enumerate(uniques):
        if isinstance(u, (bool, np.bool_)):
            ubad[k] = True
            continue
        if isinstance(u, (int, float, np.integer, np.floating)):
            uvals[k] = float(u)
            continue
        text = str(u).strip()
        if not text:
            continue
        if _NUMBER.fullmatch(text):
            uvals[k] = float(text)
            if not np.isfinite(uvals[k]):  # overflow, e.g. 1e999
                uvals[k] = np.nan
                ubad[k] = True
            continue
        key = normalise_label(text)
        if key in labels:
            uvals[k] = float(labels[key])
            ulabel[k] = True
        else:
            ubad[k] = True
    ok = codes >= 0
    vals = np.where(ok, uvals[np.where(ok, codes, 0)], np.nan)
    bad = ok & ubad[np.where(ok, codes, 0)]
    lab = ok & ulabel[np.where(ok, codes, 0)]
    return vals, bad, lab


def _problem_frame(survey, positions: np.ndarray, column: str, item: str, values, problem) -> pd.DataFrame:
    rows = survey.row_number(positions)
    vals = pd.Series(values).astype(object).map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                                                else cell_text(v))
    return pd.DataFrame({"row": rows.astype("int64"), "column": column, "item": item,
                         "value": vals.to_numpy(), "problem": problem})


def _small_int_fast_path(s: pd.Series, codes, na_codes, user_missing, values_out, answered_out):
    """Vectorised check of an 8-bit nullable integer column with a lookup table, or None.

    Writes the scored codes (0 elsewhere) into ``values_out`` and the answered
    mask into ``answered_out``; returns ``(invalid mask or None, n invalid,
    n not applicable)``.
    """
    if user_missing or not isinstance(s.dtype, pd.Int8Dtype) or not codes:
        return None
    arr = s.array
    try:
        raw, missing = np.asarray(arr._data), np.asarray(arr._mask)
    except AttributeError:  # pragma: no cover - pandas internals changed: use the general path
        return None
    # status of each byte value (two's complement): 0 scored code, 1 not applicable, 2 invalid; 3 = empty cell
    lut = np.full(256, 2, dtype=np.uint8)
    for c in codes:
        if -128 <= c <= 127 and float(c).is_integer():
            lut[int(c) & 0xFF] = 0
    for c in na_codes:
        if -128 <= c <= 127 and float(c).is_integer():
            lut[int(c) & 0xFF] = 1
    st = lut.take(raw.view(np.uint8))
    np.copyto(st, 3, where=missing)
    np.equal(st, 0, out=answered_out)
    np.multiply(raw, answered_out, out=values_out)
    bad = st == 2
    n_bad = int(np.count_nonzero(bad))
    n_na = int(np.count_nonzero(st == 1)) if np.any(lut == 1) else 0
    return (bad if n_bad else None), n_bad, n_na


def _apply_recodes(vals: np.ndarray, from_label: np.ndarray, recode: dict):
    """Exported values -> codes; returns ``(values, unmapped mask, n recoded)``.

    Cells converted from a response label already hold codes and are left alone.
    """
    num = ~np.isnan(vals) & ~from_label
    new = vals.copy()
    hit = np.zeros(len(vals), dtype=bool)
    for exported, code in recode.items():
        m = num & (vals == exported)
        new[m] = code
        hit |= m
    unmapped = num & ~hit
    new[unmapped] = np.nan
    return new, unmapped, int(hit.sum())


def _check_column(survey, col: str, target: str, codes: list, na_code, labels: dict, user_missing,
                  what: str, small=None, recode=None) -> tuple[np.ndarray | None, list[pd.DataFrame], dict]:
    """Check one column; returns ``(float codes, problem frames, counts)``.

    With ``small = (values, answered)`` (the item's columns of an
    :class:`ItemCodes`), an 8-bit integer column is checked with a lookup
    table straight into them and the float codes returned are None.
    """
    s = survey.data[col]
    na_codes = [c for c in (na_code if isinstance(na_code, (list, tuple)) else [na_code]) if c is not None]
    # Stata extended missing values (.a-.z) arrive as the letters 'a'-'z' (user_missing=True)
    str_missing = [d for d in user_missing or [] if isinstance(d, str)]
    um_text = None
    if str_missing and not pd.api.types.is_numeric_dtype(s.dtype):
        um_text = s.isin(str_missing).to_numpy()
        s = s.where(~um_text, None)
    fast = None if recode or small is None else _small_int_fast_path(s, codes, na_codes, user_missing, *small)
    if fast is not None:
        bad, n_bad, n_na = fast
        frames = []
        if n_bad:
            pos = np.flatnonzero(bad)
            frames.append(_problem_frame(survey, pos, col, target, s.to_numpy(dtype=object)[pos],
                                         f"out of range: not one of the codes {_describe(codes, na_code)}"))
        answered = int(np.count_nonzero(small[1]))
        return None, frames, {"from_labels": 0, "user_missing": 0, "not_applicable": n_na, "invalid": n_bad,
                              "answered": answered, "missing": len(s) - answered}
    vals, unparsed, from_label = _as_codes(s, labels)
    counts = {"from_labels": int(from_label.sum())}
    unmapped = None
    if recode:
        vals, unmapped, counts["recoded"] = _apply_recodes(vals, from_label, recode)
    um = _in_ranges(vals, user_missing) & ~np.isnan(vals)
    counts["user_missing"] = int(um.sum()) + (int(um_text.sum()) if um_text is not None else 0)
    vals = np.where(um, np.nan, vals)
    na = np.isin(vals, np.asarray(na_codes, dtype=float)) if na_codes else np.zeros(len(vals), bool)
    counts["not_applicable"] = int(na.sum())
    vals = np.where(na, np.nan, vals)
    valid = np.isin(vals, np.asarray(codes, dtype=float)) if codes else ~np.isnan(vals)
    out_of_range = ~np.isnan(vals) & ~valid
    frames = []
    bad_export = unmapped is not None and unmapped.any()
    raw = s.to_numpy(dtype=object) if (unparsed.any() or out_of_range.any() or bad_export) else None
    if bad_export:
        pos = np.flatnonzero(unmapped)
        exported = ", ".join(cell_text(v) for v in recode)
        frames.append(_problem_frame(survey, pos, col, target, raw[pos],
                                     f"out of range: not one of the exported values {exported} "
                                     "(Qualtrics recode values from the .qsf)"))
    if unparsed.any():
        pos = np.flatnonzero(unparsed)
        kind = "unknown label" if counts["from_labels"] else "non-numeric text"
        allowed = _describe(codes, na_code)
        frames.append(_problem_frame(survey, pos, col, target, raw[pos],
                                     f"{kind}: not a number and not one of the {what}'s response labels "
                                     f"(codes {allowed})"))
    if out_of_range.any():
        pos = np.flatnonzero(out_of_range)
        frames.append(_problem_frame(survey, pos, col, target, raw[pos],
                                     f"out of range: not one of the codes {_describe(codes, na_code)}"))
    vals = np.where(out_of_range, np.nan, vals)
    counts["invalid"] = int(unparsed.sum() + out_of_range.sum() + (unmapped.sum() if bad_export else 0))
    counts["answered"] = int((~np.isnan(vals)).sum())
    counts["missing"] = int(len(vals) - counts["answered"])
    return vals, frames, counts


def _describe(codes, na_code) -> str:
    if isinstance(na_code, (list, tuple)):
        na_code = " or ".join(str(c) for c in na_code)
    if not codes:
        return "any number"
    cs = sorted(int(c) for c in codes)
    text = f"{cs[0]}-{cs[-1]}" if cs == list(range(cs[0], cs[-1] + 1)) and len(cs) > 2 else ", ".join(map(str, cs))
    return text + (f" or {na_code} (not applicable)" if na_code is not None else "")


def validate(survey, spec, colmap, *, id_columns=None, extra_na=None, recodes=None) -> Validation:
    """Validate the mapped columns of ``survey`` against ``spec``.

    Parameters
    ----------
    survey : qimscale.io.SurveyData
    spec : ScoringSpec
    colmap : ColumnMap
        From :func:`~qimscale.scoring.mapping.map_columns`.
    id_columns : list of str, optional
        Columns that identify a respondent (default: the platform's).
    extra_na : dict, optional
        Item -> further codes that mean "not applicable" in this file (the
        Qualtrics TXT import numbers the not-applicable answer ``max + 1``).
    recodes : dict, optional
        Item -> ``{exported value: code}`` (Qualtrics recode values, see
        :func:`~qimscale.scoring.mapping.qsf_recodes`): numbers in the column
        are exported values, turned into codes before the checks; a number
        that is not an exported value is a problem.

    Returns
    -------
    Validation
        Codes, validated background values, the problems table (``row,
        column, item, value, problem``) and per-item counts.
    """
    df = survey.data
    n = df.shape[0]
    frames: list[pd.DataFrame] = []
    items = list(spec.items)
    counts = {}
    item_cols = colmap.item_columns(spec)
    extra_na = extra_na or {}
    # Likert codes: the item matrix as 8-bit codes + answered mask; other codes: single precision
    # floats (exact for every |code| < 2**24)
    all_codes = [c for r in spec.items.values() for c in r.codes] + [c for v in extra_na.values() for c in v]
    small = all(r.codes for r in spec.items.values()) and small_codes(all_codes)
    ic = ItemCodes.empty(n, items, df.index, [c for r in spec.items.values() for c in r.codes]) if small else None
    matrix = None if small else np.empty((n, len(items)), dtype=np.float32, order="F")
    for j, (item_id, rule) in enumerate(spec.items.items()):
        col = item_cols.get(item_id)
        if col is None:
            if matrix is not None:
                matrix[:, j] = np.nan
            frames.append(pd.DataFrame({"row": [None], "column": [None], "item": [item_id], "value": [None],
                                        "problem": [f"item absent from the file (scale '{rule.scale}')"]}))
            counts[item_id] = {"absent": True}
            continue
        na = rule.na_code if item_id not in extra_na else [rule.na_code] + list(extra_na[item_id])
        vals, fr, c = _check_column(survey, col, item_id, rule.codes, na, rule.labels,
                                    survey.user_missing.get(col), "item",
                                    small=(ic.values[:, j], ic.answered[:, j]) if small else None,
                                    recode=(recodes or {}).get(item_id))
        if vals is not None:
            if small:
                ok = ~np.isnan(vals)
                ic.answered[:, j] = ok
                ic.values[ok, j] = vals[ok]  # validated: scored codes only, each a small integer
            else:
                matrix[:, j] = vals
        del vals
        frames += fr
        counts[item_id] = c
    background = {}
    for bid, rule in spec.background.items():
        col = colmap.columns.get(bid)
        if col is None:
            continue
        if not rule.codes:
            background[bid] = df[col]
            continue
        vals, fr, c = _check_column(survey, col, bid, rule.codes, None, rule.labels,
                                    survey.user_missing.get(col), "field")
        for f in fr:
            f["problem"] = f["problem"].str.replace("out of range: not one of the codes",
                                                    "outside the field's categories", regex=False)
        background[bid] = vals
        frames += fr
    frames += _duplicate_ids(survey, id_columns if id_columns is not None else survey.id_columns)
    frames = [f for f in frames if len(f)]
    problems = (pd.concat(frames, ignore_index=True) if frames
                else pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS}))
    problems = problems[PROBLEM_COLUMNS]
    problems["row"] = problems["row"].astype("Int64")
    if small:
        return Validation(pd.DataFrame(background, index=df.index), problems, counts, item_codes=ic)
    codes = pd.DataFrame(matrix, columns=items, index=df.index, copy=False)
    # every value the matrix can hold: the scored codes (for exact single-precision sums downstream)
    if all(r.codes for r in spec.items.values()):
        codes.attrs["qimscale_codes"] = sorted({float(c) for r in spec.items.values() for c in r.codes})
    return Validation(pd.DataFrame(background, index=df.index), problems, counts, float_codes=codes)


def _duplicate_ids(survey, id_columns) -> list[pd.DataFrame]:
    df = survey.data
    id_columns = [c for c in id_columns or [] if c in df.columns]  # score_file checks --id columns exist
    if not id_columns:
        return []
    key = df[id_columns[0]] if len(id_columns) == 1 else df[id_columns].astype("string").fillna("").agg("|".join, axis=1)
    present = df[id_columns[0]].notna().to_numpy()
    codes, _ = pd.factorize(key, use_na_sentinel=True)
    dup = pd.Series(codes).duplicated().to_numpy() & present & (codes >= 0)
    if not dup.any():
        return []
    _, first = np.unique(codes, return_index=True)
    first_of = dict(zip(np.unique(codes), first))
    pos = np.flatnonzero(dup)
    firsts = survey.row_number(np.array([first_of[codes[p]] for p in pos]))
    vals = key.to_numpy(dtype=object)[pos]
    f = _problem_frame(survey, pos, " + ".join(id_columns), None, vals, "")
    f["problem"] = [f"duplicate respondent id: the same id is on row {r}" for r in firsts]
    return [f]


def strict_error(problems: pd.DataFrame, source: str, *, show: int = 3) -> DataError:
    """The error ``--strict`` raises: the count and the first few problems, on one line."""
    parts = []
    for r in problems.head(show).itertuples(index=False):
        where = f"row {r.row}, " if pd.notna(r.row) else ""
        col = f"column {show_value(r.column)}" if r.column else f"item {r.item!r}"
        val = f": value {show_value(r.value)}" if r.value is not None else ""
        parts.append(f"{where}{col}{val}: {r.problem}")
    more = f" (and {len(problems) - show} more)" if len(problems) > show else ""
    return DataError(f"{source}: {len(problems)} problem(s) with --strict: " + "; ".join(parts) + more
                     + "; run without --strict to get the full problems table")
