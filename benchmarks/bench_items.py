"""Item descriptives benchmarks: ``qimscale.analysis.items.item_descriptives`` against ``psych::describe``.

Data: psych's ``bfi`` (25 items x 2,800, with missing values) committed under
``tests/reference/``; the per-group case splits it into 4 groups by row. qimscale
also counts N/A and tabulates every category (psych::describe does not), so the
peer expression adds ``table()`` per item to do the same work.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._harness import best_time, row, rscript_available, time_r

REF = Path(__file__).resolve().parent.parent / "tests" / "reference"
BFI = REF / "reliability_bfi_data.csv"


def run() -> list[dict]:
    from qimscale.analysis.items import item_descriptives

    warnings.simplefilter("ignore")
    bfi = pd.read_csv(BFI)
    items = list(bfi.columns)
    ranges = dict.fromkeys(items, (1, 6))
    grouped = bfi.assign(grp=np.arange(len(bfi)) % 4)
    have_r = rscript_available(("psych",))
    setup = "suppressMessages(library(psych)); b <- read.csv(bfi); g <- seq_len(nrow(b)) %% 4"
    note = "" if have_r else "Rscript/psych not available"
    rows = []

    q = best_time(lambda: item_descriptives(bfi, items, ranges=ranges), repeat=5)
    p = time_r(setup, "describe(b); lapply(b, function(x) table(factor(x, levels = 1:6)))", repeat=5,
               data={"bfi": BFI}) if have_r else None
    rows.append(row("item descriptives, bfi 25 items x 2800", q, "psych::describe + table", p, note=note))

    q = best_time(lambda: item_descriptives(grouped, items, group="grp", ranges=ranges), repeat=5)
    p = time_r(setup, "describeBy(b, group = g); lapply(split(b, g), function(d) lapply(d, function(x) "
               "table(factor(x, levels = 1:6))))", repeat=5, data={"bfi": BFI}) if have_r else None
    rows.append(row("item descriptives by 4 groups, bfi", q, "psych::describeBy + table", p, note=note))
    return rows
