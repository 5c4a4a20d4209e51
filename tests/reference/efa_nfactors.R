# Reference values for qimscale's number-of-factors tools (tests/analysis/efa/test_efa_nfactors.py).
# Run from the repository root:  Rscript tests/reference/efa_nfactors.R
# Needs tests/reference/data/efa_d3.csv and efa_d4m.csv (written by efa_psych.R).
suppressMessages({library(psych); library(jsonlite)})
here <- "tests/reference"
d3 <- as.matrix(read.csv(file.path(here, "data", "efa_d3.csv")))
d4 <- as.matrix(read.csv(file.path(here, "data", "efa_d4m.csv")))
pa_out <- function(p) list(nfact = p$nfact, ncomp = p$ncomp, fa_values = p$fa.values, pc_values = p$pc.values,
                           fa_sim = p$fa.sim, pc_sim = p$pc.sim, fa_simr = p$fa.simr, pc_simr = p$pc.simr)
q <- function(expr) suppressWarnings(suppressMessages(expr))
set.seed(11)
out <- list()
for (dn in c("d3", "d4m")) {
  x <- if (dn == "d3") d3 else d4
  r <- cor(x, use = "pairwise")
  res <- list()
  res$both <- pa_out(q(fa.parallel(x, n.iter = 100, plot = FALSE)))
  res$fa_only <- pa_out(q(fa.parallel(x, n.iter = 50, fa = "fa", plot = FALSE)))
  res$pc_only <- pa_out(q(fa.parallel(x, n.iter = 50, fa = "pc", plot = FALSE)))
  res$matrix_both <- pa_out(q(fa.parallel(r, n.obs = nrow(x), n.iter = 50, plot = FALSE)))
  res$matrix_fa <- pa_out(q(fa.parallel(r, n.obs = nrow(x), n.iter = 50, fa = "fa", plot = FALSE)))
  res$pa_fm <- pa_out(q(fa.parallel(x, n.iter = 20, fm = "pa", plot = FALSE)))
  v <- q(vss(x, n = 8, plot = FALSE))
  res$map <- v$map
  res$map_nfactors <- which.min(v$map)
  out[[dn]] <- res
}
out$d3$poly <- pa_out(q(fa.parallel(d3, n.iter = 20, cor = "poly", plot = FALSE)))
out$d3$map_poly <- q(vss(polychoric(d3)$rho, n = 8, plot = FALSE, n.obs = nrow(d3)))$map
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, matrix = "rowmajor", na = "null"),
           file.path(here, "efa_nfactors.json"))
cat("wrote", file.path(here, "efa_nfactors.json"), "\n")
