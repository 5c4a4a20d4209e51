# Closed-form power values that qimscale.analysis.simulate.power reproduces.
# Run from the repository root:  Rscript tests/reference/power_closed_forms.R
suppressMessages({library(jsonlite); library(semTools)})
tt <- expand.grid(n = c(10, 20, 50, 64, 100), d = c(0.2, 0.5, 0.8))
tt$power <- mapply(function(n, d) power.t.test(n = n, delta = d, sd = 1, sig.level = 0.05)$power, tt$n, tt$d)
# pwr::pwr.f2.test's computation (pwr is not installed): lambda = f2 (u + v + 1)
f2 <- expand.grid(n = c(50, 100, 400, 900), f2 = c(0.02, 0.15), u = c(1, 3), k = 4)
f2$v <- f2$n - f2$k - 1
f2$power <- with(f2, 1 - pf(qf(0.95, u, v), u, v, ncp = f2 * (u + v + 1)))
rm <- expand.grid(n = c(100, 200, 400), df = c(20, 100, 815))
rm$close <- mapply(function(n, df) findRMSEApower(0.05, 0.08, df, n, 0.05), rm$n, rm$df)
rm$notclose <- mapply(function(n, df) findRMSEApower(0.05, 0.01, df, n, 0.05), rm$n, rm$df)
out <- list(r_version = R.version.string, semTools = as.character(packageVersion("semTools")),
            t_test = tt, f2 = f2, rmsea = rm)
writeLines(toJSON(out, digits = NA, pretty = TRUE), "tests/reference/power_closed_forms.json")
