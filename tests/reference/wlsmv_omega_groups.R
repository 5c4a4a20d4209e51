# Categorical omega per group (semTools::compRelSEM) for the 3-group WLSMV model
# with equal thresholds and loadings. Run from the repository root:
#   Rscript tests/reference/wlsmv_omega_groups.R -> tests/reference/wlsmv_omega_groups.json
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})
here <- "tests/reference"
dat <- read.csv(file.path(here, "data", "wlsmv_ordinal.csv"))
model <- "
f1 =~ y1 + y2 + y3 + y4 + y5 + y6
f2 =~ y7 + y8 + y9 + y10 + y11 + y12
f3 =~ y13 + y14 + y15 + y16 + y17 + y18
"
fit <- cfa(model, data = dat, ordered = paste0("y", 1:18), estimator = "WLSMV",
           group = "group", group.equal = c("thresholds", "loadings"))
rel <- compRelSEM(fit)
out <- lapply(seq_len(nrow(rel)), function(i) as.list(rel[i, ]))
names(out) <- rownames(rel)
write_json(list(omega = out), file.path(here, "wlsmv_omega_groups.json"), digits = NA,
           auto_unbox = TRUE)
cat("done\n")
