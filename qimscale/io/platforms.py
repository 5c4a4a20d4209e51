"""Survey-platform adapters: Qualtrics, REDCap, LimeSurvey, Kobo, ODK Central and SurveyMonkey.

Each adapter has ``detect(head) -> bool`` (recognise the platform from the
first records of a file) and ``read(raw) -> SurveyData`` (fix the header, list
metadata columns, identifiers and id columns, derive completion times and
propose item names). The file formats are summarised in the project's
``survey-formats.md``; the public sample exports under ``shared/samples`` are
read in the tests.
"""

from __future__ import annotations

import re
from pathlib import Path

from qimscale.errors import DataError
from qimscale._core.formatting import show_value
from qimscale.io.surveydata import SurveyData, drop_trailing_blank, load_without_trailing_blank, records_from_json
from qimscale.io.tables import RawTable, check_unique


def _seconds_between(df, start: str, end: str):
    """``end - start`` in seconds (unparseable timestamps give missing)."""
    import pandas as pd

    a = pd.to_datetime(df[start].astype("string"), errors="coerce", utc=True, format="mixed")
    b = pd.to_datetime(df[end].astype("string"), errors="coerce", utc=True, format="mixed")
    return (b - a).dt.total_seconds()


def _suffixes(name: str, seps: str) -> list[str]:
    """``a/b/c`` -> ``['a/b/c', 'b/c', 'c']`` for the separators in ``seps``."""
    out = [name]
    for i, ch in enumerate(name):
        if ch in seps and i + 1 < len(name):
            out.append(name[i + 1:])
    return out


def _dedupe(names: list[str], source: str, allowed) -> tuple[list[str], list[str]]:
    """Rename repeated names the platform is known to repeat (``name__2``); others are errors."""
    seen: dict[str, int] = {}
    out, notes = [], []
    for name in names:
        k = seen.get(name, 0) + 1
        seen[name] = k
        if k == 1:
            out.append(name)
        elif allowed(name):
            new = f"{name}__{k}"
            out.append(new)
            notes.append(f"column {show_value(name)} occurs more than once; occurrence {k} renamed {show_value(new)}")
        else:
            check_unique(names, source)
    return out, notes


# =========================================================================== Qualtrics

class Qualtrics:
    """Qualtrics response exports: current (3 header rows), 2016 Insights, legacy (2 rows).

    Row 1 holds column ids, row 2 the (localised) question text, row 3 the
    ImportIds as JSON or, in 2016 exports, Python-dict style. Legacy exports
    start ``V1..V10`` with the real names of those columns in row 2. Values may
    be numeric recodes or choice text.
    """

    METADATA = {
        "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
        "RecordedDate", "ResponseId", "ResponseID", "ResponseSet", "Name", "ExternalDataReference",
        "ExternalReference", "EmailAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
        "LocationLatitude", "LocationLongitude", "LocationAccuracy", "DistributionChannel", "UserLanguage",
        "Q_RecaptchaScore", "Q_RelevantIDDuplicate", "Q_RelevantIDDuplicateScore", "Q_RelevantIDFraudScore",
        "Q_RelevantIDLastStartDate",
    }
    #: direct identifiers (issue 3), with their legacy-export names
    IDENTIFIERS = ("IPAddress", "RecipientEmail", "RecipientFirstName", "RecipientLastName",
                   "LocationLatitude", "LocationLongitude", "ExternalReference",
                   "EmailAddress", "Name", "ExternalDataReference")
    _IMPORT_ID = re.compile(r"""ImportId['"]?\s*:\s*['"]([^'"]+)""")

    @classmethod
    def detect(cls, head) -> bool:
        if len(head) >= 3 and head[2]:
            hits = sum(1 for c in head[2] if "ImportId" in c)
            if hits and hits >= len([c for c in head[2] if c.strip()]) // 2:
                return True
        h0 = [c.strip() for c in head[0]]
        if h0[:3] == ["V1", "V2", "V3"] and len(head) >= 2 and head[1][:1] == ["ResponseID"]:
            return True
        return bool({"ResponseId", "ResponseID"} & set(h0)) and bool({"StartDate", "Finished"} & set(h0))

    @classmethod
    def read(cls, raw: RawTable) -> SurveyData:
        head = raw.head
        names = [c.strip() for c in head[0]]
        labels: list[str] = []
        import_ids: dict[str, str] = {}
        if len(head) >= 3 and any("ImportId" in c for c in head[2]):
            n_header, labels = 3, list(head[1])
            variant = "insights2016" if any("'ImportId'" in c for c in head[2]) else "current"
            for pos, cell in enumerate(head[2]):
                m = cls._IMPORT_ID.search(cell)
                if m and pos < len(names):
                    import_ids[pos] = m.group(1)
        elif names[:3] == ["V1", "V2", "V3"] and len(head) >= 2:
            n_header, labels, variant = 2, list(head[1]), "legacy"
            names = [head[1][i] if re.fullmatch(r"V\d+", n) and i < len(head[1]) else n
                     for i, n in enumerate(names)]
        else:
            n_header, variant = 1, "numeric-header"
        if not raw.has_header_rows:
            n_header = 0
        names, trailing = drop_trailing_blank(names)
        names, notes = _dedupe(names, raw.source, lambda n: variant != "numeric-header")
        df = load_without_trailing_blank(raw, n_header, names, trailing)
        s = SurveyData(df, raw.source, "qualtrics", raw.container, header_rows=n_header, variant=variant,
                       encoding=raw.encoding, delimiter=raw.delimiter, notes=notes,
                       value_labels=dict(raw.value_labels), user_missing=dict(raw.user_missing))
        s.column_labels = {n: labels[i] for i, n in enumerate(names) if i < len(labels) and labels[i]}
        s.import_ids = {names[i]: v for i, v in import_ids.items() if i < len(names)}
        s.metadata_columns = [n for n in names if n in cls.METADATA or n.endswith("_DO")]
        s.identifiers = [n for n in names if n in cls.IDENTIFIERS]
        s.id_columns = [n for n in ("ResponseId", "ResponseID") if n in names][:1]
        if "Duration (in seconds)" in names:
            import pandas as pd

            s.duration_seconds = pd.to_numeric(df["Duration (in seconds)"], errors="coerce")
            s.duration_source = "Duration (in seconds)"
        elif {"StartDate", "EndDate"} <= set(names):
            s.duration_seconds = _seconds_between(df, "StartDate", "EndDate")
            s.duration_source = "EndDate - StartDate"
        for n in names:
            hints = [n]
            m = re.fullmatch(r"Q\d+_(.+)", n)
            if m:
                hints.append(m.group(1))
            if n in s.import_ids:
                hints.append(s.import_ids[n].replace("-", "_"))
            s.item_hints[n] = hints
        return s


def _looks_like_id(name: str) -> bool:
    """A record-id column name: ``id``, ``record_id``, ``study_id``, ``participant_id``, ``RecordID`` ..."""
    key = name.strip().casefold().replace(" ", "_")
    return key in ("id", "record", "respondent", "responseid", "recordid", "case") or key.endswith("_id")


# =========================================================================== REDCap

class REDCap:
    """REDCap record exports, raw or label, with or without a data dictionary.

    Raw exports have the record id first, then ``redcap_event_name``,
    ``redcap_repeat_instrument``/``redcap_repeat_instance``,
    ``redcap_data_access_group``, ``redcap_survey_identifier`` and
    ``<form>_timestamp`` columns, the fields, and ``<form>_complete`` after each
    form. Checkboxes are exported as ``var___code`` columns (1/0). Label exports
    head columns with field labels; every form status column is ``Complete?``.
    """

    RAW_META = ("redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
                "redcap_data_access_group", "redcap_survey_identifier")
    LABEL_META = ("Event Name", "Repeat Instrument", "Repeat Instance", "Data Access Group",
                  "Survey Identifier", "Complete?", "Survey Timestamp")

    @classmethod
    def detect(cls, head) -> bool:
        h0 = [c.strip() for c in head[0]]
        if any(c in cls.RAW_META for c in h0) or "Complete?" in h0:
            return True
        return sum(1 for c in h0 if re.fullmatch(r"[a-z][a-z0-9_]*_complete", c)) >= 1 and \
            bool(re.fullmatch(r"[a-z][a-z0-9_]*", h0[0] if h0 else ""))

    @classmethod
    def read(cls, raw: RawTable) -> SurveyData:
        import pandas as pd

        names = [c.strip() for c in raw.head[0]]
        variant = "label" if "Complete?" in names or any(n in cls.LABEL_META for n in names) else "raw"
        names, notes = _dedupe(names, raw.source, lambda n: n in cls.LABEL_META)
        n_header = 1 if raw.has_header_rows else 0
        df = raw.load(n_header, names)
        s = SurveyData(df, raw.source, "redcap", raw.container, header_rows=n_header, variant=variant,
                       encoding=raw.encoding, delimiter=raw.delimiter, notes=notes,
                       value_labels=dict(raw.value_labels), user_missing=dict(raw.user_missing))
        if variant == "raw":
            meta = [n for n in names if n in cls.RAW_META or n.endswith("_complete") or n.endswith("_timestamp")]
            stamps = [n for n in names if n.endswith("_timestamp")]
            s.id_columns = ([names[0]] if _looks_like_id(names[0]) else []) + [
                n for n in cls.RAW_META[:3] if n in names]
        else:
            meta = [n for n in names if n.split("__")[0] in cls.LABEL_META]
            stamps = [n for n in names if n.split("__")[0] == "Survey Timestamp"]
            s.id_columns = [names[0]] + [n for n in cls.LABEL_META[:3] if n in names]
            s.column_labels = {n: n for n in names}
        s.metadata_columns = meta
        if len(stamps) >= 2:
            times = pd.concat([pd.to_datetime(df[c].astype("string"), errors="coerce", format="mixed")
                               for c in stamps], axis=1)
            s.duration_seconds = (times.max(axis=1) - times.min(axis=1)).dt.total_seconds()
            s.duration_source = f"last - first survey timestamp ({', '.join(stamps)})"
        notcompleted = sum(int((df[c].astype("string") == "[not completed]").sum()) for c in stamps)
        if notcompleted:
            s.notes.append(f"{notcompleted} survey timestamp(s) read '[not completed]' and are treated as missing")
        for n in names:
            s.item_hints[n] = [n]
        return s


_DICT_COLUMNS = ["field_name", "form_name", "section_header", "field_type", "field_label",
                 "select_choices_or_calculations", "field_note", "text_validation_type_or_show_slider_number",
                 "text_validation_min", "text_validation_max", "identifier", "branching_logic",
                 "required_field", "custom_alignment", "question_number", "matrix_group_name",
                 "matrix_ranking", "field_annotation"]
_DICT_LABELS = ["Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
                "Choices, Calculations, OR Slider Labels", "Field Note",
                "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
                "Identifier?", "Branching Logic (Show field only if...)", "Required Field?", "Custom Alignment",
                "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?", "Field Annotation"]


def read_redcap_dictionary(path: str | Path):
    """Read a REDCap data dictionary in either header style.

    Both the Designer download (``"Variable / Field Name", ..., Identifier?``)
    and the API ``content=metadata`` export (``field_name, ...,
    identifier``) are accepted and returned with the API's snake_case column
    names.

    Returns
    -------
    pandas.DataFrame
        One row per field, the 18 snake_case columns (text, empty cells as
        ``""``) plus ``choices``: a ``{code: label}`` dict for radio, dropdown,
        checkbox, yesno and truefalse fields (``None`` otherwise).

    Raises
    ------
    DataError
        If the file is not a REDCap dictionary.
    """
    import pandas as pd

    from qimscale.io.tables import open_table

    raw = open_table(path, container="csv")
    header = [c.strip() for c in raw.head[0]]
    check_unique(header, str(path))
    if header[:2] == _DICT_COLUMNS[:2]:
        names = header
    elif header[:2] == _DICT_LABELS[:2]:
        rename = dict(zip(_DICT_LABELS, _DICT_COLUMNS))
        names = [rename.get(h, h) for h in header]
    else:
        raise DataError(f"{path}: not a REDCap data dictionary (the first columns should be "
                        "'Variable / Field Name', 'Form Name' or field_name, form_name)")
    _check_dictionary_header(names, path)
    df = raw.load(1, names)
    df = df.astype("string").fillna("").astype(object)
    df["choices"] = pd.Series([parse_redcap_choices(c, t) for c, t in
                               zip(df["select_choices_or_calculations"], df["field_type"])],
                              index=df.index, dtype=object)
    return pd.DataFrame(df)


#: the dictionary columns qimscale reads (the others may be absent)
_DICT_NEEDED = ("field_name", "field_type", "field_label", "select_choices_or_calculations", "identifier")


def _check_dictionary_header(names: list[str], path) -> None:
    """Raise :class:`DataError` for a repeated header or a missing column that the reader needs."""
    check_unique(names, str(path))
    label = dict(zip(_DICT_COLUMNS, _DICT_LABELS))
    missing = [c for c in _DICT_NEEDED if c not in names]
    if missing:
        raise DataError(f"{path}: not a complete REDCap data dictionary: no column {missing[0]!r} "
                        f"(Designer header {label[missing[0]]!r}); download the dictionary again from REDCap")


def parse_redcap_choices(text: str, field_type: str = "radio") -> dict | None:
    """Parse ``"1, Strongly disagree | 2, Disagree"`` into ``{"1": "Strongly disagree", ...}``.

    The code is the text before the first comma, so labels may hold commas.

    >>> parse_redcap_choices("1, one|2, two, or three")
    {'1': 'one', '2': 'two, or three'}
    >>> parse_redcap_choices("", "yesno")
    {'1': 'Yes', '0': 'No'}
    """
    if field_type == "yesno":
        return {"1": "Yes", "0": "No"}
    if field_type == "truefalse":
        return {"1": "True", "0": "False"}
    if field_type not in ("radio", "dropdown", "checkbox") or not str(text).strip():
        return None
    out = {}
    for part in str(text).split("|"):
        code, sep, label = part.partition(",")
        if sep:
            out[code.strip()] = label.strip()
    return out or None


def redcap_checkbox_column(field: str, code: str) -> str:
    """The export column of checkbox ``field`` choice ``code`` (``-99`` -> ``field____99``).

    >>> redcap_checkbox_column("prereq_checkbox", "ABC")
    'prereq_checkbox___abc'
    """
    return f"{field}___" + re.sub(r"[^a-z0-9]", "_", code.lower())


def apply_redcap_dictionary(survey: SurveyData, path) -> None:
    """Add a REDCap dictionary's labels, choices and ``Identifier? = y`` fields to ``survey``."""
    d = read_redcap_dictionary(path)
    cols = set(survey.data.columns)
    for _, f in d.iterrows():
        name = f["field_name"]
        choices = f["choices"] if isinstance(f["choices"], dict) else None
        if f["field_type"] == "checkbox" and choices:
            for code, label in f["choices"].items():
                col = redcap_checkbox_column(name, code)
                if col in cols:
                    survey.column_labels[col] = f"{f['field_label']} (choice={label})"
                    survey.value_labels[col] = {1: "Checked", 0: "Unchecked"}
                    if f["identifier"].strip().lower() == "y" and col not in survey.identifiers:
                        survey.identifiers.append(col)
            continue
        if name not in cols:
            continue
        survey.column_labels[name] = f["field_label"]
        if choices:
            survey.value_labels[name] = dict(choices)
        if f["identifier"].strip().lower() == "y" and name not in survey.identifiers:
            survey.identifiers.append(name)
    survey.notes.append(f"REDCap data dictionary {path}: {len(d)} fields")


# =========================================================================== LimeSurvey

class LimeSurvey:
    """LimeSurvey response exports with code or full headings.

    Code headings: ``id,submitdate,lastpage,startlanguage,seed,...`` followed by
    ``Q1``, ``Q2[SQ001]``; R/SPSS exports rename these ``Q2_SQ001``; the
    database uses SGQA names ``123456X1X2SQ001``. Full headings: ``"Response
    ID","Date submitted",...`` then ``"Question text [Subquestion text]"``.
    """

    CODE_META = ("id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp",
                 "ipaddr", "refurl", "token", "interviewtime")
    FULL_META = ("Response ID", "Date submitted", "Last page", "Start language", "Seed", "Date started",
                 "Date last action", "IP address", "Referrer URL", "Token", "Total time")
    IDENTIFIERS = ("ipaddr", "IP address")

    @classmethod
    def detect(cls, head) -> bool:
        h0 = [c.strip() for c in head[0]]
        return h0[:3] == list(cls.CODE_META[:3]) or h0[:3] == list(cls.FULL_META[:3])

    @classmethod
    def read(cls, raw: RawTable) -> SurveyData:
        names = [c.strip() for c in raw.head[0]]
        full = names[0] == "Response ID"
        meta_names = cls.FULL_META if full else cls.CODE_META
        names, notes = _dedupe(names, raw.source, lambda n: full)
        n_header = 1 if raw.has_header_rows else 0
        df = raw.load(n_header, names)
        s = SurveyData(df, raw.source, "limesurvey", raw.container, header_rows=n_header,
                       variant="full" if full else "code", encoding=raw.encoding, delimiter=raw.delimiter,
                       notes=notes, value_labels=dict(raw.value_labels), user_missing=dict(raw.user_missing))
        s.metadata_columns = [n for n in names if n in meta_names]
        s.identifiers = [n for n in names if n in cls.IDENTIFIERS]
        s.id_columns = [names[0]]
        start, end = ("Date started", "Date last action") if full else ("startdate", "datestamp")
        if "interviewtime" in names:
            import pandas as pd

            s.duration_seconds = pd.to_numeric(df["interviewtime"], errors="coerce")
            s.duration_source = "interviewtime"
        elif {start, end} <= set(names):
            s.duration_seconds = _seconds_between(df, start, end)
            s.duration_source = f"{end} - {start}"
        for n in names:
            if full:
                s.column_labels[n] = n
                s.item_hints[n] = [n]
                continue
            hints = [n]
            m = re.fullmatch(r"(\w+?)\[(\w+)\]", n)
            sgqa = re.fullmatch(r"\d+X\d+X\d+(\w+)", n)
            if m:
                hints += [f"{m.group(1)}_{m.group(2)}", m.group(2)]
            elif sgqa:
                hints.append(sgqa.group(1))
            elif "_" in n:
                hints += _suffixes(n, "_")[1:]
            s.item_hints[n] = hints
        return s


# =========================================================================== Kobo / ODK

class Kobo:
    """KoboToolbox CSV/xlsx exports: ``;``-separated, ``group/subgroup/name`` headers.

    Metadata columns ``_id, _uuid, _submission_time, _validation_status,
    _notes, _status, _submitted_by, __version__, _tags, _index`` follow the
    answers; ``start``/``end`` give the completion time when the form records them.
    """

    METADATA = ("_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
                "_submitted_by", "__version__", "_version_", "_tags", "_index", "_parent_index",
                "meta/instanceID", "meta/deprecatedID", "formhub/uuid", "start", "end", "today", "deviceid",
                "username", "simserial", "subscriberid", "phonenumber", "audit")
    IDENTIFIERS = ("_submitted_by", "deviceid", "simserial", "subscriberid", "phonenumber", "username")
    ID_COLUMNS = ("_uuid", "meta/instanceID", "_id")
    SEPARATORS = "/"

    @classmethod
    def detect(cls, head) -> bool:
        return bool({"_uuid", "_submission_time", "meta/instanceID", "_index"} & {c.strip() for c in head[0]})

    @classmethod
    def read(cls, raw: RawTable) -> SurveyData:
        names = [c.strip() for c in raw.head[0]]
        check_unique(names, raw.source)
        n_header = 1 if raw.has_header_rows else 0
        return cls._describe(raw.load(n_header, names), raw.source, raw.container, n_header,
                             raw.encoding, raw.delimiter)

    @classmethod
    def _describe(cls, df, source, container, n_header, encoding=None, delimiter=None) -> SurveyData:
        names = [str(c) for c in df.columns]
        fmt = "odk" if cls is ODK else "kobo"
        s = SurveyData(df, source, fmt, container, header_rows=n_header, encoding=encoding, delimiter=delimiter)
        s.metadata_columns = [n for n in names if n in cls.METADATA or _suffixes(n, "/-.")[-1] in cls.METADATA]
        s.identifiers = [n for n in names if n in cls.IDENTIFIERS]
        s.id_columns = [n for n in cls.ID_COLUMNS if n in names][:1]
        start = next((n for n in names if _suffixes(n, "/-.")[-1] == "start"), None)
        end = next((n for n in names if _suffixes(n, "/-.")[-1] == "end"), None)
        if start and end:
            s.duration_seconds = _seconds_between(df, start, end)
            s.duration_source = f"{end} - {start}"
        for n in names:
            s.item_hints[n] = _suffixes(n, "/-.")
        return s


class ODK(Kobo):
    """ODK Central CSV exports: groups joined with ``-``, trailing review metadata.

    The main file starts ``SubmissionDate`` and ends with ``meta-instanceID,
    KEY, SubmitterID, SubmitterName, AttachmentsPresent, AttachmentsExpected,
    Status, ReviewState, DeviceID, Edits, FormVersion``; each repeat group
    comes as its own file with ``PARENT_KEY`` (the submission's ``KEY``) and
    ``KEY`` (``uuid:.../group[1]``, one per repeat instance) after the
    group's fields. ``SubmitterName``, ``SubmitterID`` and ``DeviceID`` are
    direct identifiers (dropped from outputs by default).
    """

    METADATA = Kobo.METADATA + ("SubmissionDate", "meta-instanceID", "meta-instanceName", "meta-deprecatedID",
                                "meta-audit", "KEY", "PARENT_KEY", "SubmitterID", "SubmitterName",
                                "AttachmentsPresent", "AttachmentsExpected", "Status", "ReviewState", "DeviceID",
                                "Edits", "FormVersion", "instanceID")
    IDENTIFIERS = Kobo.IDENTIFIERS + ("SubmitterName", "SubmitterID", "DeviceID")
    ID_COLUMNS = ("KEY", "meta-instanceID")

    @classmethod
    def detect(cls, head) -> bool:
        h0 = {c.strip() for c in head[0]}
        main = "SubmissionDate" in h0 and bool({"KEY", "meta-instanceID"} & h0)
        return main or {"PARENT_KEY", "KEY"} <= h0

    @classmethod
    def read(cls, raw: RawTable) -> SurveyData:
        s = super().read(raw)
        names = [str(c) for c in s.data.columns]
        if "PARENT_KEY" in names:
            s.variant = "repeat"
            s.notes.append("an ODK Central repeat-group file: one row per repeat instance (KEY), PARENT_KEY "
                           "is the KEY of its submission in the main file")
        s.metadata_columns += [n for n in names if n.startswith("SET-OF-") and n not in s.metadata_columns]
        return s


# =========================================================================== SurveyMonkey

class SurveyMonkey:
    """SurveyMonkey CSV/xlsx exports ("All responses data"): two header rows.

    Row 1 holds the metadata column names (``Respondent ID, Collector ID,
    Start Date, End Date, IP Address, Email Address, First Name, Last Name,
    Custom Data 1``) and then each question's text, written once over the
    first of its columns (the others are blank). Row 2 says what each column
    holds: ``Response`` for a single answer, ``Open-Ended Response`` for text,
    a matrix row (sub-question) or an answer option of a multiple choice.
    Values are answer texts ("expanded") or their numbers ("numerical").

    A column is named ``Question [Sub-question]`` (``Question`` alone for a
    single answer) and labelled with its sub-question, so matrix rows match
    the instrument's item texts.
    """

    METADATA = ("Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
                "First Name", "Last Name")
    IDENTIFIERS = ("IP Address", "Email Address", "First Name", "Last Name")
    SINGLE = ("Response", "")

    @classmethod
    def detect(cls, head) -> bool:
        h0 = [c.strip() for c in head[0]]
        return len(head) >= 2 and h0[:2] == ["Respondent ID", "Collector ID"]

    @classmethod
    def read(cls, raw: RawTable) -> SurveyData:
        top = [c.strip() for c in raw.head[0]]
        sub = [c.strip() for c in (raw.head[1] if len(raw.head) > 1 else [])]
        sub += [""] * (len(top) - len(sub))
        names, labels, question = [], {}, ""
        for j, q in enumerate(top):
            if q:
                question = q
            elif not question:
                raise DataError(f"{raw.source}: column {j + 1} has no question text above it in row 1")
            detail = sub[j]
            if q in cls.METADATA or q.startswith("Custom Data") or detail in cls.SINGLE:
                names.append(question)
            else:
                names.append(f"{question} [{detail}]")
            labels[len(names) - 1] = detail if detail not in cls.SINGLE + ("Open-Ended Response",) else question
        names, trailing = drop_trailing_blank(names)
        names, notes = _dedupe(names, raw.source, lambda n: n not in cls.METADATA)
        n_header = 2 if raw.has_header_rows else 0
        df = load_without_trailing_blank(raw, n_header, names, trailing)
        s = SurveyData(df, raw.source, "surveymonkey", raw.container, header_rows=n_header,
                       encoding=raw.encoding, delimiter=raw.delimiter, notes=notes)
        s.column_labels = {n: labels[i] for i, n in enumerate(names) if labels.get(i)}
        s.metadata_columns = [n for n in names if n in cls.METADATA or n.startswith("Custom Data")]
        s.identifiers = [n for n in names if n in cls.IDENTIFIERS]
        s.id_columns = ["Respondent ID"] if "Respondent ID" in names else []
        if {"Start Date", "End Date"} <= set(names):
            s.duration_seconds = _seconds_between(df, "Start Date", "End Date")
            s.duration_source = "End Date - Start Date"
        for n in names:
            s.item_hints[n] = [n]
        return s


def read_kobo_json(path) -> SurveyData:
    """Read Kobo/formpack JSON submissions (``group/q`` keys) into a :class:`SurveyData`.

    Nested values (such as ``_validation_status`` objects) are kept as JSON text.
    """
    import json

    import pandas as pd

    recs = records_from_json(path)
    if not recs:
        raise DataError(f"{path}: the JSON export holds no submissions")
    if not all(isinstance(r, dict) for r in recs):
        raise DataError(f"{path}: every submission must be a JSON object")
    df = pd.DataFrame.from_records(recs)
    try:
        for col in df.columns:
            if df[col].map(lambda v: isinstance(v, (dict, list))).any():
                df[col] = df[col].map(lambda v: json.dumps(v) if isinstance(v, (dict, list)) else v)
    except RecursionError:
        raise DataError(f"{path}: a submission holds a value nested too deeply to be survey data") from None
    df.columns = [str(c) for c in df.columns]
    check_unique(list(df.columns), str(path))
    s = Kobo._describe(df, str(path), "json", 0)
    s.notes.append("row numbers count submissions in the JSON array from 1")
    return s


ADAPTERS = {"qualtrics": Qualtrics, "redcap": REDCap, "limesurvey": LimeSurvey, "kobo": Kobo, "odk": ODK,
            "surveymonkey": SurveyMonkey}
