# psych::smc on a nearly singular correlation matrix (x3 = x1 + x2 + tiny noise):
# psych's Pinv drops singular values below sqrt(eps) times the largest.
# Run from the repository root:  Rscript tests/reference/efa_smc.R  -> tests/reference/efa_smc.json
suppressMessages({library(psych); library(jsonlite)})
here <- "tests/reference"
set.seed(7); n <- 200
x1 <- rnorm(n); x2 <- rnorm(n) + .5 * x1; x4 <- rnorm(n) + .3 * x1
x3 <- x1 + x2 + rnorm(n, sd = 1e-5)
R <- cor(cbind(x1, x2, x3, x4))
s <- suppressMessages(smc(R))
fit <- suppressWarnings(suppressMessages(fa(R, nfactors = 1, n.obs = n, fm = "minres", rotate = "none")))
write_json(list(R = unname(R), smc = unname(s), loadings = unname(as.numeric(fit$loadings))),
           file.path(here, "efa_smc.json"), digits = NA)
cat("done\n")
