# Reference values for review fixes of the CFA/SEM engine (tests/analysis/cfa/test_cfa_edges.py).
# Run from the repository root:  Rscript tests/reference/cfa_review_edges.R
# Reads tests/reference/data/cfa_hs1939*.csv (written by cfa_lavaan.R); writes
# tests/reference/data/cfa_review_agemiss.csv and tests/reference/cfa_review_edges.json.
suppressMessages({library(lavaan); library(jsonlite)})
here <- "tests/reference"
hs <- read.csv(file.path(here, "data", "cfa_hs1939.csv"))
hsm <- read.csv(file.path(here, "data", "cfa_hs1939_missing.csv"))
out <- list(lavaan_version = as.character(packageVersion("lavaan")))

# (1) FIML with missing values in a fixed exogenous covariate: lavaan (fixed.x = TRUE)
#     deletes the cases with a missing covariate
set.seed(3)
d <- hsm
d$ageyr[runif(nrow(d)) < .1] <- NA
write.csv(d, file.path(here, "data", "cfa_review_agemiss.csv"), row.names = FALSE, na = "")
mx <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual ~ ageyr + sex\ntextual ~ ageyr"
f <- sem(mx, data = d, missing = "fiml")
out$fiml_x <- list(ntotal = lavInspect(f, "ntotal"),
                   fit = as.list(fitMeasures(f, c("chisq", "df", "logl", "cfi", "rmsea"))),
                   est = parameterEstimates(f)[, c("lhs", "op", "rhs", "est", "se")])

# (2) labels and defined parameters whose names contain dots
md <- "visual =~ x1 + a.1*x2 + b*x3\nd := a.1*b\ne.x := d + 1\nff := e.x*2"
f <- cfa(md, data = hs)
pe <- parameterEstimates(f, standardized = TRUE)
out$dotted <- pe[pe$op == ":=", c("lhs", "est", "se", "std.all")]

# (3) MLR + FIML + several groups + a fixed exogenous covariate: the scaling factor
#     leaves the covariate moments out of the saturated (h1) information
mb <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\ntextual ~ visual + sex\nx2 ~~ x5"
f <- sem(mb, data = hsm, group = "school", group.equal = c("loadings", "intercepts"),
         missing = "fiml", estimator = "MLR")
pe <- parameterEstimates(f, standardized = TRUE)
out$fiml_mlr_x_groups <- list(fit = as.list(fitMeasures(f)),
                              est = pe[, c("lhs", "op", "rhs", "group", "est", "se", "std.all")])

# (4) latent regressions with a covariate, two endogenous factors (their residuals covary)
#     and a residual covariance: standardized values
ma <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9
textual ~ visual + ageyr\nspeed ~ visual + ageyr\nx1 ~~ x4"
pe <- parameterEstimates(sem(ma, data = hs, estimator = "MLR"), standardized = TRUE)
out$sem_x_std <- pe[, c("lhs", "op", "rhs", "est", "se", "std.lv", "std.all")]

# (5) modification indices with fixed-x covariates and regressions: lavaan's candidate set
#     (no loadings on or covariances with covariates, factor covariances, regressions
#     among structural variables; markers and other non-identified candidates dropped)
mis <- list(
  sem_x = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual ~ ageyr",
  outcomes = "x4 ~ x1\nx5 ~ x1\nvisual =~ x7 + x8 + x9\nF2 =~ x2 + x3 + x6\nvisual ~ x1\nF2 ~ x1",
  fixed_cov = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\nspeed ~ visual\nvisual ~~ 0*textual"
)
out$modindices <- lapply(mis, function(m) {
  mi <- modindices(sem(m, data = hs))
  list(model = m, mi = mi[, c("lhs", "op", "rhs", "mi", "epc", "sepc.all")])
})

# (6) a numeric group column with missing values: lavaan drops those rows (with a warning)
d <- hs
d$g <- ifelse(d$school == "Pasteur", 1, 2)
d$g[1:6] <- NA
f <- cfa("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6", data = d, group = "g")
out$group_na <- list(ntotal = lavInspect(f, "ntotal"), fit = as.list(fitMeasures(f, c("chisq", "df", "cfi"))))

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null"), file.path(here, "cfa_review_edges.json"))
cat("done\n")
