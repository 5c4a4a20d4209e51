# Reference values for tests/analysis/test_psychometrics_degenerate.py (degenerate inputs versus psych).
# Re-run from the repository root:  Rscript tests/reference/psychometrics_review3.R
# Reads data/psychometrics_review3_d30.csv (30 respondents x 6 items) and writes
# psychometrics_review3.json next to this file.
suppressMessages({library(psych); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
d <- read.csv(file.path(here, "data", "psychometrics_review3_d30.csv"))

# MAP with two identical items (i6 := i5): a singular correlation matrix
dd <- d; dd$i6 <- dd$i5
map <- suppressWarnings(vss(dd, n = 5, plot = FALSE)$map)

# split-half coefficients of 2 items (one split)
sh <- splitHalf(d[1:20, 1:2])

out <- list(
  map_identical_items = map,
  split_half_two_items = list(maxrb = sh$maxrb, minrb = sh$minrb, meanr = sh$meanr, alpha = sh$alpha,
                              lambda2 = sh$lambda2, lambda6 = sh$lambda6, av.r = sh$av.r, med.r = sh$med.r),
  versions = list(R = R.version.string, psych = as.character(packageVersion("psych"))))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "psychometrics_review3.json"))
