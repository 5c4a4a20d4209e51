# Review 3: a five-factor EFA of psych::bfi's 25 items (the usual Big Five
# exercise), with psych's pairwise-complete correlations over its missing values
# (and polychoric correlations); KMO, Bartlett's test, MAP and the observed
# eigenvalues of fa.parallel on the same data.
# Run from the repository root:  Rscript tests/reference/review3_efa_bfi.R
# Reads tests/reference/reliability_bfi_data.csv (psych::bfi[, 1:25], written by
# reliability_psych.R); writes tests/reference/review3_efa_bfi.json beside itself.
suppressMessages({library(psych); library(GPArotation); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
x <- read.csv(file.path(here, "reliability_bfi_data.csv"))

one <- function(fm, rot, cor = "cor") {
  f <- suppressWarnings(suppressMessages(fa(x, nfactors = 5, fm = fm, rotate = rot, cor = cor)))
  list(fm = fm, rotate = rot, cor = cor,
       loadings = unclass(f$loadings), phi = if (is.null(f$Phi)) diag(5) else f$Phi,
       communality = unname(f$communality), uniquenesses = unname(f$uniquenesses),
       objective = f$objective, statistic = f$STATISTIC, dof = f$dof,
       rmsea = unname(f$RMSEA[1]), rmsea_lower = unname(f$RMSEA[2]), rmsea_upper = unname(f$RMSEA[3]),
       tli = f$TLI, bic = f$BIC, rms = f$rms, crms = f$crms, fit = f$fit, fit_off = f$fit.off,
       null_chisq = f$null.chisq, n_obs = f$n.obs,
       sort_order = fa.sort(f)$order)
}
out <- list(versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                            GPArotation = as.character(packageVersion("GPArotation"))),
            items = names(x), n = nrow(x),
            fits = list(ml_promax = one("ml", "promax"), ml_oblimin = one("ml", "oblimin"),
                        minres_oblimin = one("minres", "oblimin"), pa_varimax = one("pa", "varimax"),
                        ml_geominQ = one("ml", "geominQ"),
                        poly_minres_oblimin = one("minres", "oblimin", cor = "poly")))
# the checks a researcher runs before the EFA, on the raw data (pairwise correlations)
k <- KMO(x)
bt <- suppressWarnings(cortest.bartlett(x))
v <- suppressWarnings(suppressMessages(vss(x, n = 8, plot = FALSE)))
pa <- suppressWarnings(suppressMessages(fa.parallel(x, n.iter = 2, plot = FALSE)))
out$kmo <- list(msa = k$MSA, msai = unname(k$MSAi))
out$bartlett <- list(chisq = bt$chisq, df = bt$df, p = bt$p.value)
out$map <- v$map
out$parallel_observed <- list(fa_values = pa$fa.values, pc_values = pa$pc.values)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, matrix = "rowmajor", na = "null"),
           file.path(here, "review3_efa_bfi.json"))
cat("done\n")
