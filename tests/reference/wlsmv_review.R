# Independent review of qimscale's WLSMV engine (issue 12): lavaan's answers for every case of
# wlsmv_review_cases.json (written, seeded, by wlsmv_review_gen.py).
# Each case is fitted with lavaan::sem(model, ordered = <ordered columns>, estimator = "WLSMV",
# missing = ..., group = ..., group.equal = ..., std.lv = ...); the record says whether lavaan
# fitted cleanly ("ok"), warned ("warning") or stopped ("error"), with fitMeasures() and
# parameterEstimates(standardized = TRUE).
# Run from the repository root:  Rscript tests/reference/wlsmv_review.R
# Reads tests/reference/data/wlsmv_review.csv; writes tests/reference/wlsmv_review.json.
suppressMessages({library(lavaan); library(jsonlite)})
# an optional argument names another directory (a fresh batch from wlsmv_review_gen.py SEED DIR)
here <- if (length(commandArgs(TRUE))) commandArgs(TRUE)[1] else "tests/reference"
cases <- fromJSON(file.path(here, "wlsmv_review_cases.json"), simplifyVector = FALSE)$cases
data <- read.csv(file.path(here, "data", "wlsmv_review.csv"))
measures <- c("npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "chisq.scaled", "df.scaled",
              "cfi.scaled", "tli.scaled", "rmsea.scaled", "cfi.robust", "tli.robust", "rmsea.robust")

fit_case <- function(cs) {
  d <- data[data$case == cs$case, unlist(cs$columns), drop = FALSE]
  geq <- unlist(cs$group_equal)
  sem(cs$model, data = d, estimator = "WLSMV", ordered = unlist(cs$ordered),
      missing = cs$missing, group = if (is.null(cs$group)) NULL else cs$group,
      group.equal = if (is.null(geq)) "" else geq, std.lv = isTRUE(cs$std_lv))
}

record <- function(cs) {
  rec <- list(case = cs$case, error = NA)
  notes <- character()
  res <- tryCatch(withCallingHandlers(fit_case(cs), warning = function(w) {
    notes <<- c(notes, conditionMessage(w))
    invokeRestart("muffleWarning")
  }), error = function(e) e)
  if (inherits(res, "error")) {
    rec$error <- conditionMessage(res)
  } else {
    rec$converged <- lavInspect(res, "converged")
    fm <- tryCatch(fitMeasures(res), error = function(e) NULL)
    if (!is.null(fm)) rec$fit <- as.list(fm[intersect(measures, names(fm))])
    pe <- parameterEstimates(res, standardized = TRUE)
    if (is.null(pe$group)) pe$group <- 1L
    rec$estimates <- pe[, c("lhs", "op", "rhs", "group", "est", "se", "std.all")]
  }
  # "starting values imply a correlation larger than 1" is lavaan's note on its own start values
  notes <- unique(notes[!grepl("starting values imply", notes)])
  rec$warnings <- as.list(notes)
  rec$status <- if (!is.na(rec$error)) "error" else if (length(notes)) "warning" else "ok"
  rec
}

out <- list(lavaan_version = as.character(packageVersion("lavaan")), cases = lapply(cases, record))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "wlsmv_review.json"))
tab <- table(vapply(out$cases, function(r) r$status, ""))
cat(paste(names(tab), tab, sep = ": ", collapse = ", "), "\n")
