# Review 3: WLSMV when a polychoric correlation reaches the boundary. b6 (binary) and
# c6 (3 categories) split the same latent response, so their 2 x 3 tables have
# empty off-diagonal cells and the two-step estimate runs to 1; lavaan bounds it at
# 0.999 and warns that the correlation is (nearly) 1.0.
# Run from the repository root:  Rscript tests/reference/review3_wlsmv_boundary.R
# Reads tests/reference/data/review3_wlsmv_invariance_few.csv (written by
# review3_wlsmv_invariance_few.R); writes tests/reference/review3_wlsmv_boundary.json.
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
dat <- read.csv(file.path(here, "data", "review3_wlsmv_invariance_few.csv"))
model <- "F =~ b1 + b2 + b3\nG =~ c4 + c5 + c6 + b6"
items <- c("b1", "b2", "b3", "c4", "c5", "c6", "b6")
run <- function(group) {
  w <- character(0)
  f <- withCallingHandlers(cfa(model, data = dat, ordered = items, estimator = "WLSMV", group = group),
                           warning = function(m) { w <<- c(w, conditionMessage(m)); invokeRestart("muffleWarning") })
  ss <- lavInspect(f, "sampstat")
  if (is.null(group)) ss <- list(ss)
  list(warnings = w, table_b6_c6 = lapply(split(dat, if (is.null(group)) 1 else dat[[group]]),
                                          function(d) unclass(table(d$b6, d$c6))),
       cor_b6_c6 = lapply(ss, function(s) s$cov["b6", "c6"]),
       fit = as.list(fitMeasures(f, c("npar", "chisq", "df", "chisq.scaled", "chisq.scaling.factor", "cfi.scaled",
                                      "tli.scaled", "rmsea.scaled", "srmr"))),
       estimates = parameterEstimates(f)[, intersect(c("lhs", "op", "rhs", "group", "est", "se"),
                                                     names(parameterEstimates(f)))])
}
out <- list(lavaan_version = as.character(packageVersion("lavaan")), model = model, items = items,
            one_group = run(NULL), two_groups = run("group"))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "review3_wlsmv_boundary.json"))
cat("done\n")
