# WLSMV with missing = "pairwise" (thresholds from each item's available cases,
# polychorics from pairwise-complete tables, Gamma from casewise scores with
# missing contributions set to zero). Run from the repository root:
#   Rscript tests/reference/wlsmv_pairwise.R -> tests/reference/wlsmv_pairwise.json
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
here <- "tests/reference"
set.seed(7)
dat <- read.csv(file.path(here, "data", "wlsmv_ordinal.csv"))[, c(paste0("y", 1:6), "group")]
for (j in 1:6) dat[runif(nrow(dat)) < 0.06, j] <- NA   # about 6% missing per item (MCAR)
write.csv(dat, file.path(here, "data", "wlsmv_pairwise.csv"), row.names = FALSE, na = "")
dat <- read.csv(file.path(here, "data", "wlsmv_pairwise.csv"))
items <- paste0("y", 1:6)
model <- "f1 =~ y1 + y2 + y3 + y4 + y5 + y6"
fm_names <- c("chisq", "df", "chisq.scaled", "chisq.scaling.factor", "cfi.scaled",
              "tli.scaled", "rmsea.scaled", "srmr", "ntotal")
one <- function(fit) {
  ss <- lavInspect(fit, "sampstat")
  list(th = unname(ss$th), cor = unname(ss$cov),
       gamma = unname(lavInspect(fit, "gamma")),
       nobs = lavInspect(fit, "nobs"),
       fit = as.list(fitMeasures(fit, fm_names)),
       estimates = parameterEstimates(fit, standardized = TRUE)[,
         c("lhs", "op", "rhs", "est", "se", "std.all")])
}
fit1 <- cfa(model, data = dat, ordered = items, estimator = "WLSMV", missing = "pairwise")
fit2 <- cfa(model, data = dat, ordered = items, estimator = "WLSMV", missing = "pairwise",
            group = "group", group.equal = c("thresholds", "loadings"))
write_json(list(single = one(fit1),
                group = list(fit = as.list(fitMeasures(fit2, fm_names)),
                             nobs = lavInspect(fit2, "nobs"))),
           file.path(here, "wlsmv_pairwise.json"), digits = NA, auto_unbox = TRUE)
cat("done\n")
