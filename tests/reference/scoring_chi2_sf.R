# Reference for qimscale.scoring.quality.chi2_sf: the upper chi-square tail R gives,
# pchisq(x, df = k, lower.tail = FALSE), for whole df (odd and even) over a grid of x from
# the body to the far tail (p down to about 1e-300). Run from the repository root:
#   Rscript tests/reference/scoring_chi2_sf.R
library(jsonlite)
ks <- c(1, 2, 3, 4, 7, 10, 55, 56, 120, 199)
xs <- c(0, 1e-12, 0.01, 0.5, 1, 2.5, 5, 10, 25, 50, 80, 120, 200, 400, 800, 1300, 1399.9, 1400.1)
p <- lapply(ks, function(k) pchisq(xs, df = k, lower.tail = FALSE))
out <- list(k = ks, x = xs, p = p, r_version = R.version.string)
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), file.path(here, "scoring_chi2_sf.json"))
