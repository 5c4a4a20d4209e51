# WLSMV with observed exogenous covariates (lavaan 0.6's default conditional.x = TRUE for
# categorical data): latent variables on one and two covariates (one binary), a MIMIC model with
# a direct effect (DIF), a latent mediation with := and a covariate, binary items with std.lv,
# an ordinal outcome on covariates (and on a factor), a second-order factor on covariates,
# two groups (configural and with equal loadings/thresholds/regressions), pairwise missingness with
# rows missing a covariate (lavaan drops them), and error/identification cases.
# Run from the repository root:  Rscript tests/reference/wlsmv_conditional_x.R
# Writes tests/reference/data/wlsmv_conditional_x.csv (simulated, seeded) and
# tests/reference/wlsmv_conditional_x.json beside this script.
suppressMessages({library(lavaan); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
set.seed(20261207)
n <- 700
x1 <- round(rnorm(n), 4)
xb <- rbinom(n, 1, 0.4)
grp <- rep(c("A", "B"), length.out = n)
F1 <- 0.5 * x1 - 0.4 * xb + rnorm(n)
F2 <- 0.5 * F1 + 0.3 * x1 + rnorm(n)
cuts <- c(-Inf, -1.2, -0.3, 0.5, 1.4, Inf)
item <- function(f, l, shift = 0) as.integer(cut(l * f / sd(f) + shift + rnorm(n, sd = sqrt(1 - l^2)), cuts))
d <- data.frame(y1 = item(F1, .75, 0.4 * xb), y2 = item(F1, .7), y3 = item(F1, .8), y4 = item(F1, .65),
                y5 = item(F2, .75), y6 = item(F2, .7), y7 = item(F2, .7),
                b1 = as.integer(F1 + rnorm(n) > 0), b2 = as.integer(F1 + rnorm(n) > 0.3),
                b3 = as.integer(F1 + rnorm(n) > -0.2), b4 = as.integer(F1 + rnorm(n) > 0.1),
                x1 = x1, xb = xb, x2 = round(0.5 * x1 + rnorm(n), 4), grp = grp)
d$xlin <- 2 * d$x1 - d$xb  # collinear with x1 and xb
d$xconst <- 1
# pairwise missingness: some item responses, and a few rows missing a covariate
dm <- d
dm$y2[seq(3, n, by = 37)] <- NA
dm$y4[seq(5, n, by = 23)] <- NA
dm$x1[seq(11, n, by = 97)] <- NA
d$y2m <- dm$y2; d$y4m <- dm$y4; d$x1m <- dm$x1
write.csv(d, file.path(here, "data", "wlsmv_conditional_x.csv"), row.names = FALSE, na = "")

one <- "F =~ y1 + y2 + y3 + y4\nF ~ x1"
cases <- list(
  list(name = "latent_on_one", model = one),
  list(name = "latent_on_two", model = "F =~ y1 + y2 + y3 + y4\nF ~ x1 + xb"),
  list(name = "mimic_dif", model = "F =~ y1 + y2 + y3 + y4\nF ~ x1 + xb\ny1 ~ xb"),
  list(name = "mediation", model = paste("F1 =~ y1 + y2 + y3 + y4", "F2 =~ y5 + y6 + y7",
                                         "F1 ~ a*x1 + xb", "F2 ~ b*F1 + c*x1", "ind := a*b",
                                         "tot := c + a*b", sep = "\n")),
  list(name = "binary_std_lv", model = "F =~ b1 + b2 + b3 + b4\nF ~ x1 + x2", std_lv = TRUE),
  list(name = "item_only", model = "F =~ y1 + y2 + y3\ny4 ~ x1 + xb"),
  list(name = "outcome_of_factor", model = "F =~ y1 + y2 + y3\nF ~ xb\ny4 ~ F + x1"),
  list(name = "second_order", model = paste("A =~ y1 + y2 + y3 + y4", "B =~ y5 + y6 + y7", "C =~ b1 + b2 + b3 + b4",
                                            "G =~ A + B + C", "G ~ x1 + xb", sep = "\n")),
  list(name = "groups_configural", model = "F =~ y1 + y2 + y3 + y4\nF ~ x1 + xb", group = "grp"),
  list(name = "groups_equal", model = "F =~ y1 + y2 + y3 + y4\nF ~ x1 + xb", group = "grp",
       group_equal = c("loadings", "thresholds", "regressions")),
  list(name = "pairwise_missing", model = "F =~ y1 + y2m + y3 + y4m\nF ~ x1m + xb", missing = "pairwise"),
  list(name = "listwise_missing", model = "F =~ y1 + y2m + y3 + y4m\nF ~ x1m + xb"),
  # errors and warnings
  list(name = "collinear_covariates", model = "F =~ y1 + y2 + y3 + y4\nF ~ x1 + xb + xlin"),
  list(name = "constant_covariate", model = "F =~ y1 + y2 + y3 + y4\nF ~ x1 + xconst"),
  list(name = "not_identified", model = "F =~ y1 + y2 + y3 + y4\nF ~ x1\ny1 ~ x1\ny2 ~ x1\ny3 ~ x1\ny4 ~ x1")
)
out <- list(lavaan_version = as.character(packageVersion("lavaan")), cases = list())
keep <- c("npar", "ntotal", "chisq", "df", "pvalue", "chisq.scaled", "chisq.scaling.factor", "pvalue.scaled",
          "cfi", "tli", "rmsea", "baseline.chisq", "baseline.df", "baseline.chisq.scaled",
          "cfi.scaled", "tli.scaled", "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "srmr")
for (cs in cases) {
  warns <- character()
  std_lv <- isTRUE(cs$std_lv)
  geq <- if (length(cs$group_equal)) cs$group_equal else ""
  miss <- if (is.null(cs$missing)) "listwise" else cs$missing
  f <- tryCatch(withCallingHandlers(
    sem(cs$model, data = d, ordered = TRUE, estimator = "WLSMV", std.lv = std_lv,
        group = cs$group, group.equal = geq, missing = miss),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") }),
    error = function(e) conditionMessage(e))
  rec <- list(name = cs$name, model = cs$model, std_lv = std_lv, group = if (is.null(cs$group)) NA else cs$group,
              group_equal = if (length(cs$group_equal)) cs$group_equal else character(), missing = miss,
              warnings = warns)
  if (is.character(f)) {
    rec$error <- f
  } else {
    pe <- parameterEstimates(f, standardized = TRUE)
    if (is.null(pe$group)) pe$group <- 1L
    rec$estimates <- pe[, c("lhs", "op", "rhs", "group", "est", "se", "std.lv", "std.all")]
    rec$fit <- tryCatch(as.list(fitMeasures(f, keep)), error = function(e) list(error = conditionMessage(e)))
    r2 <- lavInspect(f, "r2")
    if (!is.list(r2)) r2 <- list(r2)
    rec$r2 <- lapply(r2, as.list)
    rec$wls_obs <- lapply(if (is.list(lavInspect(f, "wls.obs"))) lavInspect(f, "wls.obs") else list(lavInspect(f, "wls.obs")), unname)
  }
  out$cases[[length(out$cases) + 1]] <- rec
}
# nested comparison and score tests of the equality constraints (two groups)
fits <- lapply(list(c(), c("loadings", "thresholds", "regressions")), function(geq)
  sem("F =~ y1 + y2 + y3 + y4\nF ~ x1 + xb", data = d, ordered = TRUE, estimator = "WLSMV", group = "grp",
      group.equal = if (length(geq)) geq else ""))
lrt <- lavTestLRT(fits[[1]], fits[[2]])
out$lrt <- list(chisq_diff = lrt[["Chisq diff"]][2], df_diff = lrt[["Df diff"]][2])
sc <- lavTestScore(fits[[2]])$uni
pt <- parTable(fits[[2]])
lab <- function(p) { r <- pt[pt$plabel == p, ]; list(lhs = r$lhs, op = r$op, rhs = r$rhs, group = r$group) }
out$score_uni <- lapply(seq_len(nrow(sc)), function(i) c(lab(sc$lhs[i]), list(group2 = lab(sc$rhs[i])$group,
                                                                      x2 = sc$X2[i], df = sc$df[i])))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "wlsmv_conditional_x.json"))
cat("done\n")
