"""Which export column holds which instrument item: :func:`map_columns`.

Columns are matched to item (and background-field) ids automatically when the
form was exported by qimscale, because every platform keeps the ids:

- the column name equals the id (REDCap, XLSForm/Kobo, Qualtrics export tags,
  SPSS), case-insensitively;
- a platform-specific hint equals the id: the last segment of a Kobo/ODK group
  path (``grp/lead_sys_1``, ``grp-lead_sys_1``, ``grp.lead_sys_1``), the
  subquestion code of a LimeSurvey ``Q[SQ]``, ``Q_SQ`` or SGQA name, the tag
  after ``Q3_`` in a 2016 Qualtrics export, or the LimeSurvey code of the id
  (the id without underscores); the Qualtrics matrix column ``<scale>_<row>``
  that qimscale's Qualtrics export produces (the row-th item of the scale);
- the question text of a full-text header (LimeSurvey ``Question [Subquestion]``,
  Qualtrics row 2 ``Question - Statement``, REDCap label headers) equals an
  item text in any form and language (case- and whitespace-insensitive).

Nothing is fuzzy: a near miss is not a match. Anything else needs a mapping
file (``--map``): CSV with columns ``column,item`` or YAML ``{column: item}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from qimscale.errors import DataError
from qimscale._core.formatting import shorten, show_value
from qimscale.scoring.spec import ScoringSpec, normalise_label


@dataclass
class ColumnMap:
    """The result of mapping: target id -> column, and how each match was made.

    Attributes
    ----------
    columns : dict
        Item or background-field id -> export column.
    how : dict
        Target id -> ``"map"``, ``"name"``, ``"hint"`` or ``"text"``.
    absent_items : list of str
        Scored items with no column.
    """

    columns: dict = field(default_factory=dict)
    how: dict = field(default_factory=dict)
    absent_items: list = field(default_factory=list)

    def item_columns(self, spec: ScoringSpec) -> dict:
        """Item id -> column for scored items only."""
        return {k: v for k, v in self.columns.items() if k in spec.items}


def code_column_hint(spec: ScoringSpec, mapping: dict | None = None):
    """``column name -> bool``: columns that probably hold an item's response codes.

    True for a column named like an item (its id or an alias, case-insensitively,
    also as the last segment of a group path or a ``Q[SQ]`` name) or mapped to
    one. Only a hint for the reader (see :func:`qimscale.io.read_survey`).

    >>> hint = code_column_hint(ScoringSpec.simple({"a": ["a1"]}))
    >>> hint("grp/A1"), hint("age")
    (True, False)
    """
    keys = {k.casefold() for i, r in spec.items.items() for k in [i, *r.aliases]}
    mapped = {str(c) for c, t in (mapping or {}).items() if t in spec.items}

    def hint(name: str) -> bool:
        if name in mapped:
            return True
        parts = re.split(r"[/.\-\[\]]", str(name).casefold())
        return any(p in keys for p in (str(name).casefold(), *parts) if p)

    return hint


def read_map_file(path) -> dict:
    """Read a column -> item mapping from CSV (``column,item``) or YAML (``{column: item}``).

    Raises
    ------
    DataError
        Missing file, wrong columns, or a non-mapping YAML document.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{path}: no such mapping file")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save the mapping "
                        "file as UTF-8") from None
    if p.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            obj = yaml.safe_load(text)
        except RecursionError:
            raise DataError(f"{path}: not a mapping file (its YAML is nested too deeply)") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            raise DataError(f"{path}: not valid YAML{where}: {shorten(getattr(exc, 'problem', None) or exc)}") from None
        if isinstance(obj, dict) and isinstance(obj.get("columns"), dict):
            obj = obj["columns"]
        if not isinstance(obj, dict) or not obj:
            raise DataError(f"{path}: the mapping must be a YAML mapping 'export column: item id'")
        return {str(k): str(v) for k, v in obj.items()}
    return _read_map_csv(text, path)


def _read_map_csv(text: str, path) -> dict:
    """The ``column,item`` CSV of :func:`read_map_file` (columns found by header name, in any order).

    Rows are spreadsheet rows (the header is row 1). A row whose number of
    fields differs from the header's, or that names an item but no column, is
    an error; a row with an empty item maps nothing.
    """
    import csv
    import io

    from qimscale._core.formatting import show_value

    try:
        records = [(k, r) for k, r in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
                   if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise DataError(f"{path}: not a valid CSV mapping file ({exc})") from None
    need = "a mapping CSV needs the header 'column,item' and one row per column"
    if not records:
        raise DataError(f"{path}: the mapping file is empty; {need}")
    header = [h.strip().casefold() for h in records[0][1]]
    if "column" not in header or "item" not in header:
        raise DataError(f"{path}: row 1 is {show_value(','.join(records[0][1]))}; {need}")
    if len(set(header)) < len(header):
        raise DataError(f"{path}: the header repeats a column name; {need}")
    ci, ii = header.index("column"), header.index("item")
    out: dict[str, str] = {}
    for k, r in records[1:]:
        if len(r) != len(header):
            raise DataError(f"{path}: row {k} has {len(r)} field{'s' if len(r) != 1 else ''} where the header has "
                            f"{len(header)} (row text: {show_value(','.join(r))}); {need}")
        column, item = r[ci], r[ii].strip()
        if not item:
            continue
        if not column.strip():
            raise DataError(f"{path}: row {k}: item {show_value(item)} has no column name")
        if column in out:
            raise DataError(f"{path}: row {k}: column {show_value(column)} is mapped twice (to "
                            f"{show_value(out[column])} and {show_value(item)}); keep one row per column")
        out[column] = item
    if not out:
        raise DataError(f"{path}: the mapping file maps no column; {need}")
    return out


def _label_texts(label: str) -> list[str]:
    """Candidate question texts inside a full-text header."""
    out = [label]
    m = re.search(r"\[([^\[\]]+)\]\s*$", label)
    if m:
        out.append(m.group(1))
    for sep in (" - ", "-"):
        if sep in label:
            out.append(label.rsplit(sep, 1)[1])
    return [normalise_label(t) for t in out if t.strip()]


def map_columns(survey, spec: ScoringSpec, mapping: dict | None = None) -> ColumnMap:
    """Match the columns of ``survey`` to the items and background fields of ``spec``.

    Parameters
    ----------
    survey : qimscale.io.SurveyData
    spec : ScoringSpec
    mapping : dict, optional
        Explicit ``{column: item_or_field_id}``; applied first, then automatic
        matching for the remaining targets.

    Returns
    -------
    ColumnMap

    Raises
    ------
    DataError
        A mapped column or target that does not exist; two columns that match
        the same item equally well (pass ``--map``); no scored item at all.

    Examples
    --------
    >>> import pandas as pd
    >>> from qimscale.io import SurveyData
    >>> s = SurveyData(pd.DataFrame({"grp/a1": [1], "grp/a2": [2]}), "x.csv", "kobo", "csv",
    ...                item_hints={"grp/a1": ["grp/a1", "a1"], "grp/a2": ["grp/a2", "a2"]})
    >>> map_columns(s, ScoringSpec.simple({"a": ["a1", "a2"]})).columns
    {'a1': 'grp/a1', 'a2': 'grp/a2'}
    """
    cols = [str(c) for c in survey.data.columns]
    targets = list(spec.items) + [b for b in spec.background if b not in spec.items]
    result = ColumnMap()
    used: set[str] = set()
    for col, target in (mapping or {}).items():
        if col not in cols:
            swapped = " (are the mapping's two columns swapped?)" if col in targets and target in cols else ""
            raise DataError(f"{survey.source}: the mapping names column {show_value(col)}, which is not in the "
                            f"file{swapped}; columns are {', '.join(show_value(c, 40) for c in cols[:20])}"
                            f"{' ...' if len(cols) > 20 else ''}")
        if target not in targets:
            raise DataError(f"mapping: column {show_value(col)} -> {show_value(target)}: {show_value(target)} is "
                            "not an item or background field of the instrument")
        if target in result.columns:
            raise DataError(f"mapping: item {target!r} is mapped from two columns "
                            f"({show_value(result.columns[target])} and {show_value(col)})")
        result.columns[target] = col
        result.how[target] = "map"
        used.add(col)

    keys: dict[str, str] = {}
    for t in targets:
        keys.setdefault(t.casefold(), t)
        rule = spec.items.get(t) or spec.background.get(t)
        for alias in getattr(rule, "aliases", []) or []:
            keys.setdefault(alias.casefold(), t)
    texts: dict[str, str] = {}
    for t in targets:
        rule = spec.items.get(t) or spec.background.get(t)
        for text in getattr(rule, "texts", []) or []:
            texts.setdefault(normalise_label(text), t)

    found: dict[str, list[tuple[int, str, str]]] = {}
    metadata = set(survey.metadata_columns)
    for col in cols:
        if col in used or col in metadata:
            continue
        match = None
        for rank, hint in enumerate(survey.item_hints.get(col, [col])):
            t = keys.get(str(hint).casefold())
            if t is not None:
                match = (0 if rank == 0 else 1, col, t, "name" if rank == 0 else "hint")
                break
        if match is None and col in survey.column_labels:
            for text in _label_texts(str(survey.column_labels[col])):
                if text in texts:
                    match = (2, col, texts[text], "text")
                    break
        if match is not None and match[2] not in result.columns:
            found.setdefault(match[2], []).append(match[:2] + (match[3],))
    for target, cands in found.items():
        cands.sort()
        if len(cands) > 1 and cands[0][0] == cands[1][0]:
            raise DataError(f"{survey.source}: columns {show_value(cands[0][1])} and {show_value(cands[1][1])} both match item "
                            f"{target!r}; say which one to use with --map (a CSV 'column,item')")
        result.columns[target] = cands[0][1]
        result.how[target] = cands[0][2]
    result.absent_items = [i for i in spec.items if i not in result.columns]
    if len(result.absent_items) == len(spec.items):
        raise DataError(f"{survey.source}: no column matches any item of the instrument ({spec.name or 'instrument'}); "
                        "check that this is the right file, or map columns to items with --map map.csv")
    return result


def qsf_recodes(questions: list[dict], survey, spec: ScoringSpec, colmap: ColumnMap, source: str = "") -> tuple[dict, dict]:
    """Exported value -> instrument code for each mapped item whose column a Qualtrics ``.qsf`` describes.

    Qualtrics exports a scale point as its *recode value* (``RecodeValues``;
    e.g. answers 1..4 exported as 10..13) or, without one, as its answer id.
    The answer is then matched to the item's response options by position:
    the question's answers in survey order against the item's scored codes
    followed by its not-applicable code. When the counts differ, the answer
    id itself is taken as the code (and validation judges it).

    Parameters
    ----------
    questions : list of dict
        From :func:`qimscale.io.definitions.read_qsf`.
    survey : qimscale.io.SurveyData
    spec : ScoringSpec
    colmap : ColumnMap
    source : str
        The ``.qsf`` path, for the log.

    Returns
    -------
    recodes : dict
        Item id -> ``{exported value: code}`` (floats).
    log : dict
        Item id -> ``column``, ``question``, ``rule`` and the value map, for the scoring log.

    Examples
    --------
    >>> import pandas as pd
    >>> from qimscale.io import SurveyData
    >>> q = {"qid": "QID5", "tag": "Q4", "type": "Matrix", "choices": {"1": "s"}, "export_tags": {},
    ...      "answers": {"1": "a", "2": "b", "3": "c", "4": "d"}, "recodes": {"1": "10", "2": "11", "3": "12", "4": "13"}}
    >>> s = SurveyData(pd.DataFrame({"Q4_1": [10, 13]}), "x.csv", "qualtrics", "csv")
    >>> spec = ScoringSpec.simple({"a": ["a1"]}, codes=(1, 2, 3, 4))
    >>> qsf_recodes([q], s, spec, ColumnMap({"a1": "Q4_1"}))[0]
    {'a1': {10.0: 1.0, 11.0: 2.0, 12.0: 3.0, 13.0: 4.0}}
    """
    from qimscale.io.definitions import qsf_columns

    by_name = qsf_columns(questions)
    recodes, log = {}, {}
    for item, col in colmap.item_columns(spec).items():
        q = by_name.get(col)
        if q is None:
            iid = survey.import_ids.get(col)
            q = by_name.get(iid) if iid else None
        if q is None:
            continue
        rule = spec.items[item]
        targets = list(rule.codes) + ([rule.na_code] if rule.na_code is not None else [])
        answers = list(q["answers"])
        by_position = len(answers) == len(targets)
        vmap = {}
        for pos, a in enumerate(answers):
            exported = q.get("recodes", {}).get(a, a)
            try:
                key, code = float(exported), float(targets[pos] if by_position else a)
            except ValueError:
                raise DataError(f"{source}: question {q['tag']!r} answer {a!r}: recode value {show_value(exported)} "
                                "is not a number") from None
            if key in vmap and vmap[key] != code:
                raise DataError(f"{source}: question {q['tag']!r}: two answers share the recode value {show_value(exported)}")
            vmap[key] = code
        recodes[item] = vmap
        log[item] = {"column": col, "question": q["tag"],
                     "rule": ("answers in order -> the item's codes" if by_position else
                              f"answer id = code ({len(answers)} answers for {len(targets)} response options)"),
                     "values": {_num(k): _num(v) for k, v in vmap.items()}}
    return recodes, log


def _num(x: float):
    return int(x) if float(x).is_integer() else x
