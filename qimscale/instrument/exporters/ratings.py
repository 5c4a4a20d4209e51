"""Content-validity ratings template: one row per scored item, one empty column per expert.

Columns: ``item, scale, text, e1 .. e6``. Experts rate each item's relevance to the
competency it is meant to measure on the 4-point scale of Lynn (1986) and Polit &
Beck (2006): 1 not relevant, 2 somewhat relevant, 3 quite relevant, 4 highly
relevant. The filled sheet is the input of ``qimscale content-validity`` (which
reads the ``item`` column, ignores ``scale`` and ``text``, and takes every other
column as an expert).

``.xlsx`` (the default) carries the rating scale as a note on each expert header
cell and on an ``instructions`` sheet, and restricts the expert cells to 1-4. A
``.csv`` has the same columns and no note (a note row would be read as an item).
"""

from __future__ import annotations

import csv
import io

from qimscale.instrument.exporters._common import check_form, check_lang, local

EXTENSION = ".xlsx"
#: number of empty expert columns (Lynn 1986: at least 3; 6 or more allow I-CVI >= .78)
N_EXPERTS = 6
EXPERT_COLUMNS = [f"e{k}" for k in range(1, N_EXPERTS + 1)]
COLUMNS = ["item", "scale", "text", *EXPERT_COLUMNS]
RELEVANCE_NOTE = ("Relevance of the item to the competency it measures: 1 = not relevant, 2 = somewhat relevant, "
                  "3 = quite relevant, 4 = highly relevant (Lynn 1986; Polit & Beck 2006).")
INSTRUCTIONS = [
    [RELEVANCE_NOTE],
    ["Enter one rating (1-4) per item in your column (e1 ... e6; add e7, e8, ... for more experts)."],
    ["Do not edit the item, scale or text columns; leave a cell blank only if you cannot rate the item."],
    ["Then run: qimscale content-validity THIS_FILE.xlsx"],
]


def rows(inst, form: str = "self", lang: str | None = None) -> list[list]:
    """Template rows (first row = header): ``item, scale, text`` and empty expert cells.

    >>> from qimscale.instrument import load_instrument
    >>> r = rows(load_instrument())
    >>> r[0]
    ['item', 'scale', 'text', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6']
    >>> r[1][:2], r[1][3:]
    (['exp_meth_1', 'exp_methods'], ['', '', '', '', '', ''])
    """
    check_form(inst, form)
    lang = check_lang(inst, lang)
    out: list[list] = [list(COLUMNS)]
    for sc in inst.scales:
        for it in inst.scale_items(sc.id):
            text = local(it.text.get(form, {}), lang, inst.default_language)
            out.append([it.id, sc.id, text] + [""] * N_EXPERTS)
    return out


def render(inst, form: str = "self", lang: str | None = None, *, suffix: str = EXTENSION) -> bytes | str:
    """The template as ``.xlsx`` bytes, or as CSV text when ``suffix`` is ``.csv``.

    >>> from qimscale.instrument import load_instrument
    >>> render(load_instrument())[:2]
    b'PK'
    >>> render(load_instrument(), suffix=".csv").splitlines()[0]
    'item,scale,text,e1,e2,e3,e4,e5,e6'
    """
    table = rows(inst, form, lang)
    if suffix.lower() == ".csv":
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(table)
        return buf.getvalue()
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "ratings"
    for r in table:
        ws.append(r)
    first, last = 4, 3 + N_EXPERTS  # expert columns D..I
    for col in range(first, last + 1):
        ws.cell(row=1, column=col).comment = Comment(RELEVANCE_NOTE, "qimscale")
    letters = [ws.cell(row=1, column=c).column_letter for c in (first, last)]
    dv = DataValidation(type="whole", operator="between", formula1="1", formula2="4", allow_blank=True,
                        showErrorMessage=True, errorTitle="Relevance rating", error=RELEVANCE_NOTE)
    dv.add(f"{letters[0]}2:{letters[1]}{len(table)}")
    ws.add_data_validation(dv)
    ws.freeze_panes = "D2"
    ws.column_dimensions["C"].width = 70
    info = wb.create_sheet("instructions")
    for r in INSTRUCTIONS:
        info.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
