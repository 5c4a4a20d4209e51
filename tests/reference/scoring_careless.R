# Reference values for qimscale's careless-responding indices (qimscale/scoring/quality.py).
# Re-run from the repository root:  Rscript tests/reference/scoring_careless.R
# Writes scoring_careless_data.csv (the item matrix) and scoring_careless.json next to this file.
#
# The R package 'careless' is not installed here; its indices are short base-R
# functions, re-stated below from their definitions (careless 1.2.x), and the
# Mahalanobis distance is computed with psych::outlier, on which careless::mahad is based.
suppressMessages({library(psych); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

set.seed(20261126)
n <- 60; factors <- c(4, 5, 3, 4)
k <- sum(factors)
trait <- rnorm(n)
x <- matrix(pmin(5, pmax(1, round(3 + trait + matrix(rnorm(n * k, sd = 0.9), n, k)))), n, k)
x[sample(n * k, 40)] <- NA                # scattered missing answers
x[5, ] <- 4                               # a straight-liner
x[9, ] <- rep(c(1, 5), length.out = k)    # an alternator
x[12, 1:8] <- NA                          # half missing
colnames(x) <- sprintf("i%02d", seq_len(k))

longstring <- apply(x, 1, function(r) max(rle(r)$lengths))   # careless::longstring(x)
irv <- apply(x, 1, sd, na.rm = TRUE)                          # careless::irv(x)
d2 <- as.numeric(psych::outlier(x, plot = FALSE, bad = 0))    # careless::mahad(x, plot = FALSE)
p <- pchisq(d2, df = k, lower.tail = FALSE)

evenodd <- sapply(seq_len(n), function(i) {                   # careless::evenodd(x, factors)
  f <- matrix(NA, length(factors), 2)
  start <- 1
  for (j in seq_along(factors)) {
    if (j > 1) start <- start + factors[j - 1]
    s <- x[i, start:(start + factors[j] - 1)]
    ind <- seq_along(s)
    f[j, 1] <- mean(s[ind %% 2 == 0], na.rm = TRUE)
    f[j, 2] <- mean(s[ind %% 2 == 1], na.rm = TRUE)
  }
  r <- suppressWarnings(cor(f[, 1], f[, 2], use = "pairwise.complete.obs"))
  r <- 2 * r / (1 + r)
  if (!is.na(r) && r < -1) r <- -1
  -r
})

write.csv(x, file.path(here, "scoring_careless_data.csv"), row.names = FALSE, na = "")
out <- list(factors = factors, longstring = longstring, irv = irv, mahad_d2 = d2, mahad_p = p,
            evenodd = evenodd, mahad_cut_99 = qchisq(0.99, k),
            r_version = R.version.string, psych_version = as.character(packageVersion("psych")))
writeLines(toJSON(out, digits = NA, na = "null", auto_unbox = TRUE), file.path(here, "scoring_careless.json"))
