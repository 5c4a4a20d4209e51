# Reference values for WLSMV with mixed ordered and continuous observed variables
# (qimscale.analysis.cfa.ordinal_stage1_mixed; tests/analysis/cfa/wlsmv/test_wlsmv_mixed.py).
# Run from the repository root:  Rscript tests/reference/wlsmv_mixed.R
# Writes tests/reference/wlsmv_mixed_data.csv (the simulated data) and wlsmv_mixed.json.
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
set.seed(20261206)
n <- 700
cut5 <- function(z) cut(z, c(-Inf, -1.2, -0.3, 0.5, 1.3, Inf), labels = FALSE)
f_exp <- rnorm(n); f_lead <- 0.5 * f_exp + sqrt(0.75) * rnorm(n)
ystar <- function(f, l) l * f + sqrt(1 - l^2) * rnorm(n)
d <- data.frame(
  e1 = cut5(ystar(f_exp, .75)), e2 = cut5(ystar(f_exp, .7)), e3 = cut5(ystar(f_exp, .65) + .2),
  e4 = cut5(ystar(f_exp, .6)), l1 = cut5(ystar(f_lead, .8)), l2 = cut5(ystar(f_lead, .7)),
  l3 = cut5(ystar(f_lead, .6) - .2), l4 = cut5(ystar(f_lead, .65)),
  x1 = round(10 + 2 * (0.7 * f_exp + sqrt(0.51) * rnorm(n)), 3),
  x2 = round(-3 + 0.5 * (0.6 * f_lead + 0.8 * rnorm(n)), 3),
  perf = round(70 + 12 * (0.35 * f_exp + 0.3 * f_lead + 0.85 * rnorm(n)), 2),
  site = rep(c("A", "B"), length.out = n))
# pairwise gaps: 4% missing completely at random in six columns
d_miss <- d
for (v in c("e2", "e4", "l1", "l3", "x1", "x2")) d_miss[[v]][sample(n, round(0.04 * n))] <- NA
d$e2_gap <- d_miss$e2; d$e4_gap <- d_miss$e4; d$l1_gap <- d_miss$l1
d$l3_gap <- d_miss$l3; d$x1_gap <- d_miss$x1; d$x2_gap <- d_miss$x2
write.csv(d, "tests/reference/wlsmv_mixed_data.csv", row.names = FALSE)

ord_exp <- c("e1", "e2", "e3", "e4"); ord_lead <- c("l1", "l2", "l3", "l4")
fm_keys <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
             "chisq.scaling.factor", "chisq.shift.parameter", "baseline.chisq", "baseline.df",
             "baseline.chisq.scaled", "cfi", "tli", "rmsea", "cfi.scaled", "tli.scaled",
             "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "srmr", "cfi.robust")
one <- function(model, data, ordered, group = NULL, missing = "listwise", group.equal = "") {
  fit <- sem(model, data = data, ordered = ordered, estimator = "WLSMV", group = group,
             missing = missing, group.equal = group.equal)
  pe <- parameterEstimates(fit, standardized = TRUE)
  if (is.null(pe$group)) pe$group <- 1L
  pe <- pe[pe$op != "~*~", c("lhs", "op", "rhs", "group", "est", "se", "std.all")]
  r2 <- lavInspect(fit, "r2")
  if (!is.list(r2)) r2 <- list(r2)
  list(model = model, ordered = ordered, group = group, missing = missing, group_equal = group.equal,
       estimates = pe, fit = as.list(fitMeasures(fit, fm_keys)),
       wls_obs = unname(lavInspect(fit, "wls.obs")), r2 = lapply(r2, as.list),
       ntotal = lavInspect(fit, "ntotal"))
}
dd <- d[, c(ord_exp, ord_lead, "x1", "x2", "perf", "site")]
dg <- d[, c("e1", "e2_gap", "e3", "e4_gap", "l1_gap", "l2", "l3_gap", "l4", "x1_gap", "x2_gap")]
cases <- list(
  one_factor_one_continuous = one("F =~ e1 + e2 + x1 + e3 + e4", dd, ord_exp),
  two_factors_two_continuous = one("F_exp =~ e1 + e2 + e3 + x1 + e4\nF_lead =~ l1 + x2 + l2 + l3 + l4",
                                   dd, c(ord_exp, ord_lead)),
  continuous_outcome = one("F_exp =~ e1 + e2 + e3 + e4\nF_lead =~ l1 + l2 + l3 + l4\nperf ~ F_exp + F_lead",
                           dd, c(ord_exp, ord_lead)),
  outcome_and_indicator = one("F_exp =~ e1 + e2 + e3 + e4 + x1\nF_lead =~ l1 + l2 + l3 + l4\nperf ~ F_exp + F_lead\nperf ~~ x1",
                              dd, c(ord_exp, ord_lead)),
  continuous_marker = one("F =~ x1 + e1 + e2 + e3 + e4", dd, ord_exp),
  two_groups = one("F =~ e1 + e2 + x1 + e3 + e4", dd, ord_exp, group = "site"),
  two_groups_equal = one("F =~ e1 + e2 + x1 + e3 + e4", dd, ord_exp, group = "site",
                         group.equal = c("loadings", "thresholds", "intercepts")),
  pairwise_gaps = one("F_exp =~ e1 + e2_gap + e3 + e4_gap + x1_gap\nF_lead =~ l1_gap + l2 + l3_gap + l4 + x2_gap",
                      dg, c("e1", "e2_gap", "e3", "e4_gap", "l1_gap", "l2", "l3_gap", "l4"), missing = "pairwise")
)
# stage 1 in full for the first case, and lavCor's polyserial/polychoric/Pearson matrix
fit1 <- sem("F =~ e1 + e2 + x1 + e3 + e4", data = dd, ordered = ord_exp, estimator = "WLSMV")
lc <- lavCor(dd[, c(ord_exp, ord_lead, "x1", "x2", "perf")], ordered = c(ord_exp, ord_lead))
# nested two-group fits: scaled-shifted difference test and score tests of the equal loadings
f_free <- sem("F =~ e1 + e2 + x1 + e3 + e4", data = dd, ordered = ord_exp, estimator = "WLSMV", group = "site")
f_eq <- sem("F =~ e1 + e2 + x1 + e3 + e4", data = dd, ordered = ord_exp, estimator = "WLSMV", group = "site",
            group.equal = "loadings")
lrt <- lavTestLRT(f_free, f_eq)
score <- suppressWarnings(lavTestScore(f_eq)$uni)
out <- list(lavaan_version = as.character(packageVersion("lavaan")), cases = cases,
            lrt = list(chisq_diff = lrt[2, "Chisq diff"], df_diff = lrt[2, "Df diff"]),
            score_x2 = sort(score$X2),
            stage1 = list(wls_obs = unname(lavInspect(fit1, "wls.obs")),
                          gamma = unname(unclass(lavInspect(fit1, "gamma")))),
            lavcor = list(names = colnames(lc), cor = unname(unclass(lc))))
write_json(out, "tests/reference/wlsmv_mixed.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
