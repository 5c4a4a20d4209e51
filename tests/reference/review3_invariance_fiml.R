# Review 3: measurement invariance (configural -> metric -> scalar -> strict) of the
# two-site nine-item scale with ~7% MCAR gaps: MLR + FIML, plain ML + FIML, and the
# MLR + FIML chain with the intercept of x2 released (partial scalar invariance).
# Run from the repository root:  Rscript tests/reference/review3_invariance_fiml.R
# Reads tests/reference/data/review3_cfa_groups.csv (written by review3_cfa_groups.R);
# writes tests/reference/review3_invariance_fiml.json beside itself.
suppressMessages({library(lavaan); library(jsonlite)})
# lavaan warns that the single label "a" holds in both groups (intended here)
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
dat <- read.csv(file.path(here, "data", "review3_cfa_groups.csv"))
dmiss <- dat[, c(paste0("m", 1:9), "site")]
names(dmiss)[1:9] <- paste0("x", 1:9)
model <- "F1 =~ x1 + a*x2 + a*x3
F2 =~ x4 + x5 + x6
F3 =~ x7 + x8 + x9
x7 ~~ x8"
levels <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"),
               strict = c("loadings", "intercepts", "residuals"))
fm_names <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr",
              "aic", "bic", "chisq.scaled", "chisq.scaling.factor", "pvalue.scaled", "cfi.scaled", "tli.scaled",
              "cfi.robust", "tli.robust", "rmsea.robust")
chain <- function(estimator, partial = NULL) {
  fits <- lapply(levels, function(eq) cfa(model, data = dmiss, group = "site", group.equal = eq,
                                          group.partial = if (is.null(partial)) "" else partial,
                                          missing = "fiml", estimator = estimator))
  lv <- lapply(names(levels), function(l) {
    i <- match(l, names(levels))
    x <- list(level = l, fit = as.list(fitMeasures(fits[[l]], intersect(fm_names, names(fitMeasures(fits[[l]]))))))
    if (i > 1) {
      t <- lavTestLRT(fits[[i]], fits[[i - 1]])
      x$lrt <- list(chisq_diff = t[2, "Chisq diff"], df_diff = t[2, "Df diff"], p = t[2, "Pr(>Chisq)"])
    }
    x
  })
  list(estimator = estimator, partial = as.list(partial), levels = lv)
}
res <- list(lavaan_version = as.character(packageVersion("lavaan")), model = model,
            mlr = chain("MLR"), ml = chain("ML"), mlr_partial = chain("MLR", "x2 ~ 1"))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "review3_invariance_fiml.json"))
cat("done\n")
