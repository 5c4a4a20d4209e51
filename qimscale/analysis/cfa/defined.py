"""Defined parameters (lavaan's ``:=``): evaluation and delta-method standard errors.

Shared by the ML/MLR results and the WLSMV results. A definition is an
arithmetic expression of parameter labels and earlier definitions
(``ind := a*b``; ``+ - * / ^``, ``exp``, ``log``, ``sqrt``, ``abs`` and the
trigonometric functions), evaluated in a namespace without builtins.
"""

from __future__ import annotations

import ast
import math
import re

import numpy as np

from qimscale.errors import ModelError

__all__ = ["compile_defined", "label_values", "delta_method"]


def label_values(rows, values) -> dict:
    """``{label: value}`` from parameter-table rows and one value per row (first row of a label wins)."""
    out = {}
    for r, v in zip(rows, values):
        if r["label"] and r["label"] not in out:
            out[r["label"]] = v
    return out


def compile_defined(partable):
    """Compile the ``:=`` definitions of ``partable``.

    Returns
    -------
    compiled : list of (name, expression, code)
    evaluate : callable
        ``evaluate({label: value}) -> ndarray`` of the defined values, in order.

    Raises
    ------
    ModelError
        An expression that cannot be read; (from ``evaluate``) an unknown label.
    """
    defs = partable.defined
    funcs = {n: getattr(math, n) for n in ("exp", "log", "sqrt", "sin", "cos", "tan", "atan", "asin",
                                          "acos", "fabs")}
    funcs["abs"] = abs
    # lavaan names may contain dots ("a.1", "ind.eff"): give those Python-safe aliases
    names = {r["label"] for r in partable.rows if r["label"]} | {n for n, _ in defs}
    alias = {n: f"_dot{i}_" for i, n in enumerate(sorted(n for n in names if "." in n))}

    def python_name(m):
        return alias.get(m.group(0), m.group(0))

    compiled = []
    for name, expr in defs:
        py = re.sub(r"(?<![A-Za-z0-9_.])[A-Za-z_.][A-Za-z0-9_.]*", python_name, expr.replace("^", "**"))
        try:
            tree = ast.parse(py, mode="eval")
        except SyntaxError as exc:
            raise ModelError(f"cannot read the defined parameter {name} := {expr}") from exc
        compiled.append((name, expr, compile(tree, "<defined>", "eval")))

    def evaluate(values_by_label):
        env = dict(funcs)
        env.update({alias.get(k, k): v for k, v in values_by_label.items()})
        out = []
        for name, expr, code in compiled:
            try:
                val = float(eval(code, {"__builtins__": {}}, env))  # noqa: S307 - restricted namespace
            except (NameError, AttributeError) as exc:  # AttributeError: unknown "b.x" with a label "b"
                known = sorted(names)
                raise ModelError(f"defined parameter {name} := {expr} uses an unknown label; label the "
                                 f"parameters with 'a*x' (known labels and definitions: "
                                 f"{', '.join(known) or 'none'})") from exc
            except (ZeroDivisionError, ValueError, OverflowError):
                val = math.nan
            env[alias.get(name, name)] = val
            out.append(val)
        return np.array(out)

    return compiled, evaluate


def delta_method(at, theta, vcov):
    """Values of ``at(theta)`` and their delta-method SEs (central differences, as lavaan).

    Parameters
    ----------
    at : callable
        ``theta -> ndarray`` of the defined values.
    theta, vcov : ndarray
        Estimates and their covariance matrix.

    Returns
    -------
    est, se : ndarray

    Notes
    -----
    :math:`\\operatorname{se}(g) = \\sqrt{\\nabla g^\\top V \\nabla g}` with the
    gradient :math:`\\nabla g` from central differences, step
    :math:`10^{-6}\\max(1, |\\theta_j|)`.
    """
    theta = np.asarray(theta, dtype=float)
    est = at(theta)
    k = theta.size
    J = np.zeros((len(est), k))
    for j in range(k):
        h = 1e-6 * max(1.0, abs(theta[j]))
        e = np.zeros(k)
        e[j] = h
        J[:, j] = (at(theta + e) - at(theta - e)) / (2 * h)
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, vcov, J), 0, None))
    return est, se
