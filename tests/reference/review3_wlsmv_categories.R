# Review 3: WLSMV with 7-category items (two factors, a correlated residual, std.lv
# too), with binary items (two factors, an equality label, a correlated residual),
# and with 7-category and binary items in one model.
# Run from the repository root:  Rscript tests/reference/review3_wlsmv_categories.R
# Writes tests/reference/data/review3_wlsmv_categories.csv (simulated, shared with
# the Python tests) and tests/reference/review3_wlsmv_categories.json beside itself.
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
set.seed(20261127)
n <- 500
phi <- matrix(c(1, .45, .45, 1), 2)
eta <- matrix(rnorm(n * 2), n) %*% chol(phi)
lam <- c(.8, .7, .65, .6, .75, .7, .6, .55)
fac <- rep(1:2, each = 4)
e <- matrix(rnorm(n * 8), n)
e[, 4] <- .5 * e[, 3] + sqrt(.75) * e[, 4]         # y3 and y4 share a residual
ystar <- sweep(eta[, fac], 2, lam, "*") + e %*% diag(sqrt(1 - lam^2))
ystar[, 6] <- ystar[, 6] + .3 * eta[, 1]            # a small misfit for the fitted models
cut7 <- c(-2.2, -1.4, -.6, .1, .8, 1.9)             # top category sparse (~3%)
d <- as.data.frame(sapply(1:8, function(j) findInterval(ystar[, j], cut7 + .08 * (j - 4)) + 1L))
names(d) <- paste0("y", 1:8)
cutb <- c(-.5, .2, .0, .6, -.3, .4, .9, 1.2)       # binary splits, some skewed
b <- as.data.frame(sapply(1:8, function(j) as.integer(ystar[, j] > cutb[j])))
names(b) <- paste0("b", 1:8)
write.csv(cbind(d, b), file.path(here, "data", "review3_wlsmv_categories.csv"), row.names = FALSE)
dat <- read.csv(file.path(here, "data", "review3_wlsmv_categories.csv"))

models <- list(
  seven = list(model = "F1 =~ y1 + y2 + y3 + y4\nF2 =~ y5 + y6 + y7 + y8\ny3 ~~ y4", ordered = paste0("y", 1:8),
               std_lv = FALSE),
  seven_stdlv = list(model = "F1 =~ y1 + y2 + y3 + y4\nF2 =~ y5 + y6 + y7 + y8", ordered = paste0("y", 1:8),
                     std_lv = TRUE),
  binary = list(model = "F1 =~ b1 + a*b2 + a*b3 + b4\nF2 =~ b5 + b6 + b7 + b8\nb7 ~~ b8", ordered = paste0("b", 1:8),
                std_lv = FALSE),
  mixed = list(model = "F1 =~ y1 + y2 + y3 + y4\nF2 =~ b5 + b6 + b7 + b8", ordered = c(paste0("y", 1:4), paste0("b", 5:8)),
               std_lv = FALSE)
)
out <- list(lavaan_version = as.character(packageVersion("lavaan")),
            categories = lapply(dat, function(v) as.list(table(v))))
for (nm in names(models)) {
  m <- models[[nm]]
  fit <- cfa(m$model, data = dat, ordered = m$ordered, estimator = "WLSMV", std.lv = m$std_lv)
  pe <- parameterEstimates(fit, standardized = TRUE)
  pe <- pe[, intersect(c("lhs", "op", "rhs", "label", "est", "se", "z", "std.lv", "std.all"), names(pe))]
  ss <- lavInspect(fit, "sampstat")
  out[[nm]] <- c(m, list(converged = lavInspect(fit, "converged"), fit = as.list(fitMeasures(fit)),
                         th = unname(ss$th), th_names = names(ss$th), cor = unname(ss$cov), estimates = pe))
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "review3_wlsmv_categories.json"))
cat("done\n")
