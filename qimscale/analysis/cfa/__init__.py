"""Confirmatory factor analysis and structural equation models that match lavaan.

Pipeline (each stage a module)::

    syntax.parse_model(text)          -> list[Statement]          (lavaan syntax subset)
    partable.build_partable(...)      -> ParTable                 (single source of truth)
    model.RAMModel(partable)          -> implied(theta), jacobian(theta)
    ml.MLObjective / fiml.FIMLObjective -> value, value_grad, information
    ml.minimize(objective, start)     -> OptimResult              (Fisher scoring + BFGS fallback)
    results.CFAResult                 -> fit_measures(), parameter_estimates(), ...
    invariance.measurement_invariance -> configural/metric/scalar/strict comparison

Public API: :class:`CFA` (``CFA(model, estimator=, missing=, group=, group_equal=,
group_partial=, std_lv=, ordered=).fit(data) -> CFAResult``), :func:`cfa`,
:func:`sem` and :func:`measurement_invariance`.

Interface for other estimators (ordinal WLSMV)
----------------------------------------------
*Parameter table.* ``build_partable(model, ngroups=, std_lv=, meanstructure=,
group_equal=, group_partial=, ordered={item: n_thresholds})`` adds, for
ordered items, threshold rows (``op == "|"``, ``rhs == "t1", "t2", ...``),
delta-parameterisation scale rows (``op == "~*~"``, fixed to 1 in group 1;
free in later groups only with equal thresholds, as lavaan), intercepts fixed to 0 and residual variances as fixed
rows with ``ustart = nan`` (to be computed as ``1 - explained variance``).
``group_equal`` accepts ``"thresholds"`` (latent means are then freed beyond
group 1). Rows sharing a ``free`` index are equal; ``free`` is 1-based
(0 = fixed), ``theta[free - 1]`` is the parameter value. Linear equality
constraints (``a == 2*b``, ``a + b == 1``) give ``pt.lin``, the map
``theta = K theta* + c`` (:mod:`.constraints`); the models then take
``theta*`` (``model.npar`` long) everywhere and ``pt.lin.expand(theta*)`` is
the vector the ``free`` indices address.

*Model.* ``RAMModel(pt)`` ignores ``|`` and ``~*~`` rows. It exposes
``implied(theta) -> [(Sigma_g, mu_g)]``, ``jacobian(theta) -> [(dSigma_g
(npar, p, p), dmu_g (npar, p))]``, ``jacobian_vech(theta)`` (vech order
column-major as lavaan: ``model.vech_indices(p)``), ``matrices(theta, g) ->
(A, S, M)`` and ``total_moments(theta, g)`` (covariance/means of observed +
latent variables). Thresholds live only in the table: an ordinal estimator
maps their free indices itself.

*Estimator.* An objective object with ``value(theta)``, ``value_grad(theta)
-> (f, grad)``, ``information(theta)`` (expected Hessian of ``f`` per case)
and ``ntotal``; ``ml.minimize(objective, theta0)`` optimises it. DWLS fits
``F = (s - sigma(theta))' W (s - sigma(theta))`` with the Jacobian above.

*Dispatch.* ``CFA.fit`` hands ``estimator="WLSMV"`` (the default when
``ordered=...`` is given; ordered items with ML/MLR are a ``ModelError``) to
``qimscale.analysis.cfa.wlsmv.fit(spec, data)`` (owned by the ordinal module),
which receives the :class:`CFA` object with its options and must return a
result with the ``CFAResult`` API (``fit_measures``, ``parameter_estimates``,
``to_dict``, ``warnings_``) and the result protocol of :mod:`qimscale._core.result`
(``tables``, ``summary``, ``warnings``).

:func:`run_cfa` is the one call behind ``qimscale cfa``: category merges, the fit
and an optional bootstrap, returned as a :class:`CFARun`.
"""

from .fit import CFA, cfa, sem
from .partable import ParTable, build_partable
from .results import CFAResult
from .run import CFARun, run_cfa
from .syntax import parse_model

__all__ = ["CFA", "cfa", "sem", "CFAResult", "ParTable", "build_partable", "parse_model",
           "measurement_invariance", "CFARun", "run_cfa"]


def measurement_invariance(*args, **kwargs):
    """Run configural -> metric -> scalar -> strict; see :func:`.invariance.measurement_invariance`."""
    from .invariance import measurement_invariance as _mi  # lazily: a single fit never loads it

    return _mi(*args, **kwargs)
