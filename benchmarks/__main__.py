"""Run the benchmarks: ``python -m benchmarks [AREA ...]``.

Each ``benchmarks/bench_<area>.py`` is imported and its ``run()`` called; the
rows are printed as a table and saved to ``benchmarks/results/<area>.json``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from benchmarks._harness import render, save

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    areas = argv or sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py"))
    all_rows = []
    for area in areas:
        mod = importlib.import_module(f"benchmarks.bench_{area}")
        print(f"== {area}", flush=True)
        rows = mod.run()
        save(rows, HERE / "results" / f"{area}.json")
        print(render(rows), flush=True)
        all_rows.extend(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
