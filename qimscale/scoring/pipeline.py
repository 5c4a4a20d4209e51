"""Score a survey export end to end: :func:`score_file` and :class:`ScoreResult`.

read -> map columns to items -> validate (every problem listed) -> reverse-key
and score -> quality flags -> drop direct identifiers -> outputs. The CLI
command ``qimscale score`` is a thin wrapper around :func:`score_file`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qimscale.errors import DataError
from qimscale._core.formatting import show_value
from qimscale.scoring.scores import DEFAULT_MIN_ANSWERED


@dataclass
class ScoreResult:
    """Scores, problems and the scoring log of one export.

    Attributes
    ----------
    table : pandas.DataFrame
        The output: the file's columns without direct identifiers, item columns
        replaced by validated codes under their item ids, background fields
        under their ids, then scale and domain scores and ``qc_*`` flags.
    problems : pandas.DataFrame
        ``row, column, item, value, problem`` (see :mod:`qimscale.scoring.validation`).
    log : dict
        Every rule applied, with counts (the JSON scoring log).
    identifiers_dropped : list of str
    """

    table: pd.DataFrame
    problems: pd.DataFrame
    log: dict
    identifiers_dropped: list = field(default_factory=list)
    column_labels: dict = field(default_factory=dict)
    value_labels: dict = field(default_factory=dict)
    source: str = ""

    def summary(self) -> dict:
        """The ``--json`` object: ``n_rows``, ``n_scored``, ``scales``, ``problems`` (+ extras)."""
        scales = {}
        for sid, info in self.log["scoring"]["scales"].items():
            col = self.table[sid] if sid in self.table else pd.Series(dtype=float)
            scales[sid] = {"n_scored": int(col.notna().sum()), "mean": _f(col.mean()), "sd": _f(col.std()),
                           "k": info["k"], "n_prorated": info["n_prorated"], "domain": info["domain"],
                           "exploratory": info["exploratory"]}
        probs = self.problems.astype(object).where(self.problems.notna(), None).to_dict(orient="records")
        return {"n_rows": self.log["n_rows"], "n_scored": self.log["n_scored"], "scales": scales,
                "domains": {d: {"n_scored": int(self.table[d].notna().sum()) if d in self.table else 0}
                            for d in self.log["scoring"]["domains"]},
                "problems": probs, "n_problems": len(probs),
                "identifiers_dropped": list(self.identifiers_dropped),
                "excluded_rows": self.log.get("excluded_rows", []), "source_format": self.log["read"]["format"]}

    def write(self, out, *, protect=()) -> dict:
        """Write the table to ``out`` and, beside it, ``<stem>.problems.csv`` and ``<stem>.log.json``.

        All three files appear together or none does (temporary files and
        :func:`os.replace`); the input named in ``protect`` is never overwritten.
        """
        from qimscale.io.writers import AtomicOutputs, output_format

        out = Path(out)
        output_format(out)
        stem = out.with_suffix("")
        paths = {"scores": out, "problems": Path(f"{stem}.problems.csv"), "log": Path(f"{stem}.log.json")}
        self.log["outputs"] = {k: str(v) for k, v in paths.items()}
        if out.suffix.lower() in (".sav", ".dta"):
            from qimscale.io.writers import safe_names

            renamed = safe_names(self.table.columns, out.suffix.lower()[1:])
            if renamed:
                self.log["outputs"]["renamed_columns"] = renamed
        with AtomicOutputs(protect) as w:
            w.add_table(self.table, out, column_labels=self.column_labels, value_labels=self.value_labels)
            w.add_table(self.problems, paths["problems"])
            w.add_json(self.log, paths["log"])
        return {k: str(v) for k, v in paths.items()}


def _f(x) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def score_file(path, *, instrument=None, mapping=None, min_answered: float = DEFAULT_MIN_ANSWERED,
               format: str | None = None, strict: bool = False, keep_identifiers: bool = False,  # noqa: A002
               exclude_flagged: bool = False, sums: bool = False, norms=None, min_seconds=None,
               dictionary=None, id_columns=None, include_exploratory: bool = True,
               quality: bool = True) -> ScoreResult:
    """Read, validate and score a survey export.

    Parameters
    ----------
    path : str or Path
        The export (any format :func:`qimscale.io.read_survey` reads).
    instrument : str, Path, Instrument or ScoringSpec, optional
        Default: the bundled QIM instrument.
    mapping : str, Path or dict, optional
        Column -> item mapping (file for ``--map`` or a dict).
    min_answered : float
        Fraction of a scale's items needed for a score (default 0.75: at most one
        missing answer on a 4-7 item scale; see
        :data:`~qimscale.scoring.scores.MIN_ANSWERED_RULE`).
    format : str, optional
        Overrides format detection.
    strict : bool
        Raise on the first problems instead of setting invalid cells missing.
    keep_identifiers : bool
        Keep direct identifiers (platform PII, the instrument's personal
        fields) in the output (default: dropped). The instrument's study codes
        (``identifier: study_code``: ``qim_id``, ``org_id``, ``team_id``) are
        always kept.
    exclude_flagged : bool
        Remove rows with any data-quality flag (default: keep and flag).
    sums : bool
        Add pro-rated sum scores.
    norms : str, Path or DataFrame, optional
        Norms (``scale, mean, sd``) for T-scores and percentiles.
    min_seconds : float, optional
        Too-fast threshold (default 2 s per item).
    dictionary : str or Path, optional
        REDCap data dictionary (identifiers, labels), or a Qualtrics ``.qsf``
        survey file: its recode values (e.g. answers 1..4 exported as 10..13)
        are turned back into the instrument's codes (see
        :func:`~qimscale.scoring.mapping.qsf_recodes`).
    id_columns : list of str, optional
        Respondent-id columns for the duplicate check (default: the platform's).
    include_exploratory : bool
        Score exploratory scales too (default); they never enter domain scores.
    quality : bool
        Compute the ``qc_*`` data-quality columns (default). Without them
        ``exclude_flagged`` is not available.

    Returns
    -------
    ScoreResult

    Raises
    ------
    DataError
        Unreadable input, no instrument items in the file, an invalid mapping,
        or any problem when ``strict`` is set.
    """
    from qimscale.io import read_survey
    from qimscale.scoring.mapping import code_column_hint, map_columns, read_map_file
    from qimscale.scoring.quality import quality_flags
    from qimscale.scoring.scores import read_norms, score_codes
    from qimscale.scoring.spec import ScoringSpec
    from qimscale.scoring.validation import strict_error, validate

    spec = instrument if isinstance(instrument, ScoringSpec) else _spec(instrument, include_exploratory)
    if isinstance(mapping, (str, Path)):
        mapping = read_map_file(mapping)
    qsf, qsf_path = None, dictionary
    if dictionary is not None and str(dictionary).lower().endswith(".qsf"):
        from qimscale.io.definitions import read_qsf

        qsf, dictionary = read_qsf(dictionary), None
    survey = read_survey(path, format=format, dictionary=dictionary, compact=True,
                         int8_hint=code_column_hint(spec, mapping))
    if id_columns:
        missing = [c for c in id_columns if c not in survey.data.columns]
        if missing:
            raise DataError(f"{path}: id column {show_value(missing[0])} is not in the file")
    colmap = map_columns(survey, spec, mapping)
    recodes, recode_log = ({}, {})
    if qsf is not None:
        from qimscale.scoring.mapping import qsf_recodes

        recodes, recode_log = qsf_recodes(qsf, survey, spec, colmap, source=str(qsf_path))
    extra_na = {}
    if survey.format == "qualtrics":
        # qimscale's Qualtrics TXT export: answers arrive numbered 1..n, so "not applicable" is max + 1
        extra_na = {i: [r.qualtrics_na_code] for i, r in spec.items.items()
                    if r.qualtrics_na_code is not None and colmap.columns.get(i) == r.qualtrics_column
                    and i not in recodes}
    val = validate(survey, spec, colmap, id_columns=id_columns, extra_na=extra_na, recodes=recodes)
    # platform PII (IP address, e-mail, names, location, recipient fields, dictionary identifiers) and the
    # instrument's personal fields are dropped; its study codes (org_id, team_id, ...) are kept
    study_codes = [colmap.columns[b] for b in spec.study_codes if b in colmap.columns]
    identifying = list(dict.fromkeys([c for c in survey.identifiers if c not in study_codes]
                                     + [colmap.columns[b] for b in spec.identifying if b in colmap.columns]))
    dropped = [] if keep_identifiers else identifying
    _withhold_identifiers(val.problems, dropped, id_columns if id_columns is not None else survey.id_columns)
    if strict and len(val.problems):
        raise strict_error(val.problems, str(path))
    if exclude_flagged and not quality:
        raise DataError("--exclude-flagged needs the quality flags; drop --no-quality-flags")
    norms = read_norms(norms) if isinstance(norms, (str, Path)) else norms
    attention = None
    if spec.attention_checks:
        cols = {c.column: colmap.columns.get(c.column, c.column) for c in spec.attention_checks}
        attention = pd.DataFrame({k: survey.data[v] for k, v in cols.items() if v in survey.data})
    if quality:
        from concurrent.futures import ThreadPoolExecutor

        from qimscale.scoring.quality import breakoffs

        broke, broke_source = breakoffs(survey.data, survey.format)

        from threadpoolctl import threadpool_limits

        # scores and quality flags both read the validated codes only: compute them side by side
        # (numpy releases the GIL), with single-threaded BLAS in both
        with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(1) as ex:
            fut = ex.submit(score_codes, val.matrix, spec, min_answered=min_answered, sums=sums, norms=norms)
            flags, qc_info = quality_flags(val.matrix, spec, duration=survey.duration_seconds,
                                           min_seconds=min_seconds, attention=attention, breakoff=broke)
            scores, score_log = fut.result()
        qc_info["breakoff_source"] = broke_source
    else:
        scores, score_log = score_codes(val.matrix, spec, min_answered=min_answered, sums=sums, norms=norms)
        flags, qc_info = pd.DataFrame(index=survey.data.index), {"skipped": "quality flags not computed"}

    # assemble the output table: file columns (identifiers dropped), items and background by id
    df = survey.data
    rename = {col: tid for tid, col in colmap.columns.items()}
    cols: dict[str, object] = {c: df[c] for c in df.columns if c not in dropped and c not in rename}

    def put(name, values):
        if name in cols:
            raise DataError(f"{path}: the output would have two columns named {show_value(name)} (a file column has the "
                            "name of an item, scale or flag it does not hold); rename it or map it with --map")
        cols[name] = values

    for b in val.background.columns:
        if colmap.columns[b] not in dropped:
            v = val.background[b]
            put(b, _compact_codes(v.to_numpy()) if v.dtype == float else v.to_numpy())
    for j, item in enumerate(spec.items):
        col = val.output_column(j)
        put(item, col if isinstance(col, pd.api.extensions.ExtensionArray) else _compact_codes(col))
    for c in scores.columns:
        put(c, scores[c].to_numpy())
    for c in flags.columns:
        put(c, flags[c].to_numpy())
    table = pd.DataFrame(cols, index=df.index, copy=False)
    del cols
    rows_seen = survey.row_number(np.arange(df.shape[0]))
    excluded = []
    if exclude_flagged:
        mask = table["qc_flagged"].to_numpy(dtype=bool)
        excluded = [int(r) for r in rows_seen[mask]]
        table = table.loc[~mask].reset_index(drop=True)
    scale_cols = [sc.id for sc in spec.scales]
    n_scored = int(table[scale_cols].notna().any(axis=1).sum()) if scale_cols else 0

    problem_counts = val.problems["problem"].str.split(":").str[0].value_counts().to_dict() if len(val.problems) else {}
    log = {
        "qimscale_version": _version(), "instrument": spec.name,
        "read": survey.summary(),
        "mapping": {"columns": colmap.columns, "how": colmap.how, "absent_items": colmap.absent_items},
        "validation": {
            "n_problems": int(len(val.problems)), "by_kind": {str(k): int(v) for k, v in problem_counts.items()},
            "invalid_cells_set_missing": int(sum(c.get("invalid", 0) for c in val.counts.values())),
            "not_applicable_set_missing": int(sum(c.get("not_applicable", 0) for c in val.counts.values())),
            "user_missing_set_missing": int(sum(c.get("user_missing", 0) for c in val.counts.values())),
            "labels_converted_to_codes": int(sum(c.get("from_labels", 0) for c in val.counts.values())),
            "items": val.counts,
            "qualtrics_txt_na_codes": ({i: v for i, v in extra_na.items()} if extra_na else {}),
            "qualtrics_recodes": ({"qsf": str(qsf_path), "items": recode_log} if qsf is not None else {}),
            "row_numbers": "spreadsheet rows: 1-based, header rows counted (first data row = header_rows + 1)",
        },
        "scoring": score_log,
        "quality": qc_info,
        "privacy": {"identifiers_found": identifying, "identifiers_dropped": dropped,
                    "kept_by_request": bool(keep_identifiers and identifying),
                    "study_codes_kept": study_codes,
                    "rule": "platform PII and the instrument's personal fields are dropped unless "
                            "--keep-identifiers; fields the instrument declares 'identifier: study_code' are kept"},
        "n_rows": int(df.shape[0]), "n_scored": n_scored,
        "exclude_flagged": bool(exclude_flagged), "excluded_rows": excluded,
    }
    labels = _variable_labels(table.columns, spec)
    value_labels = {}
    for item_id, rule in spec.items.items():
        col = colmap.columns.get(item_id)
        if col is not None and col in survey.column_labels:  # the file's own label (its language) first
            labels[item_id] = survey.column_labels[col]
        if rule.value_labels:
            value_labels[item_id] = dict(rule.value_labels)
    for bid, rule in spec.background.items():
        if rule.value_labels and bid in table.columns:
            value_labels[bid] = dict(rule.value_labels)
    return ScoreResult(table, val.problems, log, dropped, labels, value_labels, str(path))


def _variable_labels(columns, spec) -> dict:
    """Variable labels for the output's columns (SPSS/Stata): instrument texts and labels, flag descriptions."""
    from qimscale.scoring.quality import QC_LABELS

    base = dict(spec.labels)
    for dom in spec.domains:
        if dom in base:
            base.setdefault(f"{dom}_domain", base[dom])
    out = {}
    for c in columns:
        if c in QC_LABELS:
            out[c] = QC_LABELS[c]
        elif c in base:
            out[c] = base[c]
        else:
            for suffix, what in (("_sum", "sum score"), ("_t", "T-score"), ("_pct", "percentile")):
                if c.endswith(suffix) and c[: -len(suffix)] in base:
                    out[c] = f"{base[c[: -len(suffix)]]} ({what})"
                    break
    return out


#: what the problems table shows instead of the value of a dropped direct identifier
WITHHELD = "(identifier withheld)"


def _withhold_identifiers(problems: pd.DataFrame, dropped: list, id_columns) -> None:
    """Blank the values of dropped identifiers in ``problems`` (in place): problems of such a column,
    and duplicate-id problems when an id column is an identifier (``--id RecipientEmail``)."""
    if not dropped or not len(problems):
        return
    hide = problems["column"].isin(dropped)
    if set(id_columns or []) & set(dropped):
        hide |= problems["column"] == " + ".join(id_columns)
    problems.loc[hide & problems["value"].notna(), "value"] = WITHHELD


def _compact_codes(x: np.ndarray):
    """Validated codes as a nullable small-integer array (missing kept missing)."""
    miss = np.isnan(x)
    vals = np.where(miss, 0, x)
    for dt, pdt in ((np.int8, pd.Int8Dtype()), (np.int16, pd.Int16Dtype())):
        info = np.iinfo(dt)
        if vals.min(initial=0) >= info.min and vals.max(initial=0) <= info.max and np.all(vals == np.rint(vals)):
            return pd.arrays.IntegerArray(vals.astype(dt), miss)
    return x


def _spec(instrument, include_exploratory):
    from qimscale.instrument import load_instrument
    from qimscale.scoring.spec import ScoringSpec

    return ScoringSpec.from_instrument(load_instrument(instrument), include_exploratory=include_exploratory)


def _version() -> str:
    from qimscale import __version__

    return __version__
