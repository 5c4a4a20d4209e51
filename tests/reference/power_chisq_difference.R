# Power of a chi-square (difference) test under a noncentral chi-square alternative, and the
# smallest n per group reaching a goal with semPower's ncp = sum_g (N_g - 1) F0 = (N - g) F0.
# qimscale.analysis.simulate.power.power_chisq_noncentral / n_for_power_chisq reproduce these.
# Run from the repository root:  Rscript tests/reference/power_chisq_difference.R
suppressMessages(library(jsonlite))
pw <- function(ncp, df, alpha) pchisq(qchisq(1 - alpha, df), df, ncp, lower.tail = FALSE)
grid <- expand.grid(ncp = c(0, 0.5, 3, 10, 25.5, 80), df = c(1, 3, 12, 40), alpha = c(0.01, 0.05))
grid$power <- mapply(pw, grid$ncp, grid$df, grid$alpha)
ng <- expand.grid(f0 = c(0.002, 0.01, 0.05), df = c(1, 6), groups = c(1, 3), goal = c(0.8, 0.9))
ng$n <- mapply(function(f0, df, g, goal) {
  n <- 2
  while (pw(g * (n - 1) * f0, df, 0.05) < goal) n <- n + 1
  n
}, ng$f0, ng$df, ng$groups, ng$goal)
out <- list(r_version = R.version.string, power = grid, n_required = ng)
writeLines(toJSON(out, digits = NA, pretty = TRUE), "tests/reference/power_chisq_difference.json")
