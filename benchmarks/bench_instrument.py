"""Instrument benchmarks: load + validate the bundled YAML, render every export format.

No peer exists that generates these survey-platform files from an instrument
definition, so rows report qimscale's time only (``peer`` = ``none``).
"""

from __future__ import annotations

from benchmarks._harness import best_time, row


def run() -> list[dict]:
    from qimscale.instrument import loader, validate_instrument
    from qimscale.instrument.exporters import FORMATS, export

    def cold_load():
        loader._cache.clear()
        return loader.load_instrument()

    rows = [row("instrument: load+check (cold)", best_time(cold_load), "none", None,
                note="no peer tool generates these files")]
    inst = loader.load_instrument()
    rows.append(row("instrument: validate_instrument", best_time(lambda: validate_instrument(inst)), "none", None))
    for fmt in FORMATS:
        rows.append(row(f"instrument: export {fmt} (self form)",
                        best_time(lambda f=fmt: export(inst, f, form="self")), "none", None))
    rows.append(row("instrument: export all formats, both forms",
                    best_time(lambda: [export(inst, f, form=fm) for f in FORMATS for fm in ("self", "observer")]),
                    "none", None))
    return rows
