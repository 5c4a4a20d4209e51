# Stage-1 polychoric correlations on sparse tables with empty cells: qimscale vs lavaan 0.6-14.
# (tests/analysis/cfa/wlsmv/test_wlsmv_sparse_polychoric.py)
# Run from the repository root:  Rscript tests/reference/wlsmv_sparse_polychoric.R
# Writes wlsmv_sparse_polychoric_data.csv (the simulated data sets, column 'set') and
# wlsmv_sparse_polychoric.json (lavaan's sample polychorics, estimates, SEs and fit measures).
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
set.seed(12)
keep <- c(103L, 180L, 261L)  # data sets with a pair whose likelihood is flat in rho (flat to ~1e-10)
sets <- list(); out <- list(); k <- 0L
for (it in 1:300) {
  n <- sample(c(30, 50, 80), 1); p <- 5
  f <- rnorm(n); l <- runif(p, .6, .95)
  z <- sapply(1:p, function(i) l[i] * f + sqrt(1 - l[i]^2) * rnorm(n))
  y <- apply(z, 2, function(v) cut(v, c(-Inf, sort(rnorm(4, .8, .8)), Inf), labels = FALSE))
  y <- apply(y, 2, function(v) as.integer(factor(v)))
  d <- as.data.frame(y); names(d) <- paste0("y", 1:p)
  if (any(sapply(d, function(v) length(unique(v))) < 2)) next
  fit <- tryCatch(suppressWarnings(cfa("F =~ y1+y2+y3+y4+y5", d, ordered = TRUE, estimator = "WLSMV")),
                  error = function(e) NULL)
  if (is.null(fit)) next
  k <- k + 1L
  if (!(k %in% keep)) next
  d$set <- k
  sets[[length(sets) + 1]] <- d
  pe <- parameterEstimates(fit)
  conv <- lavInspect(fit, "converged")
  out[[as.character(k)]] <- list(
    cor = unname(unclass(lavInspect(fit, "sampstat")$cov)), converged = conv,
    estimates = if (conv) pe[, c("lhs", "op", "rhs", "est", "se")] else NULL,
    fit = if (conv) as.list(fitMeasures(fit, c("chisq", "df", "chisq.scaled", "cfi.scaled", "rmsea.scaled")))
          else NULL)
}
write.csv(do.call(rbind, sets), "tests/reference/wlsmv_sparse_polychoric_data.csv", row.names = FALSE)
write_json(list(lavaan_version = as.character(packageVersion("lavaan")), sets = out),
           "tests/reference/wlsmv_sparse_polychoric.json", digits = NA, auto_unbox = TRUE)
