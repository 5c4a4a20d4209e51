"""Shared timing helpers for the benchmarks.

Every benchmark module ``benchmarks/bench_<area>.py`` defines ``run() -> list[dict]``.
Each dict is one comparison with keys ``name``, ``qimscale_s``, ``peer``,
``peer_s`` and ``ratio`` (qimscale time / peer time; below 1 means qimscale is
faster), plus an optional ``target`` (the ratio the issue asks for) and
``note``. A peer that is not installed is skipped: ``peer_s`` and ``ratio``
are ``None`` and ``note`` says why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable


def best_time(fn: Callable[[], object], *, repeat: int = 3, warmup: int = 1) -> float:
    """Best wall-clock seconds of ``repeat`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def rscript_available(packages: tuple[str, ...] = ()) -> bool:
    """True when ``Rscript`` is on PATH and can load every package named."""
    if shutil.which("Rscript") is None:
        return False
    if not packages:
        return True
    expr = ";".join(f"suppressMessages(library({p}))" for p in packages)
    res = subprocess.run(["Rscript", "-e", expr], capture_output=True)
    return res.returncode == 0


def time_r(setup: str, expr: str, *, repeat: int = 3, data: dict[str, Path] | None = None,
           warmup: bool = True, prefix: tuple[str, ...] = (), env: dict[str, str] | None = None) -> float:
    """Time an R expression inside one R process (start-up is not counted).

    ``setup`` runs once (load packages, read data); ``expr`` is then timed
    ``repeat`` times after one warm-up (none with ``warmup=False``, for runs of
    many minutes) and the best elapsed time is returned.
    ``data`` maps R variable names to file paths, passed as strings.
    ``prefix`` is put before ``Rscript`` (e.g. ``("taskset", "-c", "0")``) and
    ``env`` is added to its environment.
    """
    lines = []
    for name, path in (data or {}).items():
        lines.append(f'{name} <- "{Path(path).as_posix()}"')
    lines.append(setup)
    if warmup:
        lines.append(f"invisible({{{expr}}})")
    lines.append(f"best <- Inf; for (i in seq_len({repeat})) {{ t <- system.time({{{expr}}})[['elapsed']]; best <- min(best, t) }}")
    lines.append('cat(sprintf("%.6f\\n", best))')
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write("\n".join(lines))
        script = fh.name
    try:
        res = subprocess.run([*prefix, "Rscript", script], capture_output=True, text=True,
                             env=None if env is None else {**os.environ, **env})
    finally:
        os.unlink(script)
    if res.returncode != 0:
        raise RuntimeError(f"R benchmark failed: {res.stderr.strip()[-500:]}")
    return float(res.stdout.strip().splitlines()[-1])


def row(name: str, qimscale_s: float, peer: str, peer_s: float | None, *, target: float | None = None,
        note: str = "") -> dict:
    """Build one result row, computing the ratio when the peer ran."""
    ratio = None if peer_s in (None, 0) else qimscale_s / peer_s
    return {"name": name, "qimscale_s": qimscale_s, "peer": peer, "peer_s": peer_s,
            "ratio": ratio, "target": target, "note": note}


def render(rows: list[dict]) -> str:
    """Format rows as an aligned text table."""
    head = f"{'benchmark':44s} {'qimscale s':>11s} {'peer':>22s} {'peer s':>9s} {'ratio':>7s} {'target':>7s}"
    out = [head, "-" * len(head)]
    for r in rows:
        peer_s = "-" if r["peer_s"] is None else f"{r['peer_s']:.4f}"
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.3f}"
        target = "-" if r.get("target") is None else f"≤{r['target']:.3g}"
        out.append(f"{r['name'][:44]:44s} {r['qimscale_s']:11.4f} {r['peer'][:22]:>22s} {peer_s:>9s} "
                   f"{ratio:>7s} {target:>7s}" + (f"  ({r['note']})" if r.get("note") else ""))
    return "\n".join(out)


def save(rows: list[dict], path: str | Path) -> None:
    """Write rows as JSON."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(rows, indent=2))
