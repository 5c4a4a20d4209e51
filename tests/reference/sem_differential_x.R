# Differential test against lavaan for ordinal SEMs with observed covariates: fits every case of
# sem_differential_x_cases.json (written by sem_differential_x_gen.py, seeded) with
# lavaan::sem(..., ordered = items, estimator = "WLSMV") (conditional.x = TRUE, lavaan's default)
# and records, per case, whether lavaan fitted cleanly, warned or stopped, with its fit measures,
# estimates and standardized solution.
# Run from the repository root:  Rscript tests/reference/sem_differential_x.R
# Reads tests/reference/data/sem_differential_x.csv; writes tests/reference/sem_differential_x.json.
suppressMessages({library(lavaan); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
spec <- fromJSON(file.path(here, "sem_differential_x_cases.json"), simplifyVector = FALSE)
all <- read.csv(file.path(here, "data", "sem_differential_x.csv"))
keep <- c("npar", "ntotal", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "chisq.scaled",
          "cfi.scaled", "tli.scaled", "rmsea.scaled", "baseline.chisq", "baseline.chisq.scaled")
out <- list(lavaan_version = as.character(packageVersion("lavaan")), cases = list())
for (cs in spec$cases) {
  cols <- unlist(cs$columns)
  d <- all[all$case == cs$case, cols, drop = FALSE]
  items <- setdiff(cols, c("g", unlist(cs$covariates)))
  warns <- character()
  err <- NULL
  rec <- list(case = cs$case)
  tryCatch(withCallingHandlers({
    fit <- sem(cs$model, data = d, estimator = "WLSMV", missing = cs$missing, ordered = items,
               group = if (is.null(cs$group)) NULL else cs$group,
               group.equal = if (length(cs$group_equal)) unlist(cs$group_equal) else "",
               std.lv = isTRUE(cs$std_lv))
    rec$converged <- lavInspect(fit, "converged")
    fm <- tryCatch(fitMeasures(fit), error = function(e) NULL)
    if (!is.null(fm)) rec$fit <- as.list(fm[intersect(keep, names(fm))])
    pe <- parameterEstimates(fit, standardized = TRUE)
    if (is.null(pe$group)) pe$group <- 1L
    rec$estimates <- pe[, c("lhs", "op", "rhs", "group", "est", "se", "std.lv", "std.all")]
    rec$ntotal <- lavInspect(fit, "ntotal")
  }, warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") }),
  error = function(e) { err <<- conditionMessage(e) })
  rec$warnings <- as.list(unique(warns))
  rec$error <- if (is.null(err)) NA else err
  rec$status <- if (!is.null(err)) "error" else if (length(warns)) "warning" else "ok"
  out$cases[[length(out$cases) + 1]] <- rec
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "sem_differential_x.json"))
cat("done\n")
