"""Readers for survey *definitions* (not responses): Qualtrics QSF, LimeSurvey TSV, XLSForm.

These give the codebook a response export lacks: Qualtrics recode values and
export tags, LimeSurvey answer codes with their labels in every language, and
XLSForm choice lists with their translations. They only read; exporting the
instrument to these formats belongs to :mod:`qimscale.instrument`.
"""

from __future__ import annotations

import re
from pathlib import Path

from qimscale._core.formatting import cell_text
from qimscale.errors import DataError


def _html_to_text(text: str) -> str:
    text = re.sub(r"<br\s*/?>", " ", str(text or ""))
    text = re.sub(r"<[^>]+>", "", text).replace("&nbsp;", " ")
    return " ".join(text.split())


def read_qsf(path) -> list[dict]:
    """Questions of a Qualtrics ``.qsf`` survey file.

    Returns
    -------
    list of dict
        One per question, in file order, with ``qid``, ``tag``
        (DataExportTag), ``type``, ``selector``, ``text`` (HTML removed),
        ``choices`` ({choice id: text}, matrix rows), ``answers`` ({answer id:
        text}, matrix scale points), ``recodes`` ({answer id: exported value})
        and ``export_tags`` ({choice id: tag} or ``{}``).

    Raises
    ------
    DataError
        Not JSON, or no ``SurveyElements``.
    """
    from qimscale.io.surveydata import load_json

    obj = load_json(path, "a Qualtrics .qsf file")
    elements = obj.get("SurveyElements") if isinstance(obj, dict) else None
    if not isinstance(elements, list):
        raise DataError(f"{path}: not a Qualtrics .qsf file (no SurveyElements)")
    out = []
    for k, el in enumerate(elements):
        try:
            q = _qsf_question(el)
        except (AttributeError, TypeError):
            raise DataError(f"{path}: not a Qualtrics .qsf file (SurveyElements[{k}] does not have the structure of "
                            "a survey element or question)") from None
        if q is not None:
            out.append(q)
    return out


def _qsf_question(el) -> dict | None:
    """One ``SQ`` survey element as a question dict (None for other elements)."""
    if el.get("Element") != "SQ":
        return None
    p = el.get("Payload") or {}
    tags = p.get("ChoiceDataExportTags") or {}
    return {
        "qid": p.get("QuestionID", el.get("PrimaryAttribute")),
        "tag": p.get("DataExportTag"),
        "type": p.get("QuestionType"),
        "selector": p.get("Selector"),
        "text": _html_to_text(p.get("QuestionText")),
        "choices": {str(k): _html_to_text(v.get("Display")) for k, v in (p.get("Choices") or {}).items()},
        "answers": {str(k): _html_to_text(v.get("Display")) for k, v in (p.get("Answers") or {}).items()},
        "recodes": {str(k): str(v) for k, v in (p.get("RecodeValues") or {}).items()},
        "export_tags": {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {},
    }


def qsf_value_labels(questions: list[dict]) -> dict:
    """Exported value -> scale-point label for each Qualtrics matrix/MC question tag.

    >>> qsf_value_labels([{"tag": "Q5", "answers": {"1": "Low", "2": "High"}, "recodes": {"1": "10"}}])
    {'Q5': {'10': 'Low', '2': 'High'}}
    """
    out = {}
    for q in questions:
        if q.get("answers"):
            out[q["tag"]] = {q["recodes"].get(a, a): lab for a, lab in q["answers"].items()}
    return out


def qsf_columns(questions: list[dict]) -> dict:
    """Export column names (and ImportIds) of each row of the QSF's questions with answers.

    A matrix row ``c`` of a question tagged ``T`` is exported as ``T_c``, as
    ``T_<tag>`` or ``<tag>`` when the row has a ChoiceDataExportTag, and has
    the ImportId ``QIDn_c`` (``QIDn-c`` in 2016 exports); a single-answer
    question is exported as ``T`` (ImportId ``QIDn``). Returns ``{name:
    question}`` for every name; a name two questions could produce is left out.

    >>> q = {"qid": "QID5", "tag": "Q4", "type": "Matrix", "choices": {"1": "a"}, "answers": {"1": "Low"},
    ...      "export_tags": {}}
    >>> sorted(qsf_columns([q]))
    ['Q4_1', 'QID5-1', 'QID5_1']
    """
    out: dict[str, dict] = {}
    clash: set[str] = set()

    def put(name, q):
        if name in out and out[name] is not q:
            clash.add(name)
        out[name] = q

    for q in questions:
        if not q.get("answers"):
            continue
        if q.get("choices") and q.get("type") == "Matrix":
            for c in q["choices"]:
                names = [f"{q['tag']}_{c}", f"{q['qid']}_{c}", f"{q['qid']}-{c}"]
                tag = q.get("export_tags", {}).get(c)
                if tag:
                    names += [f"{q['tag']}_{tag}", tag]
                for name in names:
                    put(name, q)
        else:
            put(q["tag"], q)
            put(q["qid"], q)
    return {k: v for k, v in out.items() if k not in clash}


def read_limesurvey_structure(path):
    """A LimeSurvey tab-separated survey structure (``.txt``) as a tidy table.

    Returns
    -------
    pandas.DataFrame
        One row per group (``G``), question (``Q``), subquestion (``SQ``) or
        answer (``A``) and language, with columns ``class, type_scale, name,
        text, language, question`` (the question code an SQ/A row belongs to,
        by position) and ``assessment_value``.
    """
    import pandas as pd

    from qimscale.io.tables import open_table

    raw = open_table(path, container="tsv")
    header = [h.strip() for h in raw.head[0]]
    need = {"class", "type/scale", "name", "text"}
    if not need <= set(header):
        raise DataError(f"{path}: not a LimeSurvey survey structure (needs the columns class, type/scale, name, text)")
    seen: dict[str, int] = {}
    names = []
    for h in header:
        seen[h] = seen.get(h, 0) + 1
        names.append(h if seen[h] == 1 else f"{h}__{seen[h]}")
    df = raw.load(1, names).astype("string")
    keep = df[df["class"].isin(["G", "Q", "SQ", "A"])].copy()
    current = None
    owner = []
    for cls, name in zip(keep["class"], keep["name"]):
        if cls == "Q":
            current = name
        owner.append(current if cls in ("Q", "SQ", "A") else None)
    keep["question"] = owner
    cols = {"class": "class", "type/scale": "type_scale", "name": "name", "text": "text", "language": "language",
            "question": "question", "assessment_value": "assessment_value"}
    keep = keep[[c for c in cols if c in keep.columns]].rename(columns=cols)
    return pd.DataFrame(keep).reset_index(drop=True)


def read_xlsform(path) -> dict:
    """The ``survey``, ``choices`` and ``settings`` sheets of an XLSForm.

    Accepts ``.xlsx`` (openpyxl), ``.xls`` (needs ``xlrd``) and the
    CSV serialisation (a row naming each sheet, then its header and rows).
    ``list name`` is renamed ``list_name``; translated columns keep their
    ``label::<language>`` names.

    Returns
    -------
    dict
        Sheet name -> :class:`pandas.DataFrame` (text; empty cells ``""``).
    """
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise DataError(f"{path}: no such file")
    suffix = p.suffix.lower()
    sheets: dict[str, list[list]] = {}
    if suffix == ".csv":
        import csv

        current = None
        with p.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                if row and row[0].strip():
                    current = row[0].strip().lower()
                    sheets[current] = []
                elif current is not None and any(c.strip() for c in row[1:]):
                    sheets[current].append(row[1:])
    elif suffix in (".xlsx", ".xlsm"):
        import openpyxl

        from qimscale.io.tables import _check_zip

        _check_zip(p, str(path))
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
        for ws in wb.worksheets:
            sheets[ws.title.strip().lower()] = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
    elif suffix == ".xls":
        try:
            import xlrd
        except ImportError:
            raise DataError(f"{path}: reading .xls needs the xlrd package (pip install xlrd)") from None
        book = xlrd.open_workbook(str(p))
        for sh in book.sheets():
            sheets[sh.name.strip().lower()] = [sh.row_values(i) for i in range(sh.nrows)]
    else:
        raise DataError(f"{path}: an XLSForm must be .xlsx, .xls or .csv")
    if "survey" not in sheets:
        raise DataError(f"{path}: not an XLSForm (no 'survey' sheet)")
    out = {}
    for name, rows in sheets.items():
        rows = [r for r in rows if any(v not in (None, "") for v in r)]
        if not rows:
            continue
        header = [str(h).strip() if h is not None else "" for h in rows[0]]
        header = ["list_name" if h == "list name" else h for h in header]
        width = len(header)
        body = [[cell_text(v) for v in (list(r) + [None] * width)[:width]] for r in rows[1:]]
        df = pd.DataFrame(body, columns=header)
        out[name] = df.loc[:, [h for h in header if h]]
    return out


def xlsform_languages(sheet) -> list[str]:
    """Languages of the translated ``label::<language>`` columns of an XLSForm sheet."""
    return [c.split("::", 1)[1] for c in sheet.columns if c.startswith("label::")]
