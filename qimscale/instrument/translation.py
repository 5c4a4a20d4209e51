"""Translation workflow for multi-country teams: template worksheet out, reviewed texts in.

1. :func:`write_template` writes an ``.xlsx`` worksheet with one row per
   translatable text: ``key``, ``context``, ``source`` (default language),
   ``target``, ``back_translation``, ``status`` and ``comment``.
2. Translators fill ``target``; an independent translator fills
   ``back_translation``; a reviewer sets ``status`` to ``forward``,
   ``back-translated`` or ``reviewed``.
3. :func:`merge_translation` writes the language into the instrument file: it
   declares the language, adds every translated text under its key and records
   each text's status in ``translation_status``. Rows without a target are left
   out (``validate`` then reports the missing translations); a target without a
   status is an error, so no unverified text slips in.

qimscale ships English only; never merge machine or unverified translations
into a release.

Keys
----
``title``; ``form.<form>.<label|instructions|stem|background_heading>``;
``domain.<id>.label``; ``scale.<id>.<label|description>``; ``scale.<id>.stem.<form>``;
``response.<scale>.<code>``; ``item.<id>.<form>``; ``background.<id>.<form>``;
``background.<id>.note``; ``background.<id>.choice.<code>``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from qimscale.errors import InstrumentError
from qimscale.instrument.model import TRANSLATION_STATUSES

SHEET = "translation"
META = "meta"
COLUMNS = ["key", "context", "source", "target", "back_translation", "status", "comment"]


@dataclass
class TString:
    """A translatable text: its key, a short context for translators and its texts by language."""

    key: str
    context: str
    texts: dict


def _slots(raw: dict):
    """Yield ``(key, context, container)`` where ``container`` is the ``{lang: text}`` dict (or None)."""
    yield "title", "Questionnaire title", raw.get("title")
    for fm in raw.get("forms", []) or []:
        fid = fm.get("id")
        for fld, ctx in (("label", "form name"), ("instructions", "instructions shown first"),
                         ("stem", "question stem above the agreement statements"),
                         ("background_heading", "heading of the background questions")):
            if fld in fm:
                yield f"form.{fid}.{fld}", f"{fid} form: {ctx}", fm.get(fld)
    for d in raw.get("domains", []) or []:
        yield f"domain.{d.get('id')}.label", "section heading (domain)", d.get("label")
    for sc in raw.get("scales", []) or []:
        sid = sc.get("id")
        yield f"scale.{sid}.label", "scale name (researchers)", sc.get("label")
        if sc.get("description"):
            yield f"scale.{sid}.description", "scale description (researchers)", sc.get("description")
        for fid, t in (sc.get("stem") or {}).items():
            yield f"scale.{sid}.stem.{fid}", f"{fid} form: question stem for this scale", t
    for rs in raw.get("response_scales", []) or []:
        opts = list(rs.get("options", []) or [])
        if rs.get("not_applicable"):
            opts.append(rs["not_applicable"])
        for o in opts:
            yield f"response.{rs.get('id')}.{o.get('code')}", f"response option {o.get('code')}", o.get("label")
    for it in raw.get("items", []) or []:
        for fid, t in (it.get("text") or {}).items():
            yield f"item.{it.get('id')}.{fid}", f"{fid} form: statement ({it.get('scale')})", t
    for b in raw.get("background", []) or []:
        bid = b.get("id")
        for fid, t in (b.get("text") or {}).items():
            yield f"background.{bid}.{fid}", f"{fid} form: background question", t
        if b.get("note"):
            yield f"background.{bid}.note", "note under a background question", b.get("note")
        for c in b.get("choices", []) or []:
            yield f"background.{bid}.choice.{c.get('code')}", f"answer category of {bid}", c.get("label")


def translatable_strings(raw: dict) -> list[TString]:
    """Every translatable text of a raw instrument mapping, in file order."""
    return [TString(k, ctx, dict(c or {})) for k, ctx, c in _slots(raw)]


def write_template(spec, lang: str, out, *, name: str | None = None) -> Path:
    """Write the translation worksheet for language ``lang`` to ``out`` (``.xlsx``).

    Parameters
    ----------
    spec : instrument spec (``None`` = bundled)
    lang : str
        Target language code (e.g. ``mi``); must differ from the default language.
    out : path
        The worksheet to write (atomically).
    name : str, optional
        Language name shown in XLSForm columns (``Te reo Māori`` gives
        ``label::Te reo Māori (mi)``); defaults to the declared name or the code.

    Returns
    -------
    Path
        The file written. Texts already translated are pre-filled with their status.
    """
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    from qimscale.instrument.exporters._common import atomic_write
    from qimscale.instrument.loader import load_instrument, read_raw, resolve_spec

    if Path(out).suffix.lower() != ".xlsx":
        raise InstrumentError(f"{out}: the translation worksheet is an Excel workbook; give --out a .xlsx name")
    inst = load_instrument(spec)
    path, display = resolve_spec(spec)
    raw = read_raw(path, display)
    _check_lang_code(lang, inst.default_language)
    declared = {lg.code: lg.name for lg in inst.languages}
    name = name or declared.get(lang) or lang
    status = (raw.get("translation_status") or {}).get(lang, {})
    src = inst.default_language

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(COLUMNS)
    for s in translatable_strings(raw):
        ws.append([s.key, s.context, s.texts.get(src, ""), s.texts.get(lang, ""), "", status.get(s.key, ""), ""])
    dv = DataValidation(type="list", formula1='"' + ",".join(TRANSLATION_STATUSES) + '"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add(f"F2:F{ws.max_row}")
    for col, width in zip("ABCDEFG", (34, 34, 60, 60, 40, 16, 30)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "C2"
    meta = wb.create_sheet(META)
    for row in (["field", "value"], ["instrument", inst.id], ["version", inst.version],
                ["source_language", src], ["target_language", lang], ["language_name", name],
                ["statuses", ", ".join(TRANSLATION_STATUSES)]):
        meta.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return atomic_write(out, buf.getvalue())


def _check_lang_code(lang: str, default: str) -> None:
    import re

    if not lang or not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", lang):
        raise InstrumentError(f"language code '{lang}' is not a valid code; use an ISO 639 code such as 'mi' or 'fr'")
    if lang == default:
        raise InstrumentError(f"'{lang}' is the instrument's source language; choose the target language")


def read_sheet(sheet) -> tuple[dict, list[dict]]:
    """Read a filled worksheet: ``(meta, rows)``."""
    from openpyxl import load_workbook

    sheet = Path(sheet)
    if not sheet.is_file():
        raise InstrumentError(f"{sheet}: translation worksheet not found")
    try:
        wb = load_workbook(sheet, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for non-xlsx input
        raise InstrumentError(f"{sheet}: not a readable .xlsx worksheet ({type(exc).__name__}: {exc})") from None
    if SHEET not in wb.sheetnames or META not in wb.sheetnames:
        raise InstrumentError(f"{sheet}: expected sheets '{SHEET}' and '{META}' (write one with --template)")
    meta = {str(r[0]): ("" if r[1] is None else str(r[1])) for r in wb[META].iter_rows(min_row=2, values_only=True)
            if r and r[0]}
    it = wb[SHEET].iter_rows(values_only=True)
    header = [str(h or "").strip() for h in next(it, [])]
    missing = [c for c in ("key", "target", "status") if c not in header]
    if missing:
        raise InstrumentError(f"{sheet}: sheet '{SHEET}' lacks column(s) {', '.join(missing)}")
    rows = []
    for n, r in enumerate(it, start=2):
        rec = {h: ("" if v is None else str(v)) for h, v in zip(header, r)}
        rec["_row"] = n
        rows.append(rec)
    return meta, rows


def merge_translation(spec, sheet, *, out=None, lang: str | None = None) -> dict:
    """Write the translations of a filled worksheet into an instrument file.

    Parameters
    ----------
    spec : instrument spec (``None`` = bundled; then ``out`` is required)
    sheet : path
        Worksheet written by :func:`write_template` and filled in.
    out : path, optional
        Instrument file to write; default: overwrite ``spec`` (atomically).
    lang : str, optional
        Must match the worksheet's ``target_language`` when given.

    Returns
    -------
    dict
        ``{"file", "lang", "merged", "missing", "status_counts"}``.

    Raises
    ------
    InstrumentError
        Unknown keys, a target without a valid status, or a result that does not
        validate; messages name the worksheet row. Nothing is written then.
    """
    from qimscale.instrument.exporters._common import atomic_write
    from qimscale.instrument.loader import BUNDLED_DISPLAY, dump_yaml, instrument_from_raw, read_raw, resolve_spec

    path, display = resolve_spec(spec)
    if out is None:
        if display == BUNDLED_DISPLAY:
            raise InstrumentError("merging into the bundled instrument needs --out (a copy to write)")
        out = path
    elif Path(out).suffix.lower() not in (".yaml", ".yml"):
        raise InstrumentError(f"{out}: the merged instrument is YAML; give --out a .yaml name")
    if Path(out).resolve() == Path(sheet).resolve():
        raise InstrumentError(f"{out}: refusing to overwrite the worksheet; choose another --out")
    raw = read_raw(path, display)
    meta, rows = read_sheet(sheet)
    target = meta.get("target_language", "")
    if lang and target and lang != target:
        raise InstrumentError(f"{sheet}: worksheet is for language '{target}', not '{lang}'")
    target = lang or target
    default = raw.get("default_language", "en")
    _check_lang_code(target, default)
    name = meta.get("language_name") or target

    slots = {k: (ctx, c) for k, ctx, c in _slots(raw)}
    status_map: dict[str, str] = {}
    merged = 0
    missing = 0
    errors = []
    for r in rows:
        key = r.get("key", "").strip()
        if not key:
            continue
        text = r.get("target", "").strip()
        st = r.get("status", "").strip()
        if key not in slots:
            errors.append(f"row {r['_row']}: unknown key '{key}'")
            continue
        if not text:
            missing += 1
            continue
        if st not in TRANSLATION_STATUSES:
            errors.append(f"row {r['_row']} ('{key}'): status '{st}' must be one of {', '.join(TRANSLATION_STATUSES)}")
            continue
        container = slots[key][1]
        if container is None:
            errors.append(f"row {r['_row']}: '{key}' has no source text")
            continue
        container[target] = text
        status_map[key] = st
        merged += 1
    if errors:
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise InstrumentError(f"{sheet}: " + "; ".join(errors[:3]) + more)
    langs = raw.setdefault("languages", [])
    if target not in {str(lg.get("code")) for lg in langs}:
        langs.append({"code": target, "name": name})
    raw.setdefault("translation_status", {})[target] = status_map
    instrument_from_raw(raw, str(out), check=True, file=path)  # refuse to write an instrument that does not load

    header = _leading_comments(path)
    text = header + dump_yaml(raw)
    atomic_write(out, text)
    counts = {s: sum(1 for v in status_map.values() if v == s) for s in TRANSLATION_STATUSES}
    return {"file": str(out), "lang": target, "merged": merged, "missing": missing, "status_counts": counts}


def _leading_comments(path: Path) -> str:
    lines = []
    for ln in path.read_text(encoding="utf-8").splitlines():
        if ln.startswith("#") or not ln.strip():
            lines.append(ln)
        else:
            break
    return ("\n".join(lines).rstrip() + "\n") if lines else ""
