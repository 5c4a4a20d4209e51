"""Printable paper forms: Markdown and self-contained HTML.

Both show the title, the instructions, the background questions with tick boxes,
and one table per scale: statements in rows, the response options in columns
(1-5 and "not applicable"). Statements are numbered through the form; the item id
is printed small beside each number for data entry. The HTML file carries its own
CSS (A4 portrait print layout, no external resources).
"""

from __future__ import annotations

import html as _html

from qimscale.instrument.exporters._common import check_form, check_lang, local, sections

BOX = "\u2610"  # ballot box


def _model(inst, form, lang):
    check_form(inst, form)
    lang = check_lang(inst, lang)
    d = inst.default_language
    fm = inst.get_form(form)
    bg = []
    for b in inst.background_for(form):
        bg.append({
            "id": b.id, "type": b.type,
            "text": local(b.text.get(form, {}), lang, d),
            "note": local(b.note, lang, d),
            "choices": [(c.code, local(c.labels, lang, d)) for c in b.choices],
        })
    secs = []
    n = 0
    for sec in sections(inst, form, lang):
        rs = inst.response_scale(sec.scale.id)
        rows = []
        for it in sec.items:
            n += 1
            rows.append((n, it.id, local(it.text.get(form, {}), lang, d)))
        secs.append({
            "heading": sec.domain_label if sec.first_in_domain else "",
            "stem": sec.stem,
            "options": [(o.code, local(o.labels, lang, d)) for o in rs.all_options()],
            "rows": rows,
        })
    ref = inst.reference.citation if inst.reference else ""
    return {
        "title": local(inst.title, lang, d), "form": local(fm.labels, lang, d),
        "instructions": local(fm.instructions, lang, d), "bg_heading": local(fm.background_heading, lang, d),
        "background": bg, "sections": secs, "lang": lang,
        "footer": f"{inst.id} version {inst.version}, {form} form, language {lang}. Based on: {' '.join(ref.split())}",
    }


def _md_cell(text: str) -> str:
    # one line: a line break would end the Markdown table row
    return " ".join(str(text).split()).replace("|", "\\|")


def render_markdown(inst, form: str = "self", lang: str | None = None) -> str:
    """Markdown paper form.

    >>> from qimscale.instrument import load_instrument
    >>> md = render_markdown(load_instrument())
    >>> md.splitlines()[0]
    '# QI Manager Competency Scale (QIMCS): Self-assessment'
    """
    m = _model(inst, form, lang)
    out = [f"# {m['title']}: {m['form']}", "", m["instructions"], ""]
    if m["background"]:
        out += [f"## {m['bg_heading']}", ""]
        for b in m["background"]:
            out.append(f"**{_md_cell(b['text'])}** <sub>{b['id']}</sub>")
            if b["note"]:
                out.append(f"*{b['note']}*")
            out.append("")
            if b["choices"]:
                out += [f"- {BOX} {lab} <sub>({code})</sub>" for code, lab in b["choices"]]
            else:
                out.append("Answer: ______________________________")
            out.append("")
    for s in m["sections"]:
        if s["heading"]:
            out += [f"## {s['heading']}", ""]
        out += [s["stem"], ""]
        head = ["#", "Statement"] + [f"{lab} ({code})" for code, lab in s["options"]]
        out.append("| " + " | ".join(_md_cell(h) for h in head) + " |")
        out.append("|" + "---|" * len(head))
        for n, iid, text in s["rows"]:
            cells = [f"{n} <sub>{iid}</sub>", _md_cell(text)] + [BOX] * len(s["options"])
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    out += ["---", "", f"*{m['footer']}*", ""]
    return "\n".join(out)


_CSS = """
@page { size: A4 portrait; margin: 15mm; }
body { font-family: "Segoe UI", Arial, sans-serif; font-size: 10.5pt; color: #111; max-width: 190mm; margin: auto; }
h1 { font-size: 15pt; margin-bottom: 2mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #999; page-break-after: avoid; }
p.stem { font-weight: 600; margin: 3mm 0 1mm; }
table.likert { width: 100%; border-collapse: collapse; page-break-inside: avoid; margin-bottom: 3mm; }
table.likert th, table.likert td { border: 1px solid #bbb; padding: 1.2mm 1.5mm; vertical-align: middle; }
table.likert th { font-size: 8pt; font-weight: 600; background: #f2f2f2; }
table.likert th.opt, table.likert td.box { width: 12mm; text-align: center; }
table.likert td.num { width: 9mm; text-align: right; white-space: nowrap; }
td.box span { display: inline-block; width: 3.6mm; height: 3.6mm; border: 1px solid #333; }
.id { font-size: 6.5pt; color: #777; display: block; }
.bg { margin: 2mm 0 4mm; page-break-inside: avoid; }
.bg ul { list-style: none; padding-left: 4mm; margin: 1mm 0; }
.bg li::before { content: ""; display: inline-block; width: 3.2mm; height: 3.2mm; border: 1px solid #333; margin-right: 2mm; vertical-align: -0.4mm; }
.line { display: inline-block; min-width: 70mm; border-bottom: 1px solid #333; height: 5mm; }
.note { font-size: 9pt; color: #444; font-style: italic; }
footer { margin-top: 8mm; font-size: 8pt; color: #555; border-top: 1px solid #ccc; padding-top: 2mm; }
@media print { a { color: inherit; text-decoration: none; } }
"""


def render_html(inst, form: str = "self", lang: str | None = None) -> str:
    """Self-contained printable HTML paper form.

    >>> from qimscale.instrument import load_instrument
    >>> page = render_html(load_instrument(), "observer")
    >>> page.startswith("<!DOCTYPE html>") and "This QI manager" in page
    True
    """
    m = _model(inst, form, lang)
    e = _html.escape
    out = ["<!DOCTYPE html>", f'<html lang="{e(m["lang"])}">', "<head>", '<meta charset="utf-8">',
           f"<title>{e(m['title'])}: {e(m['form'])}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
           f"<h1>{e(m['title'])}: {e(m['form'])}</h1>", f"<p>{e(m['instructions'])}</p>"]
    if m["background"]:
        out.append(f"<h2>{e(m['bg_heading'])}</h2>")
        for b in m["background"]:
            out.append(f'<div class="bg"><strong>{e(b["text"])}</strong> <span class="id">{e(b["id"])}</span>')
            if b["note"]:
                out.append(f'<div class="note">{e(b["note"])}</div>')
            if b["choices"]:
                out.append("<ul>" + "".join(f"<li>{e(lab)} <small>({code})</small></li>" for code, lab in b["choices"])
                           + "</ul>")
            else:
                out.append('<div><span class="line"></span></div>')
            out.append("</div>")
    for s in m["sections"]:
        if s["heading"]:
            out.append(f"<h2>{e(s['heading'])}</h2>")
        out.append(f'<p class="stem">{e(s["stem"])}</p>')
        out.append('<table class="likert"><thead><tr><th>#</th><th>Statement</th>'
                   + "".join(f'<th class="opt">{e(lab)}<br>({code})</th>' for code, lab in s["options"])
                   + "</tr></thead><tbody>")
        for n, iid, text in s["rows"]:
            out.append(f'<tr><td class="num">{n}<span class="id">{e(iid)}</span></td><td>{e(text)}</td>'
                       + '<td class="box"><span></span></td>' * len(s["options"]) + "</tr>")
        out.append("</tbody></table>")
    out += [f"<footer>{e(m['footer'])}</footer>", "</body>", "</html>", ""]
    return "\n".join(out)
