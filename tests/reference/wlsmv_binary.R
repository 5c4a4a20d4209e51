# Binary items with an empty cell in a 2 x 2 table (lavaan adds 0.5 to it and
# keeps the margins). Run from the repository root:
#   Rscript tests/reference/wlsmv_binary.R   -> tests/reference/wlsmv_binary.json
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
here <- "tests/reference"
dat <- read.csv(file.path(here, "data", "wlsmv_ordinal.csv"))[1:300, ]
b <- data.frame(b1 = as.integer(dat$y1 >= 4), b2 = as.integer(dat$y2 >= 3),
                b3 = as.integer(dat$y3 >= 3), b4 = as.integer(dat$y4 >= 3),
                b5 = as.integer(dat$y5 >= 3))
b$b1[b$b2 == 0] <- 0L                     # b1 = 1 only when b2 = 1: one empty cell
write.csv(b, file.path(here, "data", "wlsmv_binary.csv"), row.names = FALSE)
b <- read.csv(file.path(here, "data", "wlsmv_binary.csv"))
fit <- cfa("f =~ b1 + b2 + b3 + b4 + b5", data = b, ordered = names(b), estimator = "WLSMV")
ss <- lavInspect(fit, "sampstat")
fm <- as.list(fitMeasures(fit, c("chisq", "df", "chisq.scaled", "cfi.scaled", "tli.scaled",
                                 "rmsea.scaled", "srmr")))
pe <- parameterEstimates(fit, standardized = TRUE)[, c("lhs", "op", "rhs", "est", "se", "std.all")]
write_json(list(table_b1_b2 = matrix(as.integer(table(b$b1, b$b2)), 2),
                th = unname(ss$th), cor = unname(ss$cov),
                gamma = unname(lavInspect(fit, "gamma")), fit = fm, estimates = pe),
           file.path(here, "wlsmv_binary.json"), digits = NA, auto_unbox = TRUE)
cat("done\n")
