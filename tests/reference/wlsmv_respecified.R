# The respecified model (cross-loading y7 on f1, residual covariance y13 ~~ y14)
# by WLSMV. Run from the repository root:
#   Rscript tests/reference/wlsmv_respecified.R -> tests/reference/wlsmv_respecified.json
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
here <- "tests/reference"
dat <- read.csv(file.path(here, "data", "wlsmv_ordinal.csv"))
model <- "
f1 =~ y1 + y2 + y3 + y4 + y5 + y6 + y7
f2 =~ y7 + y8 + y9 + y10 + y11 + y12
f3 =~ y13 + y14 + y15 + y16 + y17 + y18
y13 ~~ y14
"
fit <- cfa(model, data = dat, ordered = paste0("y", 1:18), estimator = "WLSMV")
fm <- as.list(fitMeasures(fit, c("chisq", "df", "chisq.scaled", "cfi.scaled", "tli.scaled",
                                 "rmsea.scaled", "srmr", "npar")))
pe <- parameterEstimates(fit, standardized = TRUE)[, c("lhs", "op", "rhs", "est", "se", "std.all")]
write_json(list(model = model, fit = fm, estimates = pe),
           file.path(here, "wlsmv_respecified.json"), digits = NA, auto_unbox = TRUE)
cat("done\n")
