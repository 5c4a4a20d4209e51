# Fit measures of a saturated model (df = 0): one factor, three indicators,
# listwise and FIML, ML and MLR. Uses tests/reference/data/cfa_hs1939_missing.csv
# (written by cfa_lavaan.R). Run from the repository root:
#   Rscript tests/reference/cfa_saturated.R   -> tests/reference/cfa_saturated.json
suppressMessages({library(lavaan); library(jsonlite)})
here <- "tests/reference"
d <- read.csv(file.path(here, "data", "cfa_hs1939_missing.csv"))
out <- list()
for (m in c("listwise", "fiml")) for (est in c("ML", "MLR")) {
  fit <- cfa("F =~ x1 + x2 + x3", data = d, missing = m, estimator = est)
  fm <- fitMeasures(fit)
  fm <- as.list(fm[!grepl("^(logl|unrestricted|aic|bic|ntotal|npar|fmin|ecvi|cn_|gfi|agfi|pgfi|rmr|srmr|crmr)", names(fm))])
  fm <- lapply(fm, function(v) if (is.na(v)) "NA" else unname(v))
  out[[paste(m, est, sep = "_")]] <- fm
}
write_json(out, file.path(here, "cfa_saturated.json"), digits = NA, auto_unbox = TRUE)
cat("done\n")
