# Reference values for modification indices of FIML fits (missing = "fiml", ML and MLR)
# (qimscale.analysis.cfa.modindices; tests/analysis/cfa/test_fiml_modindices.py).
# Run from the repository root:  Rscript tests/reference/fiml_modindices.R
# Writes tests/reference/data/fiml_modindices.csv (simulated continuous items, ~10% MCAR gaps)
# and tests/reference/fiml_modindices.json: for each case every row of lavaan's modindices(fit)
# (lhs, op, rhs, group, mi, epc, sepc.all), the parameter estimates and
# lavInspect(fit, "options")$information (modindices itself uses information = "expected").
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
set.seed(20261207)
n <- 400
f1 <- rnorm(n)
f2 <- 0.4 * f1 + sqrt(1 - 0.4^2) * rnorm(n)
e23 <- rnorm(n)  # shared residual of y2 and y3 (a planted residual covariance)
d <- data.frame(
  y1 = 0.75 * f1 + sqrt(1 - 0.75^2) * rnorm(n),
  y2 = 0.70 * f1 + 0.35 * e23 + sqrt(1 - 0.70^2 - 0.35^2) * rnorm(n) + 1,
  y3 = 0.65 * f1 + 0.35 * e23 + sqrt(1 - 0.65^2 - 0.35^2) * rnorm(n),
  y4 = 0.60 * f1 + sqrt(1 - 0.60^2) * rnorm(n) + 2,
  # y5 loads on f2 and (planted cross-loading) on f1
  y5 = 0.50 * f2 + 0.35 * f1 + sqrt(1 - 0.25 - 0.1225 - 2 * 0.5 * 0.35 * 0.4) * rnorm(n),
  y6 = 0.75 * f2 + sqrt(1 - 0.75^2) * rnorm(n),
  y7 = 0.70 * f2 + sqrt(1 - 0.70^2) * rnorm(n) - 1,
  y8 = 0.65 * f2 + sqrt(1 - 0.65^2) * rnorm(n),
  site = rep(c("A", "B"), length.out = n))
ys <- paste0("y", 1:8)
for (v in ys) d[[v]] <- round(d[[v]], 4)
# 10% of the answers missing completely at random (no case loses every item)
for (v in ys) d[[v]][sample(n, round(0.10 * n))] <- NA
d <- d[rowSums(!is.na(d[, ys])) > 0, ]
write.csv(d, "tests/reference/data/fiml_modindices.csv", row.names = FALSE, na = "")
d <- read.csv("tests/reference/data/fiml_modindices.csv")

one <- function(model, estimator = "ML", group = NULL, group.equal = "") {
  fit <- cfa(model, data = d, estimator = estimator, missing = "fiml", group = group,
             group.equal = group.equal)
  mi <- modindices(fit)
  if (is.null(mi$group)) mi$group <- 1L
  pe <- parameterEstimates(fit)
  if (is.null(pe$group)) pe$group <- 1L
  list(model = model, estimator = estimator, group = group, group_equal = group.equal,
       ntotal = lavInspect(fit, "ntotal"), information = lavInspect(fit, "options")$information,
       modindices = mi[, c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.all")],
       estimates = pe[, c("lhs", "op", "rhs", "group", "est")],
       chisq = unname(fitMeasures(fit, "chisq")))
}
two <- "F1 =~ y1 + y2 + y3 + y4\nF2 =~ y5 + y6 + y7 + y8"
cases <- list(
  two_factor = one(two),
  two_factor_mlr = one(two, estimator = "MLR"),
  two_groups = one(two, group = "site"),
  two_groups_equal = one(two, group = "site", group.equal = c("loadings", "intercepts")),
  linear_constraint = one("F1 =~ y1 + a*y2 + b*y3 + c*y4\nF2 =~ y5 + y6 + y7 + y8\na + b == 2*c")
)
writeLines(toJSON(list(lavaan = as.character(packageVersion("lavaan")), cases = cases),
                  digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = TRUE),
           "tests/reference/fiml_modindices.json")
