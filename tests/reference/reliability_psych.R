# Reference values for qimscale's reliability module, computed with R's psych.
#
# Run from the repository root:  Rscript tests/reference/reliability_psych.R
# Writes, next to this script:
#   reliability_sim_data.csv  simulated ordinal data (12 items, 1..5, ~4% missing,
#                             item i03 reverse-keyed, three group factors + general)
#   reliability_icc_data.csv  simulated test-retest data (60 subjects x 3 occasions, wide)
#   reliability_bfi_data.csv  psych::bfi's 25 personality items (with its missing values)
#   reliability_psych.json    psych::alpha / omega / splitHalf / guttman / ICC output
#
# Every number is written at full double precision (digits = NA).

suppressMessages({
  library(psych)
  library(GPArotation)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "tests/reference"

# ------------------------------------------------------------------ simulated data
set.seed(20261126)
n <- 500
k <- 12
g <- rnorm(n)
grp <- matrix(rnorm(n * 3), n, 3)
lam_g <- c(.70, .65, .60, .55, .70, .60, .55, .50, .65, .60, .55, .50)
lam_s <- c(.45, .40, .35, .30, .40, .45, .35, .30, .30, .45, .40, .35)
which_grp <- rep(1:3, each = 4)
latent <- sapply(seq_len(k), function(j) {
  lam_g[j] * g + lam_s[j] * grp[, which_grp[j]] +
    sqrt(1 - lam_g[j]^2 - lam_s[j]^2) * rnorm(n)
})
cuts <- c(-Inf, -1.4, -0.5, 0.3, 1.1, Inf)
x <- apply(latent, 2, function(v) as.integer(cut(v, cuts)))
colnames(x) <- sprintf("i%02d", seq_len(k))
x[, "i03"] <- 6L - x[, "i03"]                  # the reverse-keyed item as answered
miss <- matrix(runif(n * k) < 0.04, n, k)
x[miss] <- NA
x <- as.data.frame(x)
stopifnot(all(rowSums(!is.na(x)) > 0))
write.csv(x, file.path(here, "reliability_sim_data.csv"), row.names = FALSE, na = "")

xr <- x
xr$i03 <- 6L - xr$i03                          # recoded with the scale's range 1..5

# ------------------------------------------------------------------ helpers
alpha_out <- function(a) {
  list(
    total = as.list(a$total),
    alpha_drop = lapply(as.list(a$alpha.drop), unname),
    item_stats = lapply(as.list(a$item.stats), unname),
    items = rownames(a$item.stats),
    feldt = list(lower = a$feldt$lower.ci[[1]], upper = a$feldt$upper.ci[[1]]),
    nvar = a$nvar
  )
}
omega_out <- function(o) {
  list(omega_h = o$omega_h, omega_tot = o$omega.tot, alpha = o$alpha,
       G6 = o$G6, omega_lim = o$omega.lim, ECV = unname(o$ECV),
       sl = unname(unclass(o$schmid$sl)), sl_cols = colnames(o$schmid$sl),
       phi = unname(unclass(o$schmid$phi)))
}
split_out <- function(s) {
  list(maxrb = s$maxrb, minrb = s$minrb, meanr = s$meanr, av_r = s$av.r,
       med_r = s$med.r, alpha = s$alpha, lambda2 = s$lambda2, lambda6 = s$lambda6)
}

out <- list()

# alpha: pairwise (psych's default), reverse key given explicitly, no check.keys
out$alpha_pairwise_keys <- alpha_out(alpha(x, keys = c("i03"), check.keys = FALSE, warnings = FALSE))
# the same after recoding i03 ourselves (no keys)
out$alpha_pairwise_recoded <- alpha_out(alpha(xr, check.keys = FALSE, warnings = FALSE))
# listwise: qimscale drops incomplete rows first, i.e. alpha(na.omit(x))
out$alpha_listwise_keys <- alpha_out(alpha(na.omit(x), keys = c("i03"), check.keys = FALSE,
                                           warnings = FALSE))
# a 4-item subscale and a 3-item subscale
out$alpha_sub4 <- alpha_out(alpha(xr[, c("i05", "i06", "i07", "i08")], check.keys = FALSE))
out$alpha_sub3 <- alpha_out(alpha(xr[, c("i09", "i10", "i11")], check.keys = FALSE))

# bfi agreeableness (A1 reverse-keyed), pairwise, and the 25 items for the benchmark
data(bfi, package = "psych")
b <- bfi[, 1:25]
write.csv(b, file.path(here, "reliability_bfi_data.csv"), row.names = FALSE, na = "")
out$alpha_bfi_A <- alpha_out(alpha(b[, 1:5], keys = c("A1"), check.keys = FALSE, warnings = FALSE))

# omega (Schmid-Leiman): minres, oblimin, 3 group factors, on the recoded data
out$omega3 <- omega_out(omega(xr, nfactors = 3, plot = FALSE))
out$omega3_poly <- omega_out(omega(xr, nfactors = 3, poly = TRUE, plot = FALSE))
suppressWarnings(suppressMessages(o1 <- omega(xr, nfactors = 1, plot = FALSE)))
out$omega1 <- omega_out(o1)
out$omega1$loadings <- unname(o1$schmid$oblique[, 1])

out$omega3_listwise <- omega_out(omega(na.omit(xr), nfactors = 3, plot = FALSE))

# correlation matrices with pairwise deletion (qimscale corr)
out$cor_pearson <- unname(cor(x, use = "pairwise"))
out$cor_spearman <- unname(cor(x, use = "pairwise", method = "spearman"))

# split half and Guttman's lambdas
out$split12 <- split_out(splitHalf(xr, check.keys = FALSE))
out$split7 <- split_out(splitHalf(xr[, 1:7], check.keys = FALSE))
gt <- suppressWarnings(guttman(xr))
out$guttman12 <- list(lambda1 = gt$lambda.1, lambda2 = gt$lambda.2, lambda3 = gt$lambda.3,
                      lambda4 = gt$lambda.4, lambda5 = gt$lambda.5, lambda6 = gt$lambda.6)

# ------------------------------------------------------------------ test-retest ICC
set.seed(7)
ns <- 60
true <- rnorm(ns, 3, 0.8)
occ <- c(0, 0.15, 0.25)
icc_x <- sapply(occ, function(d) round(true + d + rnorm(ns, 0, 0.4), 2))
colnames(icc_x) <- c("t1", "t2", "t3")
icc_x <- as.data.frame(icc_x)
write.csv(icc_x, file.path(here, "reliability_icc_data.csv"), row.names = FALSE)
ic <- ICC(icc_x, lmer = FALSE)
out$icc <- list(type = ic$results$type, ICC = ic$results$ICC, F = ic$results$F,
                df1 = ic$results$df1, df2 = ic$results$df2, p = ic$results$p,
                lower = ic$results[["lower bound"]], upper = ic$results[["upper bound"]])
ic2 <- ICC(icc_x[, 1:2], lmer = FALSE)
out$icc2 <- list(type = ic2$results$type, ICC = ic2$results$ICC, F = ic2$results$F,
                 df1 = ic2$results$df1, df2 = ic2$results$df2, p = ic2$results$p,
                 lower = ic2$results[["lower bound"]], upper = ic2$results[["upper bound"]])

# bootstrap: psych's percentile interval of raw alpha (1000 replicates); qimscale's
# replicates use other random numbers, so tests compare these loosely. psych draws them
# inside parallel::mclapply, so even set.seed does not make them repeat exactly.
set.seed(11)
ab <- alpha(x, keys = c("i03"), check.keys = FALSE, warnings = FALSE, n.iter = 1000)
out$alpha_boot <- list(boot_ci = unname(ab$boot.ci), boot_sd = sd(ab$boot[, 1]))

out$versions <- list(R = R.version.string, psych = as.character(packageVersion("psych")),
                     GPArotation = as.character(packageVersion("GPArotation")))

write_json(out, file.path(here, "reliability_psych.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE, na = "null")
cat("wrote", file.path(here, "reliability_psych.json"), "\n")
