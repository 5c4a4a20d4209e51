"""On-demand check: the exit code after any ``Error:`` line is 1, in N real subprocesses under CPU load.

Not a test (it takes minutes): run it from the repository root,

    .venv/bin/python -m tests.fuzz.exit_codes            # 1,000 runs
    .venv/bin/python -m tests.fuzz.exit_codes --runs 200 --jobs 4

Each run is ``qimscale score input.csv --id nonexistent --json`` on a CSV large
enough for pyarrow's threaded reader to use its thread pool: the error is
raised right after the read, which is when a process that exits normally can
race pyarrow's threads at interpreter shutdown (``terminate called without an
active exception``, exit 134; apache/arrow#34314, #39862). Busy-loop processes
keep every core loaded meanwhile. Prints the exit codes seen and exits 1 when
any run did not exit 1 with exactly one ``Error:`` line.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def _burn(stop):
    x = 0
    while not stop.is_set():
        for i in range(100_000):
            x += i * i


def _write_input(folder: Path) -> Path:
    import numpy as np

    rng = np.random.default_rng(0)
    items = [f"exp_meth_{i}" for i in range(1, 6)] + [f"lead_sys_{i}" for i in range(1, 6)]
    codes = rng.integers(1, 6, size=(60_000, len(items)))
    lines = ["id," + ",".join(items)] + [f"{r}," + ",".join(map(str, row)) for r, row in enumerate(codes, 1)]
    path = folder / "input.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _run_once(cmd, cwd) -> tuple[int, str]:
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stderr


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=max(2, os.cpu_count() or 2))
    ap.add_argument("--load", type=int, default=os.cpu_count() or 2, help="busy-loop processes (CPU load)")
    args = ap.parse_args(argv)
    exe = [sys.executable, "-m", "qimscale"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = _write_input(folder)
        cmd = exe + ["score", str(data), "--id", "nonexistent", "--json"]
        stop = mp.Event()
        burners = [mp.Process(target=_burn, args=(stop,), daemon=True) for _ in range(args.load)]
        for b in burners:
            b.start()
        t0 = time.perf_counter()
        codes: collections.Counter = collections.Counter()
        bad = []
        try:
            with ThreadPoolExecutor(args.jobs) as ex:
                for k, (code, err) in enumerate(ex.map(lambda _: _run_once(cmd, folder), range(args.runs)), 1):
                    codes[code] += 1
                    lines = [ln for ln in err.splitlines() if ln.strip()]
                    if code != 1 or len(lines) != 1 or not lines[0].startswith("Error: "):
                        bad.append((code, err[-300:]))
                    if k % 100 == 0:
                        print(f"{k} runs, exit codes {dict(codes)}", flush=True)
        finally:
            stop.set()
            for b in burners:
                b.join(5)
        took = time.perf_counter() - t0
    print(f"{args.runs} runs in {took:.0f} s under {args.load} busy processes: exit codes {dict(codes)}; "
          f"{len(bad)} not exactly one 'Error:' line with exit 1")
    for code, err in bad[:5]:
        print(f"  exit {code}: {err!r}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
