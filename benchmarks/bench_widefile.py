"""Wide files: 40 rows x 2,000 .. 20,000 columns, read the way scoring reads them.

Issue 14 found the compact conversion quadratic in the number of columns (one
``Table.set_column`` per integer column: 2k/5k/10k columns took 1.6/4.4/19.2 s
and 20,000 did not finish in 300 s). Each row times
:func:`qimscale.io.read_survey` (``compact=True``, as ``qimscale score`` reads)
against the peer, pyarrow reading the same CSV and converting it to pandas,
in the same run; the note gives the time per 1,000 columns, which stays flat
when the conversion is linear. The last row scores the 20,000-column file end
to end (:func:`qimscale.scoring.score_file`, five columns named like items);
the target is under 5 s.

Run: ``python -m benchmarks widefile``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks._harness import best_time, row

WIDTHS = (2_000, 5_000, 10_000, 20_000)


def make_wide(path: Path, cols: int, rows: int = 40, seed: int = 0) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    names = [f"exp_meth_{j + 1}" if j < 5 else f"c{j}" for j in range(cols)]
    body = rng.integers(1, 300, size=(rows, cols))
    body[:, :5] = rng.integers(1, 6, size=(rows, 5))
    path.write_text(",".join(names) + "\n" + "\n".join(",".join(map(str, r)) for r in body) + "\n")


def run() -> list[dict]:
    import pyarrow.csv as pcsv

    from qimscale.io import read_survey
    from qimscale.scoring import score_file

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for cols in WIDTHS:
            src = Path(tmp) / f"wide{cols}.csv"
            make_wide(src, cols)
            c0 = time.process_time()
            ours = best_time(lambda: read_survey(src, compact=True), repeat=2)
            cpu = (time.process_time() - c0) / 3  # one warm-up + two timed calls
            peer = best_time(lambda: pcsv.read_csv(src).to_pandas(), repeat=2)
            rows.append(row(f"read 40 x {cols:,} columns (compact)", ours, "pyarrow read_csv+to_pandas", peer,
                            note=f"{ours / cols * 1000:.3f} s wall, {cpu / cols * 1000:.3f} s CPU per 1,000 columns"))
        src = Path(tmp) / f"wide{WIDTHS[-1]}.csv"
        t0, c0 = time.perf_counter(), time.process_time()
        res = score_file(src)
        res.write(Path(tmp) / "scores.parquet")
        took, cpu = time.perf_counter() - t0, time.process_time() - c0
        peer = best_time(lambda: pcsv.read_csv(src).to_pandas(), repeat=2)
        rows.append(row(f"score 40 x {WIDTHS[-1]:,} columns -> parquet", took, "pyarrow read_csv+to_pandas", peer,
                        note=f"target: under 5 s (was > 300 s); {took:.2f} s wall, {cpu:.2f} s CPU "
                             "(on a shared machine the CPU time is the steadier figure)"))
    return rows


if __name__ == "__main__":  # pragma: no cover
    from benchmarks._harness import render

    print(render(run()))
