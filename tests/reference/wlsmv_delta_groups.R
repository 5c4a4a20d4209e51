# Scale factors (~*~) of the delta parameterisation across groups, with a
# binary item: lavaan frees them in groups 2.. only when the thresholds are
# held equal (binary items included), and fixes them to 1 otherwise.
# Run from the repository root:
#   Rscript tests/reference/wlsmv_delta_groups.R   -> tests/reference/wlsmv_delta_groups.json
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
here <- "tests/reference"
dat <- read.csv(file.path(here, "data", "wlsmv_ordinal.csv"))
d <- data.frame(y1 = dat$y1, y2 = dat$y2, y3 = dat$y3, y4 = dat$y4,
                b5 = as.integer(dat$y5 >= 3), group = dat$group)
write.csv(d, file.path(here, "data", "wlsmv_delta_groups.csv"), row.names = FALSE)
d <- read.csv(file.path(here, "data", "wlsmv_delta_groups.csv"))
model <- "f1 =~ y1 + y2 + y3 + y4 + b5"
one <- function(ge) {
  fit <- cfa(model, data = d, ordered = c("y1", "y2", "y3", "y4", "b5"), estimator = "WLSMV",
             group = "group", group.equal = ge)
  pe <- parameterEstimates(fit)
  pe <- pe[pe$op == "~*~", c("lhs", "op", "rhs", "group", "est", "se")]
  list(group_equal = ge,
       fit = as.list(fitMeasures(fit, c("npar", "df", "chisq", "chisq.scaled", "cfi.scaled",
                                        "rmsea.scaled", "srmr"))),
       scale = pe)
}
out <- list(model = model,
            fits = list(loadings = one("loadings"),
                        thresholds_loadings = one(c("thresholds", "loadings"))))
write_json(out, file.path(here, "wlsmv_delta_groups.json"), digits = NA, auto_unbox = TRUE)
cat("done\n")
