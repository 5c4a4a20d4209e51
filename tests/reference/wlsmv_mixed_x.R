# WLSMV with ordered items, continuous endogenous observed variables and observed exogenous
# covariates (lavaan 0.6's default conditional.x = TRUE for categorical data): a continuous
# performance score regressed on two ordinal-measured factors and a covariate, a factor with a
# continuous indicator (and a second one) regressed on covariates, pairwise missingness, a factor
# with one ordered and three continuous indicators, a residual covariance of a continuous and an
# ordered indicator, and two groups (configural; equal loadings, thresholds, intercepts, slopes).
# Run from the repository root:  Rscript tests/reference/wlsmv_mixed_x.R
# Writes tests/reference/data/wlsmv_mixed_x.csv (simulated, seeded) and
# tests/reference/wlsmv_mixed_x.json beside this script.
suppressMessages({library(lavaan); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
set.seed(20261206)
n <- 600
years <- round(runif(n, 0, 20), 1)
female <- rbinom(n, 1, 0.55)
F1 <- 0.04 * years + rnorm(n)
F2 <- 0.5 * F1 + rnorm(n)
cuts <- c(-Inf, -1.2, -0.3, 0.5, 1.4, Inf)
item <- function(f, l) as.integer(cut(l * (f - mean(f)) / sd(f) + rnorm(n, sd = sqrt(1 - l^2)), cuts))
d <- data.frame(y1 = item(F1, .75), y2 = item(F1, .7), y3 = item(F1, .8), y4 = item(F1, .65),
                y5 = item(F2, .75), y6 = item(F2, .7), y7 = item(F2, .7),
                perf = round(50 + 4 * F1 + 3 * F2 + 0.3 * years + rnorm(n, sd = 6), 2),
                c1 = round(0.8 * F1 + 0.3 * female + rnorm(n, sd = 0.6), 3),
                c2 = round(10 + 2 * F1 + rnorm(n, sd = 1.5), 3),
                years = years, female = female, grp = rep(c("A", "B"), length.out = n))
dm <- d
dm$y2[seq(3, n, by = 37)] <- NA
dm$c1[seq(5, n, by = 23)] <- NA
dm$perf[seq(7, n, by = 29)] <- NA
d$y2m <- dm$y2; d$c1m <- dm$c1; d$perfm <- dm$perf
# rows whose ordered items are all missing but the continuous indicator is observed (lavaan keeps them)
d$y1p <- d$y1; d$y2p <- d$y2; d$y3p <- d$y3
d[1:6, c("y1p", "y2p", "y3p")] <- NA
write.csv(d, file.path(here, "data", "wlsmv_mixed_x.csv"), row.names = FALSE, na = "")

ord <- c(paste0("y", 1:7), "y2m", "y1p", "y2p", "y3p")
cases <- list(
  list(name = "perf_on_factors", model = "F1 =~ y1 + y2 + y3 + y4\nF2 =~ y5 + y6 + y7\nperf ~ F1 + F2 + years"),
  list(name = "continuous_indicator", model = "F =~ y1 + y2 + y3 + c1\nF ~ years"),
  list(name = "two_continuous_direct", model = "F =~ y1 + y2 + y3 + c1 + c2\nF ~ years + female\nc1 ~ female"),
  list(name = "pairwise_missing", model = "F1 =~ y1 + y2m + y3 + y4\nF2 =~ y5 + y6 + y7\nperfm ~ F1 + F2 + years",
       missing = "pairwise"),
  list(name = "pairwise_missing_indicator", model = "F =~ y1 + y2m + y3 + c1m\nF ~ years", missing = "pairwise"),
  list(name = "pairwise_rows_without_items", model = "F =~ y1p + y2p + y3p + c1\nF ~ years", missing = "pairwise"),
  list(name = "one_ordered_item", model = "F =~ y1 + c1 + c2 + perf\nF ~ years"),
  list(name = "ordinal_continuous_residual_cov", model = "F =~ y1 + y2 + y3 + c1\nF ~ years\nc1 ~~ y1"),
  list(name = "groups_configural", model = "F =~ y1 + y2 + y3 + c1\nF ~ years", group = "grp"),
  list(name = "groups_equal", model = "F =~ y1 + y2 + y3 + c1\nF ~ years", group = "grp",
       group_equal = c("loadings", "thresholds", "intercepts", "regressions"))
)
out <- list(lavaan_version = as.character(packageVersion("lavaan")), cases = list())
keep <- c("npar", "ntotal", "chisq", "df", "pvalue", "chisq.scaled", "chisq.scaling.factor", "pvalue.scaled",
          "cfi", "tli", "rmsea", "baseline.chisq", "baseline.df", "baseline.chisq.scaled",
          "cfi.scaled", "tli.scaled", "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "srmr")
for (cs in cases) {
  warns <- character()
  miss <- if (is.null(cs$missing)) "listwise" else cs$missing
  f <- tryCatch(withCallingHandlers(
    sem(cs$model, data = d, ordered = intersect(ord, lavNames(lavaanify(cs$model), "ov")),
        estimator = "WLSMV", missing = miss, group = cs$group,
        group.equal = if (length(cs$group_equal)) cs$group_equal else ""),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") }),
    error = function(e) conditionMessage(e))
  rec <- list(name = cs$name, model = cs$model, missing = miss, warnings = warns,
              group = if (is.null(cs$group)) NA else cs$group,
              group_equal = if (length(cs$group_equal)) cs$group_equal else character())
  if (is.character(f)) {
    rec$error <- f
  } else {
    pe <- parameterEstimates(f, standardized = TRUE)
    if (is.null(pe$group)) pe$group <- 1L
    rec$estimates <- pe[, c("lhs", "op", "rhs", "group", "est", "se", "std.lv", "std.all")]
    rec$fit <- tryCatch(as.list(fitMeasures(f, keep)), error = function(e) list(error = conditionMessage(e)))
    aslist <- function(v) if (is.list(v)) unname(v) else list(v)
    rec$r2 <- lapply(aslist(lavInspect(f, "r2")), as.list)
    rec$wls_obs <- lapply(aslist(lavInspect(f, "wls.obs")), unname)
    rec$gamma <- lapply(aslist(lavInspect(f, "gamma")), function(g) unname(g[lower.tri(g, diag = TRUE)]))
  }
  out$cases[[length(out$cases) + 1]] <- rec
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "wlsmv_mixed_x.json"))
cat("done\n")
