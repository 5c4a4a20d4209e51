"""``qimscale demo``: a whole simulated multi-country study, end to end.

Simulates respondents from the bundled population model (3 countries, organisations,
traditional and clinical QI managers, one non-invariant item in one country), writes the
exports each country's team would download from its survey platform (REDCap for NZ and
AU, Qualtrics for the UK), scores them with the same path as real exports, runs the validation study and writes its
report (``report.html``, ``results.json``, ``tables/``, ``figures/``).
"""

from __future__ import annotations

from pathlib import Path

#: which platform each country's team used in the demo
PLATFORM_OF_COUNTRY = {"NZ": "redcap", "AU": "redcap", "UK": "qualtrics"}


def run_demo(out_dir, *, n: int = 900, seed: int = 2026, progress=None) -> dict:
    """Simulate, export, score and validate; returns what was written.

    Parameters
    ----------
    out_dir : path
        Folder for the outputs (created if missing; its parent must exist).
    n : int
        Respondents (default 900).
    seed : int
    progress : callable, optional
        ``progress(step_name)`` is called before each step.
    """
    import pandas as pd

    from qimscale.errors import DataError
    from qimscale.instrument import load_instrument
    from qimscale.io.platform_data import SUFFIX, write_platform
    from qimscale.io.writers import AtomicOutputs
    from qimscale.scoring import score_file
    from qimscale.study.population import simulate_study

    step = progress or (lambda name: None)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: is a file; --out must name a folder")
    if not out.parent.is_dir():
        raise DataError(f"{out}: the folder {out.parent} does not exist")
    (out / "exports").mkdir(parents=True, exist_ok=True)
    inst = load_instrument()
    step("simulate")
    data, info = simulate_study(n, seed, instrument=inst)
    written: dict[str, object] = {"exports": {}}
    step("export")
    with AtomicOutputs() as outputs:
        for platform in sorted(set(PLATFORM_OF_COUNTRY.values())):
            countries = [c for c, p in PLATFORM_OF_COUNTRY.items() if p == platform]
            part = data[data["country"].isin(countries)]
            path = out / "exports" / f"{platform}_export{SUFFIX[platform]}"
            write_platform(inst, part, platform, path, outputs=outputs)
            written["exports"][platform] = str(path)
    step("score")
    frames, logs = [], {}
    for platform, path in written["exports"].items():
        res = score_file(path, instrument=inst, keep_identifiers=False)
        frames.append(res.table.assign(source_platform=platform))
        logs[platform] = res.summary()
    scores = pd.concat(frames, ignore_index=True)
    with AtomicOutputs() as outputs:
        written["scores"] = str(outputs.add_table(scores, out / "scores.csv"))
        written["scoring_log"] = str(outputs.add_json(logs, out / "scoring.json"))
    from qimscale.report.outputs import write_study
    from qimscale.study.validate import validate_study

    step("validate")
    groups = [g for g in ("country", "qim_type") if g in scores.columns]
    cluster = "org_id" if "org_id" in scores.columns else None
    result = validate_study(scores, inst, groups=groups, cluster=cluster, seed=seed, source="simulated demo study",
                            scoring=logs, progress=lambda title: step(f"validate: {title}"))
    written.update(write_study(result, out))
    written["n"] = int(len(scores))
    written["seed"] = seed
    return written
