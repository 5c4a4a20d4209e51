# Reference values for qimscale's EFA (tests/test_efa_*.py).
# Run from the repository root:  Rscript tests/reference/efa_psych.R
# Writes tests/reference/data/efa_*.csv (simulated data) and tests/reference/efa_psych.json.
suppressMessages({library(psych); library(GPArotation); library(jsonlite)})
here <- "tests/reference"
dir.create(file.path(here, "data"), showWarnings = FALSE)

sim_items <- function(n, lambda, phi, cuts = c(-1.5, -0.5, 0.5, 1.5)) {
  p <- nrow(lambda)
  f <- matrix(rnorm(n * ncol(lambda)), n) %*% chol(phi)
  e <- matrix(rnorm(n * p), n) %*% diag(sqrt(1 - rowSums((lambda %*% phi) * lambda)))
  y <- f %*% t(lambda) + e
  x <- apply(y, 2, function(v) as.integer(cut(v, c(-Inf, cuts, Inf))))
  colnames(x) <- rownames(lambda)
  x
}

set.seed(20261126)
# d3: 15 items, 3 correlated factors (5 items each), N = 800, 5-point responses
lam3 <- matrix(0, 15, 3)
lam3[1:5, 1] <- c(.75, .70, .65, .60, .55)
lam3[6:10, 2] <- c(.72, .68, .62, .58, .52)
lam3[11:15, 3] <- c(.78, .66, .64, .56, .50)
lam3[5, 2] <- .25
rownames(lam3) <- c(paste0("q", 1:5), paste0("l", 1:5), paste0("i", 1:5))
phi3 <- matrix(c(1, .35, .25, .35, 1, .30, .25, .30, 1), 3)
d3 <- sim_items(800, lam3, phi3)
write.csv(d3, file.path(here, "data", "efa_d3.csv"), row.names = FALSE)

# d4m: 16 items, 4 factors (4 items each), N = 600, 7-point responses, ~5% missing (MCAR)
lam4 <- matrix(0, 16, 4)
for (j in 1:4) lam4[(4 * j - 3):(4 * j), j] <- c(.75, .68, .62, .55)
rownames(lam4) <- paste0("x", 1:16)
phi4 <- diag(4); phi4[phi4 == 0] <- .2
d4 <- sim_items(600, lam4, phi4, cuts = c(-1.6, -1, -.4, .4, 1, 1.6))
miss <- matrix(runif(length(d4)) < .05, nrow(d4))
d4[miss] <- NA
write.csv(d4, file.path(here, "data", "efa_d4m.csv"), row.names = FALSE, na = "")

fa_out <- function(x, nf, fm, rot, cor = "cor") {
  f <- suppressWarnings(suppressMessages(fa(x, nfactors = nf, fm = fm, rotate = rot, cor = cor)))
  Phi <- if (is.null(f$Phi)) diag(nf) else f$Phi
  list(loadings = unclass(f$loadings), phi = Phi, structure = unclass(f$Structure),
       communality = unname(f$communality), uniquenesses = unname(f$uniquenesses),
       vaccounted = unname(f$Vaccounted), e_values = f$e.values, values = f$values,
       rmsea_lower = if (is.null(f$RMSEA)) NA else unname(f$RMSEA[2]),
       rmsea_upper = if (is.null(f$RMSEA)) NA else unname(f$RMSEA[3]),
       objective = f$objective, statistic = if (is.null(f$STATISTIC)) NA else f$STATISTIC,
       dof = f$dof, rmsea = if (is.null(f$RMSEA)) NA else unname(f$RMSEA[1]),
       tli = if (is.null(f$TLI)) NA else f$TLI, bic = if (is.null(f$BIC)) NA else f$BIC,
       rms = f$rms, crms = f$crms, fit = f$fit, fit_off = f$fit.off,
       null_chisq = if (is.null(f$null.chisq)) NA else f$null.chisq,
       sort_order = fa.sort(f)$order,
       weights = unname(f$weights))
}

out <- list(psych = as.character(packageVersion("psych")),
            gparotation = as.character(packageVersion("GPArotation")))
rots <- c("none", "oblimin", "varimax", "promax", "geominQ", "quartimin", "quartimax", "bifactor", "biquartimin")
for (dn in c("d3", "d4m")) {
  x <- if (dn == "d3") d3 else d4
  nf <- if (dn == "d3") 3 else 4
  r <- cor(x, use = "pairwise")
  res <- list(items = colnames(x), n = nrow(x), nf = nf, r = r)
  for (fm in c("minres", "ml", "pa")) {
    for (rot in rots) res[[paste(fm, rot, sep = "_")]] <- fa_out(x, nf, fm, rot)
  }
  res[["minres_1f"]] <- fa_out(x, 1, "minres", "none")
  res[["minres_2f_oblimin"]] <- fa_out(x, 2, "minres", "oblimin")
  for (sc in c("regression", "Bartlett", "tenBerge")) {
    f <- suppressWarnings(fa(x, nf, scores = sc))
    res[[paste0("scores_", sc)]] <- list(weights = unname(f$weights), head = unname(f$scores[1:10, ]))
  }
  res$kmo <- list(msa = KMO(r)$MSA, msai = unname(KMO(r)$MSAi))
  b <- cortest.bartlett(r, n = nrow(x))
  res$bartlett <- list(chisq = b$chisq, df = b$df, p = b$p.value)
  out[[dn]] <- res
}
# polychoric EFA on d3 (psych::fa(cor = "poly"))
pc <- polychoric(d3, correct = .5)
out$d3$poly_r <- pc$rho
out$d3$poly_minres_oblimin <- fa_out(d3, 3, "minres", "oblimin", cor = "poly")

# GPArotation directly on a fixed unrotated matrix (the d3 minres unrotated loadings)
A <- unclass(suppressMessages(fa(d3, 3, rotate = "none"))$loadings)
tgt <- matrix(0, 15, 3); tgt[1:5, 1] <- 1; tgt[6:10, 2] <- 1; tgt[11:15, 3] <- 1
gp <- function(o) list(loadings = unclass(o$loadings), phi = if (is.null(o$Phi)) diag(3) else o$Phi, Th = o$Th)
out$gpa <- list(A = A, target = tgt,
  oblimin = gp(oblimin(A)), oblimin_g05 = gp(oblimin(A, gam = .5)), quartimin = gp(quartimin(A)),
  geominQ = gp(geominQ(A)), geominT = gp(geominT(A)), quartimax = gp(quartimax(A)),
  Varimax = gp(Varimax(A)), targetQ = gp(targetQ(A, Target = tgt)), targetT = gp(targetT(A, Target = tgt)),
  oblimin_norm = gp(oblimin(A, normalize = TRUE)), bifactorT = gp(bifactorT(A)),
  stats_varimax = list(loadings = unclass(varimax(A)$loadings), rotmat = varimax(A)$rotmat))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, matrix = "rowmajor", na = "null"),
           file.path(here, "efa_psych.json"))
cat("wrote", file.path(here, "efa_psych.json"), "\n")
