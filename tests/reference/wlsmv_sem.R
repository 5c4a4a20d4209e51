# Ordinal SEM under WLSMV (delta parameterisation): latent regressions with := effects,
# second-order factors (marker and std.lv), a two-indicator factor, a two-group model
# with a structural path, and an under-identified model (lavaan warns).
# Run from the repository root:  Rscript tests/reference/wlsmv_sem.R
# Writes tests/reference/data/wlsmv_sem.csv (simulated 5-point items, seeded) and
# tests/reference/wlsmv_sem.json beside this script.
suppressMessages({library(lavaan); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
set.seed(20261206)
n <- 600
lead <- rnorm(n)
EXP <- 0.6 * lead + rnorm(n, sd = 0.8)
meth <- 0.8 * EXP + rnorm(n, sd = 0.6); impl <- 0.7 * EXP + rnorm(n, sd = 0.7)
ctx <- 0.6 * EXP + rnorm(n, sd = 0.8)
perf <- 0.4 * EXP + 0.3 * lead + rnorm(n, sd = 0.8)
cuts <- c(-Inf, -1.5, -0.5, 0.4, 1.3, Inf)
item <- function(f, l) as.integer(cut(l * f / sd(f) + rnorm(n, sd = sqrt(1 - l^2)), cuts))
d <- data.frame(m1 = item(meth, .8), m2 = item(meth, .7), m3 = item(meth, .75),
                i1 = item(impl, .8), i2 = item(impl, .65), i3 = item(impl, .7),
                c1 = item(ctx, .75), c2 = item(ctx, .7), c3 = item(ctx, .6),
                l1 = item(lead, .8), l2 = item(lead, .75), l3 = item(lead, .7),
                p1 = item(perf, .8), p2 = item(perf, .7), p3 = item(perf, .65),
                site = rep(c("A", "B"), length.out = n))
write.csv(d, file.path(here, "data", "wlsmv_sem.csv"), row.names = FALSE)

paths <- "F_exp =~ m1 + m2 + m3 + i1 + i2 + i3
F_lead =~ l1 + l2 + l3
F_perf =~ p1 + p2 + p3
F_perf ~ a*F_exp + b*F_lead
F_exp ~ c*F_lead
ind := c*a
tot := b + c*a"
second <- "exp_methods =~ m1 + m2 + m3
exp_implementation =~ i1 + i2 + i3
exp_context =~ c1 + c2 + c3
EXP =~ exp_methods + exp_implementation + exp_context
F_perf =~ p1 + p2 + p3
F_perf ~ g*EXP
g2 := g^2"
cases <- list(
  list(name = "paths", model = paths, std_lv = FALSE, group = NULL, group_equal = character()),
  list(name = "second_order", model = second, std_lv = FALSE, group = NULL, group_equal = character()),
  list(name = "second_order_std_lv", model = second, std_lv = TRUE, group = NULL, group_equal = character()),
  list(name = "two_indicator", model = "f1 =~ m1 + m2 + m3\nf2 =~ p1 + p2", std_lv = FALSE,
       group = NULL, group_equal = character()),
  list(name = "groups_paths", model = "F_lead =~ l1 + l2 + l3\nF_perf =~ p1 + p2 + p3\nF_perf ~ F_lead",
       std_lv = FALSE, group = "site", group_equal = c("loadings", "thresholds")),
  list(name = "not_identified", model = "f1 =~ m1 + m2 + m3 + i1\nm1 ~ 1", std_lv = FALSE, group = NULL,
       group_equal = character())
)
out <- list(lavaan_version = as.character(packageVersion("lavaan")), cases = list())
keep <- c("npar", "chisq", "df", "chisq.scaled", "chisq.scaling.factor", "chisq.shift.parameter",
          "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr", "baseline.chisq.scaled")
for (cs in cases) {
  warns <- character()
  items <- setdiff(names(d), "site")
  geq <- if (length(cs$group_equal)) cs$group_equal else ""
  f <- withCallingHandlers(
    sem(cs$model, data = d, ordered = items, estimator = "WLSMV", std.lv = cs$std_lv,
        group = cs$group, group.equal = geq),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") })
  pe <- parameterEstimates(f, standardized = TRUE)
  if (is.null(pe$group)) pe$group <- 1L
  pe <- pe[, c("lhs", "op", "rhs", "group", "est", "se", "std.lv", "std.all")]
  out$cases[[length(out$cases) + 1]] <- list(
    name = cs$name, model = cs$model, std_lv = cs$std_lv, group = if (is.null(cs$group)) NA else cs$group,
    group_equal = cs$group_equal, warnings = warns, ntotal = lavInspect(f, "ntotal"),
    fit = tryCatch(as.list(fitMeasures(f, keep)), error = function(e) list(error = conditionMessage(e))),
    estimates = pe)
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "wlsmv_sem.json"))
cat("done\n")
