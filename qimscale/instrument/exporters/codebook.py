"""Codebook CSV: one row per scored item, with the names each platform gives it.

Columns
-------
item, scale, domain, kind, exploratory, reverse, min, max, na_code, text, form, lang,
source_codes (``;``-separated Table 2 codes), redcap (field name), xlsform (name),
qualtrics (column ``<scale>_<row>`` of the matrix question), limesurvey (response
column ``<scale code>[<item code>]``), spss (variable name).

``min``/``max`` are the scored range; ``na_code`` is the never-scored "not
applicable / can't judge" code (9). Qualtrics Advanced-Format TXT cannot set
recode values, so there the not-applicable answer arrives as code
``max + 1`` (6) unless recoded after import; see :mod:`.qualtrics`.
"""

from __future__ import annotations

import csv
import io

from qimscale.instrument.exporters._common import check_form, check_lang, local

EXTENSION = ".csv"
COLUMNS = ["item", "scale", "domain", "kind", "exploratory", "reverse", "min", "max", "na_code", "text",
           "form", "lang", "source_codes", "redcap", "xlsform", "qualtrics", "limesurvey", "spss"]


def rows(inst, form: str = "self", lang: str | None = None) -> list[dict]:
    """Codebook rows as dicts (one per scored item, file order)."""
    check_form(inst, form)
    lang = check_lang(inst, lang)
    out = []
    for sc in inst.scales:
        for k, it in enumerate(inst.scale_items(sc.id), start=1):
            rs = inst.response_scale(it.id)
            out.append({
                "item": it.id, "scale": sc.id, "domain": sc.domain, "kind": sc.kind,
                "exploratory": sc.exploratory, "reverse": it.reverse, "min": rs.min, "max": rs.max,
                "na_code": "" if rs.na_code is None else rs.na_code,
                "text": local(it.text.get(form, {}), lang, inst.default_language),
                "form": form, "lang": lang, "source_codes": ";".join(it.source_codes),
                "redcap": it.id, "xlsform": it.id, "qualtrics": f"{sc.id}_{k}",
                "limesurvey": f"{inst.limesurvey_code(sc.id)}[{inst.limesurvey_code(it.id)}]",
                "spss": it.id,
            })
    return out


def render(inst, form: str = "self", lang: str | None = None) -> str:
    """The codebook as CSV text.

    >>> from qimscale.instrument import load_instrument
    >>> print(render(load_instrument()).splitlines()[0])
    item,scale,domain,kind,exploratory,reverse,min,max,na_code,text,form,lang,source_codes,redcap,xlsform,qualtrics,limesurvey,spss
    """
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows(inst, form, lang):
        w.writerow({k: (str(v).lower() if isinstance(v, bool) else v) for k, v in r.items()})
    return buf.getvalue()
