# WLSMVResult's CFAResult-like methods: implied correlations and thresholds, correlation
# residuals, HTMT from polychoric correlations, and factor correlations / AVE.
# Run from the repository root:
#   Rscript tests/reference/wlsmv_result_methods.R   -> tests/reference/wlsmv_result_methods.json
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})
here <- "tests/reference"
dat <- read.csv(file.path(here, "data", "wlsmv_ordinal.csv"))
d <- dat[dat$group %in% c("A", "B"), c("y1", "y2", "y3", "y4", "y5", "y6", "y7", "y8", "y9")]
model <- "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8 + y9"
fit <- cfa(model, data = d, ordered = names(d), estimator = "WLSMV")
imp <- lavInspect(fit, "implied")
res <- lavResiduals(fit, type = "cor")
write_json(list(model = model, n = nrow(d),
                implied_cor = unname(imp$cov), implied_th = unname(as.numeric(imp$th)),
                th_names = names(imp$th),
                resid_cor = unname(res$cov),
                htmt = unname(htmt(model, data = d, ordered = names(d))),
                ave = unname(AVE(fit)),
                factor_cor = unname(lavInspect(fit, "cor.lv"))),
           file.path(here, "wlsmv_result_methods.json"), digits = NA, auto_unbox = TRUE)
cat("done\n")
