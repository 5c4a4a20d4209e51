# Review 3: reliability of keyed bfi scales with psych's missing values: alpha with
# two reverse-keyed items per scale (pairwise and listwise), omega with three group
# factors on Pearson correlations (15 items; psych's own flipping, and items
# reversed beforehand; also on polychoric correlations), split-half coefficients,
# and omega total of one keyed scale (what the CLI prints).
# Run from the repository root:  Rscript tests/reference/review3_reliability_keys.R
# Reads tests/reference/reliability_bfi_data.csv (psych::bfi[, 1:25], written by
# reliability_psych.R); writes tests/reference/review3_reliability_keys.json beside itself.
suppressMessages({library(psych); library(GPArotation); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
b <- read.csv(file.path(here, "reliability_bfi_data.csv"))

alpha_out <- function(a) {
  list(total = as.list(a$total), alpha_drop = lapply(as.list(a$alpha.drop), unname),
       item_stats = lapply(as.list(a$item.stats), unname), items = rownames(a$item.stats),
       feldt = list(lower = a$feldt$lower.ci[[1]], upper = a$feldt$upper.ci[[1]]))
}
omega_out <- function(o) {
  list(omega_h = o$omega_h, omega_tot = o$omega.tot, alpha = o$alpha, G6 = o$G6,
       omega_lim = o$omega.lim, ECV = unname(o$ECV), items = rownames(o$schmid$sl),
       sl = unname(unclass(o$schmid$sl)), sl_cols = colnames(o$schmid$sl),
       phi = unname(unclass(o$schmid$phi)),
       group = list(rows = rownames(o$omega.group), total = o$omega.group$total,
                    general = o$omega.group$general, group = o$omega.group$group))
}
scales <- list(C = list(items = paste0("C", 1:5), keys = c("C4", "C5")),
               E = list(items = paste0("E", 1:5), keys = c("E1", "E2")),
               O = list(items = paste0("O", 1:5), keys = c("O2", "O5")))
out <- list(versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                            GPArotation = as.character(packageVersion("GPArotation"))),
            scales = scales, key_range = c(1, 6))
for (s in names(scales)) {
  x <- b[, scales[[s]]$items]
  out[[paste0("alpha_", s)]] <- alpha_out(alpha(x, keys = scales[[s]]$keys, check.keys = FALSE, warnings = FALSE))
  out[[paste0("alpha_", s, "_listwise")]] <- alpha_out(alpha(na.omit(x), keys = scales[[s]]$keys,
                                                            check.keys = FALSE, warnings = FALSE))
  xr <- x
  for (k in scales[[s]]$keys) xr[[k]] <- 7 - xr[[k]]
  out[[paste0("omega1_", s)]] <- suppressWarnings(suppressMessages(omega(xr, nfactors = 1, plot = FALSE)))$omega.tot
  out[[paste0("omega1_", s, "_listwise")]] <- suppressWarnings(suppressMessages(omega(na.omit(xr), nfactors = 1,
                                                                                   plot = FALSE)))$omega.tot
}
items15 <- unlist(lapply(scales, `[[`, "items"), use.names = FALSE)
keys15 <- unlist(lapply(scales, `[[`, "keys"), use.names = FALSE)
x15 <- b[, items15]
out$omega3_flip <- omega_out(suppressWarnings(omega(x15, nfactors = 3, plot = FALSE)))
x15r <- x15
for (k in keys15) x15r[[k]] <- 7 - x15r[[k]]
out$omega3_keyed <- omega_out(suppressWarnings(omega(x15r, nfactors = 3, plot = FALSE)))
out$omega3_poly_keyed <- omega_out(suppressWarnings(suppressMessages(omega(x15r, nfactors = 3, poly = TRUE, plot = FALSE))))
# split-half coefficients of keyed scales (reversed beforehand; psych's check.keys off)
split_out <- function(s) {
  list(maxrb = s$maxrb, minrb = s$minrb, meanr = s$meanr, av_r = s$av.r, med_r = s$med.r,
       alpha = s$alpha, lambda2 = s$lambda2, lambda6 = s$lambda6)
}
out$split_C <- split_out(splitHalf(x15r[, scales$C$items], check.keys = FALSE))
out$split_CE <- split_out(splitHalf(x15r[, c(scales$C$items, scales$E$items)], check.keys = FALSE))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "review3_reliability_keys.json"))
cat("done\n")
