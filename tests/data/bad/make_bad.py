"""Write the bad-input corpus in this folder (re-run from the repository root; the xlsx bytes differ
between runs only by zip timestamps).

Every file must make `qimscale score FILE` print one line `Error: ...` and exit 1.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def main():
    (HERE / "empty.csv").write_bytes(b"")
    (HERE / "header_only.csv").write_text("exp_meth_1,exp_meth_2,exp_meth_3\n")
    rng = np.random.default_rng(1)
    (HERE / "binary_garbage.csv").write_bytes(bytes(rng.integers(0, 256, 4096, dtype=np.uint8)))
    (HERE / "unterminated_quote.csv").write_text('exp_meth_1,exp_meth_2,comment\n4,5,"fine"\n3,2,"never closed\n5,5,x\n')
    (HERE / "text_named.xlsx").write_text("exp_meth_1,exp_meth_2\n4,5\n")
    (HERE / "duplicate_columns.csv").write_text("exp_meth_1,exp_meth_2,exp_meth_1\n4,5,3\n")
    (HERE / "no_items.csv").write_text("name,colour\nann,red\nbob,blue\n")
    (HERE / "short_row.csv").write_text("id,exp_meth_1,exp_meth_2\n1,4,5\n2,3,4\n3,2\n4,5,5\n")
    # a small real workbook, then cut in half
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["exp_meth_1", "exp_meth_2"])
    for i in range(50):
        ws.append([i % 5 + 1, (i + 2) % 5 + 1])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    (HERE / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    # zip-bomb-like: a sheet member that expands ~1000-fold to 64 MiB
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 * 1024 * 1024))
    (HERE / "zipbomb.xlsx").write_bytes(buf.getvalue())
    # SPSS header magic followed by garbage
    (HERE / "corrupt.sav").write_bytes(b"$FL2@(#) IBM SPSS STATISTICS" + bytes(rng.integers(0, 256, 600, dtype=np.uint8)))


if __name__ == "__main__":
    main()
