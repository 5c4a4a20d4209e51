"""The fuzz runner: mutate real exports, run ``qimscale score`` on them, check the contract.

A case is fully determined by ``(seed, case number)``: which real file it
starts from (``shared/samples`` and ``tests/data``), which mutators
(:mod:`tests.fuzz.mutators`) are applied, and the command-line options. Each
case runs in-process through click's ``CliRunner`` (and every
``subprocess_every``-th case also as a real ``python -m qimscale`` process)
in a folder of its own, and is judged:

- **clean**: exit 0 with exactly one JSON object on stdout and every output
  file written, or exit 1 with exactly one ``Error: ...`` line on stderr
  (``Note:``/``Warning:`` lines aside), nothing on stdout and no output file;
- **internal error** (by exception class): an uncaught exception or an
  ``Error: internal error: ...`` line;
- **hang**: more than ``timeout`` (30) seconds of CPU time in-process, or no
  answer within 4 x ``timeout`` of wall-clock time (a deadlock, or a real
  process); wall time alone on a shared 2-core machine measures the load;
- **input modified**: any input file's bytes changed;
- **partial output**: output files left by a failed run, or missing after a
  successful one;
- anything else (two error lines, exit 134, a traceback, bad JSON) is
  reported under its own name.

Run 10,000 cases with ``make fuzz`` (``python -m tests.fuzz --cases 10000``);
``--case N`` re-runs one case and keeps its files.
"""

from __future__ import annotations

import collections
import hashlib
import json
import multiprocessing as mp
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from tests.fuzz import mutators as M

REPO = Path(__file__).resolve().parents[2]
SHARED_SAMPLES = Path(os.environ.get("QIMSCALE_SAMPLES", REPO.parent.parent / "shared" / "samples"))
TEST_DATA = REPO / "tests" / "data"
#: a case with no answer after this many times ``timeout`` of wall-clock time is a hang whatever its CPU time
#: (a deadlock uses no CPU); a real process is given the same
WALL_FACTOR = 4
DATA_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".sav", ".dta", ".parquet", ".json")


@dataclass
class Case:
    number: int
    seed_file: str
    role: str                      # "data", "map" or "dictionary": which input is mutated
    mutators: list
    options: list
    out_suffix: str | None
    subprocess: bool = False


@dataclass
class Outcome:
    number: int
    verdict: str                   # "clean" or what went wrong
    exit_code: int | None
    detail: str = ""
    seconds: float = 0.0
    subprocess: bool = False
    input_modified: bool = False
    partial_output: bool = False
    case: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- seeds

def build_seeds(folder: Path) -> dict:
    """Copy the real sample files into ``folder`` and derive a few more formats; returns name -> role info."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds: dict[str, dict] = {}

    def add(path: Path, role="data", companion=None):
        name = path.name
        if name in seeds:
            name = f"{path.parent.name}_{name}"
        dst = folder / name
        if dst.resolve() != path.resolve():
            shutil.copyfile(path, dst)
        seeds[name] = {"role": role, "companion": companion}
        return name

    sources = []
    if SHARED_SAMPLES.is_dir():
        sources += sorted(p for p in SHARED_SAMPLES.rglob("*") if p.is_file() and p.suffix != ".md")
    for sub in ("synthetic", "bad"):
        sources += sorted(p for p in (TEST_DATA / sub).glob("*") if p.suffix not in (".py", ".md"))
    companions = {}
    for p in sources:
        if "dictionary" in p.name or "metadata" in p.name:
            data = p.with_name(p.name.replace("dictionary", "data_raw").replace("metadata_api_format", "data_raw"))
            if data.is_file():
                companions[p] = data
        elif p.suffix == ".qsf":
            legacy = p.with_name(p.stem + "_legacy.csv")
            if legacy.is_file():
                companions[p] = legacy
    for p in sources:
        if p in companions:
            add(p, "dictionary", add(companions[p]))
        elif p.suffix.lower() in DATA_SUFFIXES:
            add(p)
    for name, info in seeds.items():
        info["items"] = "synthetic" in str(folder / name) or (TEST_DATA / "synthetic" / name).is_file()
    # more containers, from the synthetic codes; a --map pair
    import pandas as pd

    codes = TEST_DATA / "synthetic" / "codes.csv"
    if codes.is_file():
        df = pd.read_csv(codes, dtype=str, keep_default_na=False)
        num = df.apply(pd.to_numeric, errors="coerce")
        num.to_parquet(folder / "codes.parquet")
        seeds["codes.parquet"] = {"role": "data", "companion": None, "items": True}
        num.to_stata(folder / "codes.dta", write_index=False)
        seeds["codes.dta"] = {"role": "data", "companion": None, "items": True}
        num.to_excel(folder / "codes.xlsx", index=False)
        seeds["codes.xlsx"] = {"role": "data", "companion": None, "items": True}
        renamed = df.iloc[:, :6].copy()
        renamed.columns = [f"q{j}" for j in range(1, 7)]
        renamed.to_csv(folder / "q.csv", index=False)
        seeds["q.csv"] = {"role": "data", "companion": None}
        pairs = list(zip(renamed.columns, df.columns[:6]))
        (folder / "map.csv").write_text("column,item\n" + "".join(f"{c},{i}\n" for c, i in pairs))
        (folder / "map.yaml").write_text("".join(f"{c}: {i}\n" for c, i in pairs))
        seeds["map.csv"] = {"role": "map", "companion": "q.csv", "items": True}
        seeds["map.yaml"] = {"role": "map", "companion": "q.csv", "items": True}
    return seeds


# --------------------------------------------------------------------------- cases

def make_case(seed: int, number: int, seeds: dict, subprocess_every: int = 0) -> Case:
    rng = np.random.default_rng([seed, number])
    names = sorted(seeds)
    # files that hold the instrument's items get further (validation, scoring, writing): drawn 3x as often
    w = np.array([3.0 if seeds[n].get("items") else 1.0 for n in names])
    name = names[int(rng.choice(len(names), p=w / w.sum()))]
    suffix = Path(name).suffix.lower()
    usable = [m for m, (_, ok) in M.MUTATORS.items() if ok is None or suffix in ok]
    weights = np.array([0.05 if m in ("wide", "long") else 1.0 for m in usable])  # slow: ~1% of cases
    k = 1 if rng.random() < 0.7 else 2
    chosen = list(rng.choice(usable, size=k, replace=False, p=weights / weights.sum()))
    if rng.random() < 0.05:
        chosen = []  # the real file as it is: must be read or refused cleanly too
    options = ["--json"]
    r = rng.random()
    if r < 0.1:
        options.append("--strict")
    elif r < 0.15:
        options.append("--keep-identifiers")
    elif r < 0.2:
        options += ["--id", "nonexistent"]
    elif r < 0.25:
        options.append("--no-quality-flags")
    out_suffix = None
    if rng.random() < 0.5:
        out_suffix = [".csv", ".xlsx", ".parquet", ".sav", ".dta"][int(rng.integers(5))]
    sub = bool(subprocess_every) and number % subprocess_every == 0
    return Case(number, name, seeds[name]["role"], [str(c) for c in chosen], options, out_suffix, sub)


def materialise(case: Case, seeds_dir: Path, seeds: dict, folder: Path, seed: int, quick: bool) -> tuple[list, list]:
    """Write the case's input files into ``folder``; returns (command-line arguments, input paths)."""
    rng = np.random.default_rng([seed, case.number, 1])
    data = (seeds_dir / case.seed_file).read_bytes()
    suffix = Path(case.seed_file).suffix.lower()
    for m in case.mutators:
        fn = M.MUTATORS[m][0]
        if m == "wide":
            data, suffix = fn(data, suffix, rng, max_cols=2000 if quick else 20_000)
        elif m == "long":
            data, suffix = fn(data, suffix, rng, max_rows=20_000 if quick else 100_000)
        else:
            data, suffix = fn(data, suffix, rng)
    mutated = folder / f"input{suffix}"
    mutated.write_bytes(data)
    inputs = [mutated]
    companion = seeds[case.seed_file]["companion"]
    if case.role == "data":
        args = ["score", str(mutated)]
    else:
        other = folder / companion
        shutil.copyfile(seeds_dir / companion, other)
        inputs.append(other)
        flag = "--map" if case.role == "map" else "--dictionary"
        args = ["score", str(other), flag, str(mutated)]
    return args + case.options, inputs


# --------------------------------------------------------------------------- running one case

class _Hang(BaseException):
    """Raised by the CPU-time alarm; a BaseException, so the CLI's last-resort guard does not catch it."""


def _alarm(signum, frame):  # pragma: no cover - only on a hang
    raise _Hang()


def _digest(paths) -> dict:
    return {str(p): hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}


def run_case(case: Case, seeds_dir: Path, seeds: dict, root: Path, seed: int, *, quick: bool = False,
             timeout: float = 30.0, keep: bool = False) -> Outcome:
    """Materialise and run one case in-process (or as a subprocess) and judge it."""
    folder = Path(tempfile.mkdtemp(prefix=f"case{case.number}-", dir=root))
    try:
        args, inputs = materialise(case, seeds_dir, seeds, folder, seed, quick)
        out_dir = folder / "out"
        out_dir.mkdir()
        if case.out_suffix:
            args += ["--out", str(out_dir / f"scores{case.out_suffix}")]
        before = _digest(inputs)
        t0 = time.perf_counter()
        if case.subprocess:
            code, stdout, stderr, exc = _run_subprocess(args, folder, timeout)
        else:
            code, stdout, stderr, exc = _run_inprocess(args, timeout)
        took = time.perf_counter() - t0
        outcome = judge(case, code, stdout, stderr, exc, out_dir)
        outcome.seconds = took
        outcome.input_modified = _digest(inputs) != before
        if outcome.input_modified and outcome.verdict == "clean":
            outcome.verdict = "input_modified"
        return outcome
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def _run_inprocess(args, timeout):
    from click.testing import CliRunner

    from qimscale.cli import main

    # a hang is judged on CPU time: on a shared machine a case's wall time says more about the neighbours
    old = signal.signal(signal.SIGPROF, _alarm) if _main_thread() else None
    if old is not None:
        signal.setitimer(signal.ITIMER_PROF, timeout)
    try:
        res = CliRunner().invoke(main, args, catch_exceptions=True)
    except _Hang:
        return None, "", "", "hang"
    finally:
        if old is not None:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, old)
    exc = None
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        exc = "hang" if isinstance(res.exception, _Hang) else type(res.exception).__name__
    return res.exit_code, res.stdout, res.stderr, exc


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _run_subprocess(args, cwd, timeout):
    try:
        p = subprocess.run([sys.executable, "-m", "qimscale", *args], cwd=cwd, capture_output=True, text=True,
                           timeout=WALL_FACTOR * timeout, errors="replace")
    except subprocess.TimeoutExpired:
        return None, "", "", "hang"
    return p.returncode, p.stdout, p.stderr, None


def judge(case: Case, code, stdout: str, stderr: str, exc, out_dir: Path) -> Outcome:
    """The verdict on one run (see the module docstring)."""
    o = Outcome(case.number, "clean", code, subprocess=case.subprocess, case=asdict(case))
    left = sorted(p.name for p in out_dir.iterdir())
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith(("Note:", "Warning:"))]
    if exc == "hang":
        o.verdict = "hang"
        return o
    if exc is not None:
        o.verdict, o.detail = f"internal:{exc}", stderr[-300:]
        return o
    internal = [ln for ln in lines if ln.startswith("Error: internal error")]
    if internal:
        o.verdict = "internal:" + internal[0].split(":")[2].strip()
        o.detail = internal[0][:300]
        return o
    if code == 0:
        try:
            obj = json.loads(stdout)
            if not isinstance(obj, dict):
                raise ValueError("not an object")
        except ValueError:
            o.verdict, o.detail = "bad_json", stdout[:200]
            return o
        if lines:
            o.verdict, o.detail = "stderr_on_success", lines[0][:300]
        if case.out_suffix:
            want = {f"scores{case.out_suffix}", "scores.problems.csv", "scores.log.json"}
            if set(left) != want:
                o.verdict, o.partial_output, o.detail = "partial_output", True, f"left {left}"
        return o
    if code == 1:
        if len(lines) != 1 or not lines[0].startswith("Error: "):
            o.verdict, o.detail = "not_one_error_line", stderr[-400:]
        elif stdout.strip():
            o.verdict, o.detail = "stdout_on_error", stdout[:200]
        if left:
            o.verdict, o.partial_output, o.detail = "partial_output", True, f"left {left}"
        return o
    o.verdict, o.detail = f"exit_{code}", stderr[-400:]
    return o


# --------------------------------------------------------------------------- many cases

def run_serial(n: int, seed: int = 1, *, quick: bool = True, subprocess_every: int = 0, start: int = 0,
               timeout: float = 30.0) -> list[Outcome]:
    """Run cases ``start .. start+n-1`` one after another in this process (the test suite's mode)."""
    with tempfile.TemporaryDirectory(prefix="qimscale-fuzz-") as tmp:
        root = Path(tmp)
        seeds = build_seeds(root / "seeds")
        return [run_case(make_case(seed, k, seeds, subprocess_every), root / "seeds", seeds, root, seed,
                         quick=quick, timeout=timeout) for k in range(start, start + n)]


def _worker(conn, seeds_dir, seeds, root, seed, quick, timeout):
    while True:
        msg = conn.recv()
        if msg is None:
            return
        case = Case(**msg)
        try:
            out = run_case(case, Path(seeds_dir), seeds, Path(root), seed, quick=quick, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - a harness failure is reported, not fatal
            out = Outcome(case.number, f"harness:{type(exc).__name__}", None, str(exc)[:300], case=msg)
        conn.send(asdict(out))


def run_parallel(n: int, seed: int = 1, *, jobs: int = 2, quick: bool = False, subprocess_every: int = 50,
                 timeout: float = 30.0, progress=None) -> list[Outcome]:
    """Run ``n`` cases over ``jobs`` worker processes; a worker silent for ``timeout + 30`` s is killed (hang)."""
    ctx = mp.get_context("fork")
    results: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="qimscale-fuzz-") as tmp:
        root = Path(tmp)
        seeds = build_seeds(root / "seeds")
        todo = collections.deque(make_case(seed, k, seeds, subprocess_every) for k in range(n))
        workers = {}

        def spawn():
            parent, child = ctx.Pipe()
            p = ctx.Process(target=_worker, args=(child, str(root / "seeds"), seeds, str(root), seed, quick, timeout),
                            daemon=True)
            p.start()
            return p, parent

        for _ in range(jobs):
            p, conn = spawn()
            workers[p] = [conn, None, 0.0]
        while todo or any(w[1] is not None for w in workers.values()):
            for p, w in list(workers.items()):
                conn, case, started = w
                if case is None and todo:
                    case = todo.popleft()
                    conn.send(asdict(case))
                    w[1], w[2] = case, time.monotonic()
                    continue
                if case is None:
                    continue
                if conn.poll(0.01):
                    results.append(Outcome(**conn.recv()))
                    w[1] = None
                    if progress:
                        progress(results)
                elif time.monotonic() - started > WALL_FACTOR * timeout + 30:
                    p.kill()
                    p.join()
                    results.append(Outcome(case.number, "hang", None, "worker killed", case=asdict(case)))
                    del workers[p]
                    np_, nconn = spawn()
                    workers[np_] = [nconn, None, 0.0]
            time.sleep(0.005)
        for p, w in workers.items():
            w[0].send(None)
            p.join(5)
    return sorted(results, key=lambda o: o.number)


def report(results: list[Outcome], seconds: float | None = None) -> dict:
    """Counts for the closing note: clean, internal errors by class, hangs, inputs modified, partial outputs."""
    verdicts = collections.Counter(o.verdict for o in results)
    internal = collections.Counter(o.verdict.split(":", 1)[1] for o in results if o.verdict.startswith("internal:"))
    sub = [o for o in results if o.subprocess]
    out = {
        "cases": len(results),
        "clean": verdicts.get("clean", 0),
        "internal_errors": dict(internal),
        "hangs": verdicts.get("hang", 0),
        "inputs_modified": sum(o.input_modified for o in results),
        "partial_outputs": sum(o.partial_output for o in results),
        "other": {k: v for k, v in verdicts.items() if k not in ("clean", "hang") and not k.startswith("internal:")},
        "subprocess_runs": len(sub),
        "subprocess_clean": sum(o.verdict == "clean" for o in sub),
        "exit_codes": dict(collections.Counter(str(o.exit_code) for o in results)),
        "slowest_seconds": round(max((o.seconds for o in results), default=0.0), 2),
        "examples": {v: next(o.number for o in results if o.verdict == v) for v in verdicts if v != "clean"},
    }
    if seconds is not None:
        out["seconds"] = round(seconds, 1)
    return out
