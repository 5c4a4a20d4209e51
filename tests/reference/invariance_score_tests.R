# Score tests for releasing each equality constraint of a multi-group model
# (lavaan::lavTestScore, univariate and cumulative, with the total test), used to
# locate non-invariant parameters (partial invariance):
#   ml      HolzingerSwineford1939, 3 factors, group = school, loadings + intercepts equal, ML
#   mlr     the same with estimator = "MLR"
#   fiml    the same on the copy with MCAR gaps (cfa_hs1939_missing.csv), missing = "ml"
#   fiml_mlr  the same with estimator = "MLR"
#   wlsmv   review3_wlsmv_partial.csv (6 ordered items, 2 sites), thresholds + loadings equal
#           (the Wu & Estabrook scalar model), std.lv, delta parameterization, WLSMV
#   wlsmv_thresholds  the thresholds level of the same (semTools::measEq.syntax, Wu.Estabrook.2016)
#   wlsmv_unequal  the wlsmv case without the first 100 rows (groups of 250 and 350)
# lavaan 0.6-14's lavTestScore always reports the ordinary (naive) score statistic
# N g' J^+ g with the *expected* information J (for se != "standard" it warns and
# falls back to it), so MLR and WLSMV get the unscaled statistic too.
# Each constraint "lhs == rhs" is reported as the parameter-table row its rhs plabel
# names (the row released in the later group).
# Run from the repository root:  Rscript tests/reference/invariance_score_tests.R
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
hs <- read.csv(file.path(here, "data", "cfa_hs1939.csv"))
hsm <- read.csv(file.path(here, "data", "cfa_hs1939_missing.csv"))
ordd <- read.csv(file.path(here, "data", "review3_wlsmv_partial.csv"))
m_hs <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
m_ord <- "F =~ y1 + y2 + y3 + y4 + y5 + y6"

rows_of <- function(fit, tab) {
  pt <- parTable(fit)
  ix <- match(tab$rhs, pt$plabel)
  data.frame(lhs = pt$lhs[ix], op = pt$op[ix], rhs = pt$rhs[ix], group = pt$group[ix],
             x2 = tab$X2, df = tab$df, p = tab$p.value)
}
score <- function(fit) {
  sc <- suppressWarnings(lavTestScore(fit, cumulative = TRUE))
  list(total = list(x2 = sc$test$X2, df = sc$test$df, p = sc$test$p.value),
       uni = rows_of(fit, sc$uni), cumulative = rows_of(fit, sc$cumulative),
       ntotal = lavInspect(fit, "ntotal"), chisq = unname(fitMeasures(fit, "chisq")),
       # lavaan's estimates of the free rows, so the statistic can also be checked at them
       estimates = with(parTable(fit), data.frame(lhs, op, rhs, group, est)[free > 0, ]))
}
eq <- c("loadings", "intercepts")
res <- list(lavaan_version = as.character(packageVersion("lavaan")), model_hs = m_hs, model_ord = m_ord)
res$ml <- score(cfa(m_hs, data = hs, group = "school", group.equal = eq))
res$mlr <- score(cfa(m_hs, data = hs, group = "school", group.equal = eq, estimator = "MLR"))
res$fiml <- score(cfa(m_hs, data = hsm, group = "school", group.equal = eq, missing = "ml"))
res$fiml_mlr <- score(cfa(m_hs, data = hsm, group = "school", group.equal = eq, missing = "ml",
                          estimator = "MLR"))
items <- paste0("y", 1:6)
res$wlsmv <- score(cfa(m_ord, data = ordd, group = "site", ordered = items, estimator = "WLSMV",
                       std.lv = TRUE, group.equal = c("thresholds", "loadings")))
fth <- measEq.syntax(configural.model = m_ord, data = ordd, ordered = items, parameterization = "delta",
                     ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group = "site",
                     group.equal = "thresholds", estimator = "WLSMV", return.fit = TRUE)
res$wlsmv_thresholds <- score(fth)
# unequal groups (the first 100 clinic rows left out): shows how lavaan weights the groups
ordu <- ordd[-(1:100), ]
res$wlsmv_unequal <- score(cfa(m_ord, data = ordu, group = "site", ordered = items, estimator = "WLSMV",
                               std.lv = TRUE, group.equal = c("thresholds", "loadings")))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null"),
           file.path(here, "invariance_score_tests.json"))
cat("done\n")
