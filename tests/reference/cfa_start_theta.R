# lavaan's answers for two ML cases found while reviewing issue 12:
#  * start values that imply a correlation beyond 1 (a fixed residual covariance 'a ~~ 0.6*b' on
#    two nearly collinear items): lavaan warns about its start values and fits (qimscale ended in a
#    raw LinAlgError before);
#  * a solution whose residual covariance matrix (theta) is not positive definite (lavaan's
#    post-check warning, which qimscale did not give).
# Data: tests/reference/data/cfa_start_collinear.csv and cfa_theta_npd.csv (simulated with numpy,
# seeds 1 and 11; see tests/analysis/cfa/test_cfa_start_theta.py).
# Run from the repository root:  Rscript tests/reference/cfa_start_theta.R
suppressMessages({library(lavaan); library(jsonlite)})
cases <- list(
  list(name = "start_collinear", data = "cfa_start_collinear.csv", model = "F =~ a + b + c + d\na ~~ 0.6*b"),
  list(name = "theta_npd", data = "cfa_theta_npd.csv",
       model = "F =~ a + b + c + d\na ~~ b\na ~~ 0.01*a\nb ~~ 0.01*b"))
out <- lapply(cases, function(cs) {
  d <- read.csv(file.path("tests/reference/data", cs$data))
  notes <- character()
  f <- withCallingHandlers(sem(cs$model, data = d), warning = function(w) {
    notes <<- c(notes, conditionMessage(w)); invokeRestart("muffleWarning")})
  pe <- parameterEstimates(f, standardized = TRUE)
  list(name = cs$name, model = cs$model, warnings = as.list(notes),
       fit = as.list(fitMeasures(f, c("npar", "chisq", "df", "cfi", "rmsea", "srmr"))),
       estimates = pe[, c("lhs", "op", "rhs", "est", "se", "std.all")])
})
writeLines(toJSON(list(lavaan_version = as.character(packageVersion("lavaan")), cases = out),
                  digits = NA, auto_unbox = TRUE), "tests/reference/cfa_start_theta.json")
