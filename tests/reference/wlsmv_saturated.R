# WLSMV fit measures of a saturated model (df = 0): one factor, three ordered items.
# Run from the repository root:
#   Rscript tests/reference/wlsmv_saturated.R   -> tests/reference/wlsmv_saturated.json
suppressMessages({library(lavaan); library(jsonlite)})
here <- "tests/reference"
d <- read.csv(file.path(here, "data", "wlsmv_ordinal.csv"))
fit <- cfa("f =~ y1 + y2 + y3", data = d, ordered = TRUE, estimator = "WLSMV")
fm <- fitMeasures(fit)
fm <- as.list(fm[grepl("chisq|^df|cfi|tli|rmsea", names(fm))])
fm <- lapply(fm, function(v) if (is.na(v)) "NA" else unname(v))
write_json(list(model = "f =~ y1 + y2 + y3", fit = fm), file.path(here, "wlsmv_saturated.json"),
           digits = NA, auto_unbox = TRUE)
cat("done\n")
