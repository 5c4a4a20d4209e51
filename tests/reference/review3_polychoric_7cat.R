# Review 3: polychoric correlations of 7-category items in a small sample (N = 120),
# so that many cells of the 7 x 7 tables are empty, with scattered missing values;
# a second set where one item never uses its top category (psych then switches to
# pair-wise thresholds with its continuity correction, and fails on these tables).
# Run from the repository root:  Rscript tests/reference/review3_polychoric_7cat.R
# Writes tests/reference/data/review3_polychoric_7cat.csv (simulated, shared with the
# Python tests) and tests/reference/review3_polychoric_7cat.json beside itself.
suppressMessages({library(psych); library(lavaan); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
set.seed(20261129)
n <- 120
f <- rnorm(n)
lam <- c(.85, .8, .7, .6, .5, .75)
z <- sapply(lam, function(l) l * f + sqrt(1 - l^2) * rnorm(n))
cuts <- c(-1.9, -1.2, -.5, .2, .9, 1.7)
x <- as.data.frame(sapply(1:6, function(j) findInterval(z[, j], cuts + .15 * (j - 3)) + 1L))
names(x) <- paste0("p", 1:6)
for (j in 1:6) x[sample(n, 4), j] <- NA
for (j in 1:6) stopifnot(all(1:7 %in% x[[j]]))
x$q6 <- pmin(x$p6, 6L)        # the same item with its top category merged into 6
write.csv(x, file.path(here, "data", "review3_polychoric_7cat.csv"), row.names = FALSE, na = "")
x <- read.csv(file.path(here, "data", "review3_polychoric_7cat.csv"))

psych_poly <- function(d, ...) {
  w <- character(0)
  r <- withCallingHandlers(suppressMessages(polychoric(d, ...)),
                           warning = function(m) { w <<- c(w, conditionMessage(m)); invokeRestart("muffleWarning") })
  list(rho = unname(r$rho), tau = unname(r$tau), warnings = w)
}
lavaan_poly <- function(d) {
  fit <- lavCor(d, ordered = names(d), missing = "pairwise", output = "fit")
  ss <- lavInspect(fit, "sampstat")
  list(rho = unname(ss$cov[names(d), names(d)]), th = unname(ss$th))
}
# psych's pair-wise-threshold path (global = FALSE) stops with an error on these tables:
# after the continuity correction the cumulative margins pass 1 and qnorm gives NaN.
# So it is run pair by pair; a pair psych cannot estimate is recorded as NA.
pairwise_by_pair <- function(d) {
  p <- ncol(d)
  r <- diag(p)
  for (i in 1:(p - 1)) for (j in (i + 1):p) {
    v <- tryCatch(suppressWarnings(suppressMessages(polychoric(d[, c(i, j)], global = FALSE, smooth = FALSE)))$rho[1, 2],
                  error = function(e) NA)
    r[i, j] <- r[j, i] <- v
  }
  r
}
a <- x[, paste0("p", 1:6)]
b <- x[, c(paste0("p", 1:5), "q6")]
tab <- table(a$p1, a$p2)
out <- list(versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                            lavaan = as.character(packageVersion("lavaan"))),
            empty_cells_p1_p2 = sum(tab == 0),
            all7 = list(psych = psych_poly(a), psych_raw = psych_poly(a, smooth = FALSE), lavaan = lavaan_poly(a),
                        psych_pairwise_error = inherits(try(suppressWarnings(polychoric(a, global = FALSE)), silent = TRUE), "try-error"),
                        psych_pairwise_by_pair = pairwise_by_pair(a)),
            top_merged = list(lavaan = lavaan_poly(b),
                              psych_error = inherits(try(suppressWarnings(polychoric(b)), silent = TRUE), "try-error"),
                              psych_pairwise_by_pair = pairwise_by_pair(b)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "review3_polychoric_7cat.json"))
cat("done\n")
