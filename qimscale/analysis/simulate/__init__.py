"""Monte Carlo: a population model for ordinal survey data and draws from it.

- :class:`Population` -- correlated factors, ordinal items, groups, countries,
  organisations, an outcome with an interaction, missingness and careless responders.
- :func:`draw` -- one seeded sample from a population, as a tidy DataFrame of codes.

Pure numerics: the instrument-aware builder lives in :mod:`qimscale.study.population`.
"""

from qimscale.analysis.simulate.population import Population, draw

__all__ = ["Population", "draw"]
