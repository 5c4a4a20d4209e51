# Reference values for modification indices of WLSMV (ordinal and mixed) fits
# (qimscale.analysis.cfa.modindices_wlsmv; tests/analysis/cfa/wlsmv/test_wlsmv_modindices.py).
# Run from the repository root:  Rscript tests/reference/wlsmv_modindices.R
# Writes tests/reference/data/wlsmv_modindices.csv (the simulated data) and
# tests/reference/wlsmv_modindices.json: for each case every row of lavaan's modindices(fit)
# (lhs, op, rhs, group, mi, epc, sepc.all) and the parameter estimates.
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
set.seed(20261206)
n <- 500
cut5 <- function(z) cut(z, c(-Inf, -1.2, -0.3, 0.5, 1.3, Inf), labels = FALSE)
f1 <- rnorm(n)
f2 <- 0.45 * f1 + sqrt(1 - 0.45^2) * rnorm(n)
f3 <- 0.5 * f2 + sqrt(0.75) * rnorm(n)
e23 <- rnorm(n)  # shared residual of y2 and y3 (a planted residual correlation)
d <- data.frame(
  y1 = cut5(0.75 * f1 + sqrt(1 - 0.75^2) * rnorm(n)),
  y2 = cut5(0.70 * f1 + 0.3 * e23 + sqrt(1 - 0.70^2 - 0.09) * rnorm(n)),
  y3 = cut5(0.65 * f1 + 0.3 * e23 + sqrt(1 - 0.65^2 - 0.09) * rnorm(n) + 0.2),
  y4 = cut5(0.60 * f1 + sqrt(1 - 0.60^2) * rnorm(n)),
  y5 = cut5(0.70 * f1 + sqrt(1 - 0.70^2) * rnorm(n) - 0.2),
  # y6 loads on f2 and (planted cross-loading) on f1
  y6 = cut5(0.50 * f2 + 0.35 * f1 + sqrt(1 - 0.25 - 0.1225 - 2 * 0.5 * 0.35 * 0.45) * rnorm(n)),
  y7 = cut5(0.75 * f2 + sqrt(1 - 0.75^2) * rnorm(n)),
  y8 = cut5(0.70 * f2 + sqrt(1 - 0.70^2) * rnorm(n) + 0.3),
  y9 = cut5(0.65 * f2 + sqrt(1 - 0.65^2) * rnorm(n)),
  y10 = cut5(0.60 * f2 + sqrt(1 - 0.60^2) * rnorm(n)),
  z1 = cut5(0.70 * f3 + sqrt(1 - 0.70^2) * rnorm(n)),
  z2 = cut5(0.75 * f3 + sqrt(1 - 0.75^2) * rnorm(n)),
  z3 = cut5(0.65 * f3 + sqrt(1 - 0.65^2) * rnorm(n) + 0.25 * f1),
  x1 = round(10 + 2 * (0.7 * f2 + sqrt(0.51) * rnorm(n)), 3),
  x2 = round(-3 + 0.5 * (0.6 * f2 + 0.8 * rnorm(n)), 3),
  site = rep(c("A", "B"), length.out = n))
write.csv(d, "tests/reference/data/wlsmv_modindices.csv", row.names = FALSE)
d <- read.csv("tests/reference/data/wlsmv_modindices.csv")
# pairwise deletion: 5% of the answers of y1..y10 missing completely at random
dg <- d
for (v in paste0("y", 1:10)) dg[[v]][sample(n, round(0.05 * n))] <- NA
write.csv(dg, "tests/reference/data/wlsmv_modindices_gaps.csv", row.names = FALSE, na = "")
dg <- read.csv("tests/reference/data/wlsmv_modindices_gaps.csv")

ys <- paste0("y", 1:10); zs <- c("z1", "z2", "z3")
one <- function(model, ordered, group = NULL, group.equal = "", std.lv = FALSE, missing = "listwise") {
  fit <- sem(model, data = if (missing == "pairwise") dg else d, ordered = ordered, estimator = "WLSMV",
             group = group, group.equal = group.equal, std.lv = std.lv, missing = missing)
  mi <- modindices(fit)
  if (is.null(mi$group)) mi$group <- 1L
  pe <- parameterEstimates(fit)
  if (is.null(pe$group)) pe$group <- 1L
  list(model = model, ordered = ordered, group = group, group_equal = group.equal, std_lv = std.lv,
       missing = missing, ntotal = lavInspect(fit, "ntotal"),
       modindices = mi[, c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.all")],
       estimates = pe[, c("lhs", "op", "rhs", "group", "est")],
       chisq = unname(fitMeasures(fit, "chisq")))
}
two <- "F1 =~ y1 + y2 + y3 + y4 + y5\nF2 =~ y6 + y7 + y8 + y9 + y10"
cases <- list(
  two_factor = one(two, ys),
  two_groups = one(two, ys, group = "site"),
  two_groups_equal = one(two, ys, group = "site", group.equal = c("loadings", "thresholds")),
  mixed = one("F1 =~ y1 + y2 + y3 + y4 + y5\nF2 =~ y6 + y7 + x1 + y8 + x2", c(ys[1:8])),
  structural = one(paste0(two, "\nF3 =~ z1 + z2 + z3\nF2 ~ F1\nF3 ~ F2"), c(ys, zs)),
  std_lv = one(two, ys, std.lv = TRUE),
  continuous_outcome = one(paste0(two, "\nx1 ~ F1 + F2"), ys),
  pairwise = one(two, ys, missing = "pairwise"),
  pairwise_two_groups = one(two, ys, group = "site", missing = "pairwise"),
  second_order = one(paste0(two, "\nF3 =~ z1 + z2 + z3\nG =~ F1 + F2 + F3"), c(ys, zs)),
  linear_constraint = one(paste0("F1 =~ y1 + a*y2 + b*y3 + c*y4 + y5\nF2 =~ y6 + y7 + y8 + y9 + y10\n",
                                 "a + b == 2*c"), ys),
  # observed covariates (conditional.x): latent regressions, then a direct effect of a covariate on an item
  covariates = one(paste0(two, "\nF1 ~ x1\nF2 ~ x1 + x2"), ys),
  covariates_two_groups = one(paste0(two, "\nF1 ~ x1\nF2 ~ x1 + x2"), ys, group = "site"),
  covariates_direct = one(paste0(two, "\nF1 ~ x1\nF2 ~ x1 + x2\ny3 ~ x2"), ys)
)
out <- list(lavaan_version = as.character(packageVersion("lavaan")), cases = cases)
write_json(out, "tests/reference/wlsmv_modindices.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
