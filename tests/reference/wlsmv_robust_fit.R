# Robust fit indices of WLSMV fits for categorical data (Savalei 2021; lavaan's
# "catML" statistic, lav_fit_catml_dwls()): cfi.robust, tli.robust, rmsea.robust,
# its 90% interval and the close / not-close p-values, for one-group and
# multi-group models, with pairwise deletion, and for the ordinal invariance
# chain of semTools::measEq.syntax (Wu & Estabrook 2016). lavaan gives NA when
# thresholds (or intercepts / means) are held equal (the catML model cannot be
# built then) and when a polychoric matrix is not positive definite. The data
# sets are those of other reference scripts.
# Run from the repository root:  Rscript tests/reference/wlsmv_robust_fit.R
# Writes tests/reference/wlsmv_robust_fit.json beside itself.
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
rd <- function(f) read.csv(file.path(here, "data", f))
fm_names <- c("npar", "df", "chisq", "chisq.scaled", "cfi.scaled", "cfi.robust", "tli.robust",
              "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust",
              "rmsea.pvalue.robust", "rmsea.notclose.pvalue.robust")
two <- "F1 =~ y1 + y2 + y3 + y4 + y5\nF2 =~ y6 + y7 + y8 + y9 + y10"
one5 <- "f1 =~ y1 + y2 + y3 + y4 + b5"
cases <- list(
  one_group = list(data = "wlsmv_ordinal.csv", model = two, ordered = paste0("y", 1:10)),
  one_group_resid = list(data = "wlsmv_ordinal.csv", model = paste0(two, "\ny4 ~~ y9"),
                         ordered = paste0("y", 1:10), std_lv = TRUE),
  two_factor_groups = list(data = "wlsmv_ordinal.csv", model = two, ordered = paste0("y", 1:10),
                           group = "group"),
  two_factor_groups_loadings = list(data = "wlsmv_ordinal.csv", model = two, ordered = paste0("y", 1:10),
                                    group = "group", group_equal = "loadings"),
  three_groups = list(data = "wlsmv_delta_groups.csv", model = one5, ordered = c(paste0("y", 1:4), "b5"),
                      group = "group"),
  three_groups_loadings = list(data = "wlsmv_delta_groups.csv", model = one5,
                               ordered = c(paste0("y", 1:4), "b5"), group = "group",
                               group_equal = "loadings"),
  three_groups_thresholds = list(data = "wlsmv_delta_groups.csv", model = one5,
                                 ordered = c(paste0("y", 1:4), "b5"), group = "group",
                                 group_equal = c("thresholds", "loadings")),
  pairwise = list(data = "wlsmv_pairwise.csv", model = "f1 =~ y1 + y2 + y3 + y4 + y5 + y6",
                  ordered = paste0("y", 1:6), missing = "pairwise"),
  # a polychoric correlation at the 0.999 bound (review3_wlsmv_boundary.R): the matrix is
  # still positive definite in one group and not in the two groups (lavaan: NA)
  boundary = list(data = "review3_wlsmv_invariance_few.csv", model = "F =~ b1 + b2 + b3\nG =~ c4 + c5 + c6 + b6",
                  ordered = c("b1", "b2", "b3", "c4", "c5", "c6", "b6")),
  boundary_groups = list(data = "review3_wlsmv_invariance_few.csv", model = "F =~ b1 + b2 + b3\nG =~ c4 + c5 + c6 + b6",
                         ordered = c("b1", "b2", "b3", "c4", "c5", "c6", "b6"), group = "group")
)
out <- list(lavaan_version = as.character(packageVersion("lavaan")),
            semtools_version = as.character(packageVersion("semTools")))
for (nm in names(cases)) {
  m <- cases[[nm]]
  d <- rd(m$data)
  fit <- suppressWarnings(cfa(m$model, data = d, ordered = m$ordered, estimator = "WLSMV",
             std.lv = isTRUE(m$std_lv), group = m$group,
             group.equal = if (is.null(m$group_equal)) "" else m$group_equal,
             missing = if (is.null(m$missing)) "listwise" else m$missing))
  out[[nm]] <- c(m, list(fit = as.list(fitMeasures(fit, fm_names))))
}
levels <- list(configural = "configural", thresholds = "thresholds", metric = c("thresholds", "loadings"),
               scalar = c("thresholds", "loadings", "intercepts"))
inv <- list(binary = list(data = "review3_wlsmv_invariance_few.csv", model = "F =~ b1 + b2 + b3 + b4 + b5",
                          items = paste0("b", 1:5)),
            three_groups = list(data = "wlsmv_delta_groups.csv", model = one5, items = c(paste0("y", 1:4), "b5")))
for (nm in names(inv)) {
  m <- inv[[nm]]
  d <- rd(m$data)
  lv <- lapply(levels, function(eq) {
    fit <- measEq.syntax(configural.model = m$model, data = d, ordered = m$items, parameterization = "delta",
                         ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group = "group", group.equal = eq,
                         estimator = "WLSMV", return.fit = TRUE)
    as.list(fitMeasures(fit, fm_names))
  })
  out[[paste0("invariance_", nm)]] <- c(m, list(levels = lv))
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "wlsmv_robust_fit.json"))
cat("done\n")
