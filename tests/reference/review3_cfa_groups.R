# Review 3: CFA of a three-factor, nine-item Likert scale in two sites, as a services
# researcher fits it: a correlated residual and an equality label in the model,
# standardized solutions, modification indices (one group, two groups, MLR),
# MLR + FIML with two groups and equal loadings and intercepts, and composite
# reliability / AVE (semTools) per group.
# Run from the repository root:  Rscript tests/reference/review3_cfa_groups.R
# Writes tests/reference/data/review3_cfa_groups.csv (simulated, shared with the
# Python tests) and tests/reference/review3_cfa_groups.json beside itself.
suppressMessages({library(lavaan); library(semTools); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
set.seed(20261130)
ng <- 260
phi <- matrix(c(1, .5, .35, .5, 1, .4, .35, .4, 1), 3)
lam <- c(.75, .7, .7, .65, .6, .7, .8, .6, .55)
fac <- rep(1:3, each = 3)
out <- NULL
for (g in 1:2) {
  eta <- matrix(rnorm(ng * 3), ng) %*% chol(phi)
  if (g == 2) eta <- sweep(eta, 2, c(.3, -.2, .1), "+")
  e <- matrix(rnorm(ng * 9), ng)
  e[, 8] <- .45 * e[, 7] + sqrt(1 - .45^2) * e[, 8]   # x7 and x8 share wording
  ystar <- sweep(eta[, fac], 2, lam, "*") + e %*% diag(sqrt(1 - lam^2))
  ystar[, 6] <- ystar[, 6] + .25 * eta[, 1]            # a small cross-loading (for the MIs)
  Y <- sapply(1:9, function(j) findInterval(ystar[, j], c(-1.5, -.6, .3, 1.2) + if (g == 2 && j == 2) .3 else 0) + 1L)
  d <- as.data.frame(Y); names(d) <- paste0("x", 1:9)
  d$site <- c("primary", "hospital")[g]
  out <- rbind(out, d)
}
m <- as.matrix(out[, 1:9]); m[runif(length(m)) < .07] <- NA
dm <- out; dm[, 1:9] <- m
names(dm)[1:9] <- paste0("m", 1:9)                   # the same answers with ~7% MCAR gaps
write.csv(cbind(out, dm[, 1:9]), file.path(here, "data", "review3_cfa_groups.csv"), row.names = FALSE, na = "")
dat <- read.csv(file.path(here, "data", "review3_cfa_groups.csv"))
dmiss <- dat[, c(paste0("m", 1:9), "site")]
names(dmiss)[1:9] <- paste0("x", 1:9)

model <- "F1 =~ x1 + a*x2 + a*x3
F2 =~ x4 + x5 + x6
F3 =~ x7 + x8 + x9
x7 ~~ x8"
model_plain <- "F1 =~ x1 + x2 + x3\nF2 =~ x4 + x5 + x6\nF3 =~ x7 + x8 + x9"
pe <- function(fit) {
  p <- parameterEstimates(fit, standardized = TRUE)
  if (is.null(p$group)) p$group <- 1L
  p[, intersect(c("lhs", "op", "rhs", "group", "label", "est", "se", "z", "pvalue", "std.lv", "std.all"), names(p))]
}
mi <- function(fit) {
  x <- modindices(fit)
  if (is.null(x$group)) x$group <- 1L
  x[, c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.all")]
}
summ <- function(fit, with_mi = FALSE) {
  o <- list(estimates = pe(fit), fit = as.list(fitMeasures(fit)), ntotal = lavInspect(fit, "ntotal"))
  if (with_mi) o$modindices <- mi(fit)
  o
}
res <- list(lavaan_version = as.character(packageVersion("lavaan")), model = model, model_plain = model_plain)
rel <- function(fit) {
  # semTools gives one row per group for a multi-group fit
  om <- compRelSEM(fit); av <- AVE(fit)
  if (is.data.frame(om)) list(omega = om, ave = av) else list(omega = as.list(om), ave = as.list(av))
}
res$reliability <- list(ml_one = rel(cfa(model, data = dat)),
                        ml_two_scalar = rel(cfa(model, data = dat, group = "site", group.equal = c("loadings", "intercepts"))),
                        mlr_fiml_one = rel(cfa(model, data = dmiss, missing = "fiml", estimator = "MLR")),
                        mlr_fiml_two_scalar = rel(cfa(model, data = dmiss, group = "site",
                                                      group.equal = c("loadings", "intercepts"),
                                                      missing = "fiml", estimator = "MLR")))
res$ml_one <- summ(cfa(model, data = dat), with_mi = TRUE)
res$ml_one_stdlv <- summ(cfa(model, data = dat, std.lv = TRUE))
res$mlr_one <- summ(cfa(model, data = dat, estimator = "MLR"), with_mi = TRUE)
res$ml_two_scalar <- summ(cfa(model, data = dat, group = "site", group.equal = c("loadings", "intercepts")),
                          with_mi = TRUE)
res$ml_two_plain_metric <- summ(cfa(model_plain, data = dat, group = "site", group.equal = "loadings"),
                                with_mi = TRUE)
res$mlr_fiml_two_scalar <- summ(cfa(model, data = dmiss, group = "site", group.equal = c("loadings", "intercepts"),
                                    missing = "fiml", estimator = "MLR"))
res$mlr_fiml_two_partial <- summ(cfa(model, data = dmiss, group = "site", group.equal = c("loadings", "intercepts"),
                                     group.partial = "x2 ~ 1", missing = "fiml", estimator = "MLR"))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "review3_cfa_groups.json"))
cat("done\n")
