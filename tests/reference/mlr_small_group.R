# lavaan's warning when a group has fewer cases than the parameters its casewise scores depend on:
# the MLR sandwich is then singular ("vcov does not appear to be positive definite").
# Data: tests/reference/data/mlr_small_group.csv (numpy seed 5: one factor, six indicators, groups
# of 14 and 60 cases). Run from the repository root:  Rscript tests/reference/mlr_small_group.R
suppressMessages({library(lavaan); library(jsonlite)})
d <- read.csv("tests/reference/data/mlr_small_group.csv")
notes <- character()
f <- withCallingHandlers(cfa("F =~ y1 + y2 + y3 + y4 + y5 + y6", data = d, group = "g", estimator = "MLR"),
  warning = function(w) { notes <<- c(notes, conditionMessage(w)); invokeRestart("muffleWarning") })
ev <- eigen(lavInspect(f, "vcov"), symmetric = TRUE, only.values = TRUE)$values
writeLines(toJSON(list(lavaan_version = as.character(packageVersion("lavaan")), warnings = notes,
                       npar_per_group = 18, n = as.list(table(d$g)), smallest_vcov_eigenvalue = min(ev)),
                  digits = NA, auto_unbox = TRUE), "tests/reference/mlr_small_group.json")
