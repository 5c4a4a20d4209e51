"""Write response data in the exact shapes survey platforms export (the inverse of the readers).

Used by ``qimscale simulate`` so that simulated studies go through the same reading
and scoring path as real exports (simulate → score → validate). The shapes follow
``shared/reference/survey-formats.md``:

- ``csv``: one column per field, codes as numbers (what ``score`` writes back).
- ``redcap``: a REDCap *raw* record export: ``record_id``, ``redcap_survey_identifier``,
  ``<form>_timestamp``, the fields in data-dictionary order, ``<form>_complete`` (2).
- ``qualtrics``: a current Qualtrics CSV export with 3 header rows (column ids,
  question texts, ``{"ImportId": ...}``), the 17 metadata columns, matrix columns
  named by their export tags (the item ids) and **choice text** values.
- ``limesurvey``: a LimeSurvey response export with code headings ``Q[SQ]`` (question =
  scale code, sub-question = item code, as ``instrument export --format limesurvey`` names them).
- ``kobo``: a KoboToolbox CSV export: ``;``-separated, every field quoted, group paths
  (``qim/<scale>/<item>``) and the trailing metadata columns.
- ``spss``: an SPSS ``.sav`` with variable labels, value labels and the not-applicable
  code declared user-missing.

Every writer is atomic (see :class:`qimscale.io.writers.AtomicOutputs`).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from qimscale._core.formatting import cell_text
from qimscale.errors import DataError

FORMATS = ("csv", "redcap", "qualtrics", "limesurvey", "kobo", "spss")
SUFFIX = {"csv": ".csv", "redcap": ".csv", "qualtrics": ".csv", "limesurvey": ".csv", "kobo": ".csv",
          "spss": ".sav"}


def _cell(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    return cell_text(v)


def _csv_text(header_rows, rows, **kw) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", **kw)
    w.writerows(header_rows)
    w.writerows(rows)
    return buf.getvalue()


def _fields(inst, data, form):
    """Background fields then scored items, as the instrument orders them, present in ``data``."""
    bg = [b for b in inst.background_for(form) if b.id in data.columns]
    items = [it for it in inst.scored_items() if it.id in data.columns]
    return bg, items


def _labels(inst, item_id=None) -> dict:
    rs = inst.response_scale(item_id)
    return {o.code: o.label_for(inst.default_language) for o in rs.all_options()}


def _timestamps(n, seed_minutes):
    start = pd.Timestamp("2026-11-02 09:00:00")
    begin = [start + pd.Timedelta(minutes=int(m)) for m in seed_minutes]
    return begin


def render_redcap(inst, data, form="self") -> str:
    from qimscale.instrument.exporters.redcap import form_name

    bg, items = _fields(inst, data, form)
    fname = form_name(inst, form)
    cols = ["record_id", "redcap_survey_identifier", f"{fname}_timestamp"] + [b.id for b in bg] + \
           [it.id for it in items] + [f"{fname}_complete"]
    stamps = _timestamps(len(data), np.arange(len(data)) * 7)
    rows = []
    for i, (_, r) in enumerate(data.iterrows()):
        rows.append([str(i + 1), "", stamps[i].strftime("%Y-%m-%d %H:%M:%S")]
                    + [_cell(r[b.id]) for b in bg] + [_cell(r[it.id]) for it in items] + ["2"])
    return _csv_text([cols], rows)


QUALTRICS_META = [
    ("StartDate", "startDate"), ("EndDate", "endDate"), ("Status", "status"), ("IPAddress", "ipAddress"),
    ("Progress", "progress"), ("Duration (in seconds)", "duration"), ("Finished", "finished"),
    ("RecordedDate", "recordedDate"), ("ResponseId", "_recordId"), ("RecipientLastName", "recipientLastName"),
    ("RecipientFirstName", "recipientFirstName"), ("RecipientEmail", "recipientEmail"),
    ("ExternalReference", "externalDataReference"), ("LocationLatitude", "locationLatitude"),
    ("LocationLongitude", "locationLongitude"), ("DistributionChannel", "distributionChannel"),
    ("UserLanguage", "userLanguage")]


def render_qualtrics(inst, data, form="self") -> str:
    bg, items = _fields(inst, data, form)
    lang = inst.default_language
    cols = [m for m, _ in QUALTRICS_META]
    texts = list(cols)
    ids = [json.dumps({"ImportId": i}) for _, i in QUALTRICS_META]
    qid = 0
    for b in bg:
        qid += 1
        cols.append(b.id)
        texts.append(b.text_for(form, lang))
        ids.append(json.dumps({"ImportId": f"QID{qid}" + ("_TEXT" if b.type == "text" else "")}))
    scale_q: dict[str, tuple[int, int]] = {}
    for it in items:
        if it.scale not in scale_q:
            qid += 1
            scale_q[it.scale] = (qid, 0)
        q, k = scale_q[it.scale]
        scale_q[it.scale] = (q, k + 1)
        cols.append(it.id)  # question export tags = item ids
        texts.append(f"{inst.scale_stem(it.scale, form, lang)} - {inst.item_text(it.id, form, lang)}")
        ids.append(json.dumps({"ImportId": f"QID{q}_{k + 1}"}))
    choice_text = {b.id: {c.code: c.label_for(lang) for c in b.choices} for b in bg if b.choices}
    item_text = {it.id: _labels(inst, it.id) for it in items}
    rng = np.random.default_rng(len(data))
    durations = rng.integers(420, 1500, size=len(data))
    stamps = _timestamps(len(data), np.arange(len(data)) * 11)
    rows = []
    for i, (_, r) in enumerate(data.iterrows()):
        s, d = stamps[i], int(durations[i])
        e = s + pd.Timedelta(seconds=d)
        row = [s.strftime("%Y-%m-%d %H:%M:%S"), e.strftime("%Y-%m-%d %H:%M:%S"), "IP Address", "",
               "100", str(d), "True", e.strftime("%Y-%m-%d %H:%M:%S"), f"R_sim{i + 1:06d}", "", "", "", "", "",
               "", "anonymous", "EN"]
        for b in bg:
            v = r[b.id]
            row.append(choice_text[b.id].get(int(v), _cell(v)) if b.id in choice_text and _cell(v) else _cell(v))
        for it in items:
            v = r[it.id]
            row.append(item_text[it.id].get(int(v), _cell(v)) if _cell(v) else "")
        rows.append(row)
    return _csv_text([cols, texts, ids], rows)


def render_limesurvey(inst, data, form="self") -> str:
    bg, items = _fields(inst, data, form)
    head = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp"]
    cols = head + [inst.limesurvey_code(b.id) for b in bg] + \
        [f"{inst.limesurvey_code(it.scale)}[{inst.limesurvey_code(it.id)}]" for it in items]
    stamps = _timestamps(len(data), np.arange(len(data)) * 5)
    rows = []
    for i, (_, r) in enumerate(data.iterrows()):
        t = stamps[i].strftime("%Y-%m-%d %H:%M:%S")
        rows.append([str(i + 1), t, "5", inst.default_language, str(1000 + i), t, t]
                    + [_cell(r[b.id]) for b in bg] + [_cell(r[it.id]) for it in items])
    return _csv_text([cols], rows)


def render_kobo(inst, data, form="self") -> str:
    bg, items = _fields(inst, data, form)
    cols = ["start", "end"] + [f"background/{b.id}" for b in bg] + [f"qim/{it.scale}/{it.id}" for it in items] + [
        "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
        "__version__", "_tags", "_index"]
    stamps = _timestamps(len(data), np.arange(len(data)) * 9)
    rows = []
    for i, (_, r) in enumerate(data.iterrows()):
        s = stamps[i]
        e = s + pd.Timedelta(minutes=12)
        rows.append([s.strftime("%Y-%m-%dT%H:%M:%S.000+13:00"), e.strftime("%Y-%m-%dT%H:%M:%S.000+13:00")]
                    + [_cell(r[b.id]) for b in bg] + [_cell(r[it.id]) for it in items]
                    + [str(100000 + i), f"sim-{i + 1:06d}", e.strftime("%Y-%m-%dT%H:%M:%S"), "", "",
                       "submitted_via_web", "", "vSim1", "", str(i + 1)])
    return _csv_text([cols], rows, delimiter=";", quoting=csv.QUOTE_ALL)


def render_csv(inst, data, form="self") -> str:
    bg, items = _fields(inst, data, form)
    cols = [b.id for b in bg] + [it.id for it in items]
    return _csv_text([cols], ([_cell(v) for v in r] for r in data[cols].itertuples(index=False)))


def _spss_frame(inst, data, form="self"):
    bg, items = _fields(inst, data, form)
    lang = inst.default_language
    df = pd.DataFrame(index=data.index)
    labels, values, missing = {}, {}, {}
    for b in bg:
        col = data[b.id]
        if b.choices:
            df[b.id] = pd.to_numeric(col).astype(float)
            values[b.id] = {float(c.code): c.label_for(lang) for c in b.choices}
        else:
            df[b.id] = col.astype(str)
        labels[b.id] = b.text_for(form, lang)
    na = inst.na_code()
    for it in items:
        df[it.id] = pd.to_numeric(data[it.id]).astype(float)
        labels[it.id] = inst.item_text(it.id, form, lang)
        values[it.id] = {float(k): v for k, v in _labels(inst, it.id).items()}
        if na is not None:
            missing[it.id] = [float(na)]
    return df, labels, values, missing


RENDERERS = {"csv": render_csv, "redcap": render_redcap, "qualtrics": render_qualtrics,
             "limesurvey": render_limesurvey, "kobo": render_kobo}


def write_platform(inst, data, fmt: str, path, *, form: str = "self", outputs=None) -> Path:
    """Write ``data`` (background fields and item codes, as :func:`qimscale.study.population.simulate_study`
    returns them) as platform ``fmt`` to ``path``, atomically.

    Parameters
    ----------
    inst : Instrument
    data : DataFrame
    fmt : {"csv", "redcap", "qualtrics", "limesurvey", "kobo", "spss"}
    path : str or Path
    form : str
        Instrument form whose fields to write.
    outputs : AtomicOutputs, optional
        Add the file to this set of outputs (all written together) instead of writing it now.
    """
    from qimscale.io.writers import AtomicOutputs

    if fmt not in FORMATS:
        raise DataError(f"unknown platform format {fmt!r}; choose one of {', '.join(FORMATS)}")
    path = Path(path)
    if outputs is None:
        with AtomicOutputs() as out:
            return write_platform(inst, data, fmt, path, form=form, outputs=out)
    if fmt == "spss":
        if path.suffix.lower() != ".sav":
            raise DataError(f"{path}: an SPSS file must end in .sav")
        import pyreadstat

        df, labels, values, missing = _spss_frame(inst, data, form)
        tmp, final = outputs._claim(path)
        try:
            pyreadstat.write_sav(df, str(tmp), column_labels=labels, variable_value_labels=values,
                                 missing_ranges=missing)
        except Exception as exc:  # noqa: BLE001 - the writer raises several types
            raise DataError(f"{final}: cannot write sav: {type(exc).__name__}: {exc}") from None
        return final
    text = RENDERERS[fmt](inst, data, form)
    tmp, final = outputs._claim(path)
    try:
        tmp.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise DataError(f"{final}: cannot write: {exc.strerror or exc}") from None
    return final
