"""``python -m tests.fuzz``: run the fuzz harness on demand (``make fuzz`` runs 10,000 cases).

    .venv/bin/python -m tests.fuzz --cases 10000 --seed 1 --jobs 2
    .venv/bin/python -m tests.fuzz --case 1234        # re-run one case, keep its files, show the outcome
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from tests.fuzz import runner


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description="Fuzz qimscale score with mutated real exports.")
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--subprocess-every", type=int, default=50, help="every N-th case also as a real process")
    ap.add_argument("--timeout", type=float, default=30.0, help="CPU seconds before a case counts as a hang")
    ap.add_argument("--case", type=int, help="run only this case, keep its folder and print it")
    ap.add_argument("--report", type=Path, help="also write the report (and every unclean outcome) as JSON here")
    args = ap.parse_args(argv)
    if args.case is not None:
        root = Path(tempfile.mkdtemp(prefix="qimscale-fuzz-case-"))
        seeds = runner.build_seeds(root / "seeds")
        case = runner.make_case(args.seed, args.case, seeds, args.subprocess_every)
        out = runner.run_case(case, root / "seeds", seeds, root, args.seed, timeout=args.timeout, keep=True)
        print(json.dumps(asdict(out), indent=2))
        print(f"files kept under {root}")
        return 0 if out.verdict == "clean" else 1
    t0 = time.perf_counter()

    def progress(results):
        last = results[-1]
        if args.report and last.verdict != "clean":  # each unclean outcome as soon as it is known
            with open(args.report.with_suffix(".unclean.jsonl"), "a") as fh:
                fh.write(json.dumps(asdict(last), default=str) + "\n")
        if len(results) % 500 == 0:
            rep = runner.report(results)
            print(f"{len(results)} cases, {time.perf_counter() - t0:.0f} s: clean {rep['clean']}, other "
                  f"{ {k: v for k, v in rep.items() if k in ('internal_errors', 'hangs', 'other')} }", flush=True)

    results = runner.run_parallel(args.cases, args.seed, jobs=args.jobs, subprocess_every=args.subprocess_every,
                                  timeout=args.timeout, progress=progress)
    rep = runner.report(results, time.perf_counter() - t0)
    print(json.dumps(rep, indent=2))
    if args.report:
        bad = [asdict(o) for o in results if o.verdict != "clean"]
        args.report.write_text(json.dumps({"report": rep, "unclean": bad}, indent=2, default=str))
    ok = rep["clean"] == rep["cases"] and not rep["hangs"] and not rep["inputs_modified"] and not rep["partial_outputs"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
