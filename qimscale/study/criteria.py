"""The validation checklist as data: each criterion with its threshold and source.

Cut-offs are conventions, not laws (``shared/reference/validation-checklist.md``): the
report shows the number, the criterion and its source beside every verdict. Verdicts
are deliberately conservative: where several rules apply to one question (e.g. CFI,
TLI, RMSEA and SRMR for model fit) every rule's answer is shown, and the summary says
"meets" only when all of them do, "mixed" when they disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MEETS, FAILS, MIXED, NOT_ASSESSABLE = "meets", "does not meet", "mixed", "not assessable"


@dataclass(frozen=True)
class Criterion:
    """One rule: ``value op threshold``."""

    id: str
    label: str
    op: str            # ">=", "<=", ">", "<"
    threshold: float
    source: str
    kind: str = "coef"  # how the value reads: coef | p | share | count | ratio (see format_value)

    @property
    def text(self) -> str:
        sym = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}[self.op]
        if self.kind == "share":
            return f"{sym} {100 * self.threshold:g} %"
        return f"{sym} {apa_number(self.threshold)}"

    def check(self, value) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return NOT_ASSESSABLE
        v, t = float(value), self.threshold
        ok = {">=": v >= t, "<=": v <= t, ">": v > t, "<": v < t}[self.op]
        return MEETS if ok else FAILS


CRITERIA = {c.id: c for c in [
    Criterion("n_per_item", "Respondents per item", ">=", 10, "Boateng et al. 2018", "ratio"),
    Criterion("n_total", "Sample size (COSMIN very good: ≥ 7 × items and ≥ 100)", ">=", 100,
              "Mokkink et al. 2018 (COSMIN)", "count"),
    Criterion("floor", "Respondents at the scale minimum (floor)", "<", 0.15, "Terwee et al. 2007", "share"),
    Criterion("ceiling", "Respondents at the scale maximum (ceiling)", "<", 0.15, "Terwee et al. 2007", "share"),
    Criterion("item_rest", "Corrected item-total correlation (lowest item)", ">=", 0.30, "Clark & Watson 1995"),
    Criterion("mean_r_low", "Mean inter-item correlation (lower bound)", ">=", 0.15, "Clark & Watson 1995"),
    Criterion("mean_r_high", "Mean inter-item correlation (upper bound)", "<=", 0.50, "Clark & Watson 1995"),
    Criterion("kmo", "Kaiser–Meyer–Olkin measure", ">=", 0.60, "Kaiser 1974"),
    Criterion("bartlett", "Bartlett's test of sphericity, p", "<", 0.05, "Bartlett 1950", "p"),
    Criterion("salient", "Lowest primary EFA loading", ">=", 0.40, "Boateng et al. 2018"),
    Criterion("cross", "Largest EFA cross-loading", "<", 0.30, "Boateng et al. 2018"),
    Criterion("cfi", "CFI", ">=", 0.95, "Hu & Bentler 1999"),
    Criterion("tli", "TLI", ">=", 0.95, "Hu & Bentler 1999"),
    Criterion("rmsea", "RMSEA", "<=", 0.06, "Hu & Bentler 1999"),
    Criterion("srmr", "SRMR", "<=", 0.08, "Hu & Bentler 1999"),
    Criterion("alpha", "Cronbach's α (group use)", ">=", 0.70, "Nunnally & Bernstein 1994; COSMIN"),
    Criterion("omega", "Composite reliability ω (ordinal CFA)", ">=", 0.70, "Nunnally & Bernstein 1994; COSMIN"),
    Criterion("ave", "Average variance extracted", ">=", 0.50, "Fornell & Larcker 1981"),
    Criterion("htmt", "Largest HTMT2 ratio", "<", 0.85, "Henseler et al. 2015 (strict); Roemer et al. 2021"),
    Criterion("fornell_larcker", "√AVE minus the largest correlation with another factor", ">", 0.0,
              "Fornell & Larcker 1981"),
    Criterion("hypotheses", "Share of pre-stated hypotheses confirmed", ">=", 0.75, "Terwee et al. 2007", "share"),
    Criterion("icc2", "ICC(2) of the outcome (reliability of organisation means)", ">=", 0.70,
              "LeBreton & Senter 2008"),
]}


REFERENCES = {
    "Akmal et al. 2022": "Akmal A, Podgorodnichenko N, Stokes T, et al. What makes an effective Quality "
                         "Improvement Manager? BMC Health Serv Res. 2022;22:35. doi:10.1186/s12913-021-07433-w",
    "Bartlett 1950": "Bartlett MS. Tests of significance in factor analysis. Br J Stat Psychol. 1950;3:77-85.",
    "Boateng et al. 2018": "Boateng GO, Neilands TB, Frongillo EA, et al. Best practices for developing and "
                           "validating scales. Front Public Health. 2018;6:149. doi:10.3389/fpubh.2018.00149",
    "Chen 2007": "Chen FF. Sensitivity of goodness of fit indexes to lack of measurement invariance. Struct "
                 "Equ Modeling. 2007;14:464-504. doi:10.1080/10705510701301834",
    "Cheung & Rensvold 2002": "Cheung GW, Rensvold RB. Evaluating goodness-of-fit indexes for testing "
                              "measurement invariance. Struct Equ Modeling. 2002;9:233-255.",
    "Clark & Watson 1995": "Clark LA, Watson D. Constructing validity: basic issues in objective scale "
                           "development. Psychol Assess. 1995;7:309-319.",
    "Fornell & Larcker 1981": "Fornell C, Larcker DF. Evaluating structural equation models with "
                              "unobservable variables and measurement error. J Mark Res. 1981;18:39-50.",
    "Henseler et al. 2015": "Henseler J, Ringle CM, Sarstedt M. A new criterion for assessing discriminant "
                            "validity in variance-based SEM. J Acad Mark Sci. 2015;43:115-135.",
    "Horn 1965": "Horn JL. A rationale and test for the number of factors in factor analysis. "
                 "Psychometrika. 1965;30:179-185.",
    "Hu & Bentler 1999": "Hu L, Bentler PM. Cutoff criteria for fit indexes in covariance structure "
                         "analysis. Struct Equ Modeling. 1999;6:1-55.",
    "Kaiser 1974": "Kaiser HF. An index of factorial simplicity. Psychometrika. 1974;39:31-36.",
    "LeBreton & Senter 2008": "LeBreton JM, Senter JL. Answers to 20 questions about interrater reliability "
                              "and interrater agreement. Organ Res Methods. 2008;11:815-852.",
    "Mokkink et al. 2018": "Mokkink LB, de Vet HCW, Prinsen CAC, et al. COSMIN Risk of Bias checklist for "
                           "systematic reviews of PROMs. Qual Life Res. 2018;27:1171-1179.",
    "Muthén 1984": "Muthén B. A general structural equation model with dichotomous, ordered categorical, "
                   "and continuous latent variable indicators. Psychometrika. 1984;49:115-132.",
    "Nunnally & Bernstein 1994": "Nunnally JC, Bernstein IH. Psychometric theory. 3rd ed. McGraw-Hill; 1994.",
    "Roemer et al. 2021": "Roemer E, Schuberth F, Henseler J. HTMT2: an improved criterion for assessing "
                          "discriminant validity in structural equation modeling. Ind Manag Data Syst. "
                          "2021;121:2637-2650. doi:10.1108/IMDS-02-2021-0082",
    "Savalei 2021": "Savalei V. Improving fit indices in structural equation modeling with categorical data. "
                    "Multivariate Behav Res. 2021;56:390-407. doi:10.1080/00273171.2020.1717922",
    "Terwee et al. 2007": "Terwee CB, Bot SDM, de Boer MR, et al. Quality criteria were proposed for "
                          "measurement properties of health status questionnaires. J Clin Epidemiol. "
                          "2007;60:34-42.",
    "Velicer 1976": "Velicer WF. Determining the number of components from the matrix of partial "
                    "correlations. Psychometrika. 1976;41:321-327.",
    "Wu & Estabrook 2016": "Wu H, Estabrook R. Identification of confirmatory factor analysis models of "
                           "different levels of invariance for ordered categorical outcomes. "
                           "Psychometrika. 2016;81:1014-1045.",
}


def apa_number(x: float) -> str:
    """A cut-off as APA writes it: no leading zero below 1, at least two decimals.

    >>> apa_number(0.3), apa_number(0.015), apa_number(0.95), apa_number(10)
    ('.30', '.015', '.95', '10')
    """
    if float(x).is_integer():
        return str(int(x))
    text = f"{x:.3f}".rstrip("0")
    if len(text.split(".")[1]) < 2:
        text += "0"
    return text[1:] if text.startswith("0.") else text


def format_value(value, kind: str = "coef") -> str:
    """A verdict's number as a paper prints it (APA): no leading zero below 1, a minus sign,
    p below .001 as "< .001", shares as percentages, counts as integers.

    >>> [format_value(v, k) for v, k in [(0.9234, "coef"), (-0.0012, "coef"), (0.0, "p"), (0.0312, "p"),
    ...                                  (0.0056, "share"), (900.0, "count"), (20.93, "ratio"), (1.0213, "coef")]]
    ['.923', '−.001', '< .001', '.031', '0.6 %', '900', '20.9', '1.021']
    >>> format_value(None)
    '–'
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    v = float(value)
    if kind == "count":
        return f"{v:.0f}"
    if kind == "ratio":
        return f"{v:.1f}"
    if kind == "share":
        return f"{100 * v:.1f} %"
    if kind == "p" and v < 0.001:
        return "< .001"
    text = f"{abs(v):.3f}"
    if abs(v) < 1:
        text = text[1:]
    return ("−" if v < 0 and text.strip("0.") else "") + text


def combine(verdicts) -> str:
    """One verdict for several rules: meets only if all meet, mixed when they disagree.

    >>> combine(["meets", "meets"]), combine(["meets", "does not meet"]), combine([])
    ('meets', 'mixed', 'not assessable')
    """
    vs = [v for v in verdicts if v != NOT_ASSESSABLE]
    if not vs:
        return NOT_ASSESSABLE
    if all(v == MEETS for v in vs):
        return MEETS
    if all(v == FAILS for v in vs):
        return FAILS
    return MIXED
