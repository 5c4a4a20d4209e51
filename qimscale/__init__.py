"""qimscale: measure what makes an effective healthcare Quality Improvement Manager.

The package is layered (see ``STYLE.md`` in the shared design notes):

- :mod:`qimscale.instrument` -- the instrument as data (YAML), its schema and exporters.
- :mod:`qimscale.io` -- readers for survey-platform exports, atomic writers.
- :mod:`qimscale.scoring` -- reverse keying, scale scores, data-quality flags.
- :mod:`qimscale.analysis` -- pure numerics: reliability, polychoric, EFA, CFA/SEM.
- :mod:`qimscale.report` -- renders results; never computes them.
- :mod:`qimscale.cli` -- thin click commands.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
