# Reference values for qimscale.analysis.items (item descriptives) from psych::describe / describeBy.
# Run from the repository root: Rscript tests/reference/items_describe.R
# Writes tests/reference/items_describe.json beside this script; the data come from
# tests/reference/items_describe_data.csv (answers 1-5, N/A coded 9, blanks missing, a group column).
suppressPackageStartupMessages({library(psych); library(jsonlite)})
dat <- read.csv("tests/reference/items_describe_data.csv")
items <- setdiff(names(dat), "grp")
x <- dat[items]
x[x == 9] <- NA  # N/A is not an answer
# kurtosis from psych::kurtosi on each item's answers: psych::describe's data-frame form of type 1
# counts rows with a blank answer in n (describe_kurtosis keeps its value, for the record)
one <- function(d, type) {
  ds <- psych::describe(d, type = type)
  lapply(items, function(it) list(item = it, n = ds[it, "n"], mean = ds[it, "mean"], sd = ds[it, "sd"],
                                  median = ds[it, "median"], min = ds[it, "min"], max = ds[it, "max"],
                                  skew = ds[it, "skew"],
                                  kurtosis = psych::kurtosi(na.omit(d[[it]]), type = type),
                                  describe_kurtosis = ds[it, "kurtosis"]))
}
out <- list(
  psych_version = as.character(packageVersion("psych")),
  call = "psych::describe(x, type = t); psych::describeBy(x, group = grp, type = 3)",
  type1 = one(x, 1), type2 = one(x, 2), type3 = one(x, 3),
  by_group = lapply(split(x, dat$grp), function(d) one(d, 3)),
  freq = lapply(items, function(it) as.list(table(factor(x[[it]], levels = 1:5)))),
  n_na = lapply(items, function(it) sum(dat[[it]] == 9, na.rm = TRUE)),
  n_missing = lapply(items, function(it) sum(is.na(dat[[it]])))
)
names(out$freq) <- items; names(out$n_na) <- items; names(out$n_missing) <- items
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null"), "tests/reference/items_describe.json")
