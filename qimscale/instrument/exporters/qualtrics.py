"""Qualtrics Advanced-Format TXT (Survey -> Tools -> Import/Export -> Import Survey).

The file starts with ``[[AdvancedFormat]]``. The background block is one block of
``MC:SingleAnswer:Vertical`` (categories) and ``TE:SingleLine`` (text) questions;
then each scale is one ``Matrix:SingleAnswer`` question in its own block, with the
items under ``[[Choices]]`` and the response options under ``[[Answers]]``.
``[[ID:...]]`` sets the question's export tag to the scale id (check it after import), so the response
columns are ``<scale>_<row>`` (see the ``qualtrics`` column of the codebook).

Advanced-Format TXT cannot set recode values: Qualtrics numbers answers 1..n in
order. Agreement options therefore get 1..5 as in the instrument, but the
"not applicable" option arrives as 6 (``QUALTRICS_NA_CODE``), not 9, unless you
set its recode value to 9 after import (Recode values in the question's menu).
Background categories are numbered 1..n and match the instrument's codes when
those run 1..n, which :func:`render` checks.
"""

from __future__ import annotations

from qimscale.errors import InstrumentError
from qimscale.instrument.exporters._common import check_form, check_lang, local, sections

EXTENSION = ".txt"


def qualtrics_na_code(inst, item_id: str | None = None) -> int:
    """The code Qualtrics gives the not-applicable answer after a TXT import (max + 1)."""
    return len(inst.response_scale(item_id).options) + 1


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def render(inst, form: str = "self", lang: str | None = None) -> str:
    """The Advanced-Format TXT.

    >>> from qimscale.instrument import load_instrument
    >>> txt = render(load_instrument())
    >>> txt.splitlines()[0]
    '[[AdvancedFormat]]'
    >>> "[[Question:Matrix:SingleAnswer]]" in txt and "[[ID:lead_systems]]" in txt
    True
    """
    check_form(inst, form)
    lang = check_lang(inst, lang)
    d = inst.default_language
    fm = inst.get_form(form)
    out = ["[[AdvancedFormat]]", ""]
    out += ["[[Block:Introduction]]", "", "[[Question:DB]]", "[[ID:instructions]]",
            _one_line(local(fm.instructions, lang, d)), ""]
    bg = inst.background_for(form)
    if bg:
        out += ["[[Block:Background]]", ""]
        for b in bg:
            label = _one_line(local(b.text.get(form, {}), lang, d))
            note = local(b.note, lang, d)
            if note:
                label = f"{label} ({_one_line(note)})"
            if b.type == "select_one":
                codes = [c.code for c in b.choices]
                if codes != list(range(1, len(codes) + 1)):
                    raise InstrumentError(
                        f"{inst.path}: background field '{b.id}': Qualtrics TXT numbers choices 1..n, but the "
                        f"codes are {codes}; renumber them or recode after import")
                out += ["[[Question:MC:SingleAnswer:Vertical]]", f"[[ID:{b.id}]]", label, "[[Choices]]"]
                out += [_one_line(local(c.labels, lang, d)) for c in b.choices]
            else:
                out += ["[[Question:TE:SingleLine]]", f"[[ID:{b.id}]]", label]
            out.append("")
    for sec in sections(inst, form, lang):
        rs = inst.response_scale(sec.scale.id)
        if rs.codes != list(range(1, len(rs.codes) + 1)):
            raise InstrumentError(
                f"{inst.path}: response scale '{rs.id}': Qualtrics TXT numbers answers 1..n, but the scored "
                f"codes are {rs.codes}")
        stem = _one_line(sec.stem)
        if sec.first_in_domain:
            stem = f"{_one_line(sec.domain_label)}: {stem}"
        out += [f"[[Block:{sec.scale.id}]]", "", "[[Question:Matrix:SingleAnswer]]", f"[[ID:{sec.scale.id}]]",
                stem, "[[Choices]]"]
        out += [_one_line(local(it.text.get(form, {}), lang, d)) for it in sec.items]
        out.append("[[Answers]]")
        out += [_one_line(local(o.labels, lang, d)) for o in rs.all_options()]
        out.append("")
    return "\n".join(out)
