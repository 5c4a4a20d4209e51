# Review 3: a latent mediation model (F1 -> F2 -> F3 with a direct path, labelled
# paths and defined indirect and total effects) on the two-site nine-item data with
# ~7% MCAR gaps: ML and MLR, listwise and FIML.
# Run from the repository root:  Rscript tests/reference/review3_sem_mediation.R
# Reads tests/reference/data/review3_cfa_groups.csv (written by review3_cfa_groups.R);
# writes tests/reference/review3_sem_mediation.json beside itself.
suppressMessages({library(lavaan); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
d <- read.csv(file.path(here, "data", "review3_cfa_groups.csv"))
dm <- d[, paste0("m", 1:9)]
names(dm) <- paste0("x", 1:9)
model <- "F1 =~ x1 + x2 + x3
F2 =~ x4 + x5 + x6
F3 =~ x7 + x8 + x9
F2 ~ a*F1
F3 ~ b*F2 + c*F1
ind := a*b
tot := c + a*b"
out <- list(lavaan_version = as.character(packageVersion("lavaan")), model = model, cases = list())
for (est in c("ML", "MLR")) for (mi in c("listwise", "fiml")) {
  f <- sem(model, data = dm, estimator = est, missing = mi)
  pe <- parameterEstimates(f, standardized = TRUE)[, c("lhs", "op", "rhs", "est", "se", "z", "pvalue", "std.all")]
  out$cases[[length(out$cases) + 1]] <- list(estimator = est, missing = mi, ntotal = lavInspect(f, "ntotal"),
                                             estimates = pe, fit = as.list(fitMeasures(f)))
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "review3_sem_mediation.json"))
cat("done\n")
