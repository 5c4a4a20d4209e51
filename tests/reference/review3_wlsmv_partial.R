# Review 3: ordinal (WLSMV) invariance in two groups up to scalar, with partial
# invariance: one, two or three released thresholds, all thresholds of one item released,
# a released intercept and a released loading, each carried through every level
# (semTools::measEq.syntax, Wu & Estabrook 2016 identification).
# Run from the repository root:  Rscript tests/reference/review3_wlsmv_partial.R
# Writes tests/reference/data/review3_wlsmv_partial.csv (simulated, shared with the
# Python tests) and tests/reference/review3_wlsmv_partial.json beside itself.
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
set.seed(20261128)
ng <- 350
lam <- c(.75, .7, .65, .7, .6, .55)
tau0 <- c(-1.3, -.4, .5, 1.4)
out <- NULL
for (g in 1:2) {
  eta <- rnorm(ng, mean = if (g == 2) .25 else 0, sd = if (g == 2) 1.1 else 1)
  ystar <- outer(eta, lam) + matrix(rnorm(ng * 6), ng) %*% diag(sqrt(1 - lam^2))
  Y <- sapply(1:6, function(j) {
    tau <- tau0 + .1 * (j - 3)
    if (g == 2 && j == 3) tau[1:2] <- tau[1:2] + .5   # y3: two lower thresholds shifted in group 2
    findInterval(ystar[, j], tau) + 1L
  })
  d <- as.data.frame(Y); names(d) <- paste0("y", 1:6)
  d$site <- c("clinic", "hospital")[g]
  out <- rbind(out, d)
}
write.csv(out, file.path(here, "data", "review3_wlsmv_partial.csv"), row.names = FALSE)
dat <- read.csv(file.path(here, "data", "review3_wlsmv_partial.csv"))
model <- "F =~ y1 + y2 + y3 + y4 + y5 + y6"
items <- paste0("y", 1:6)
fm_names <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
              "chisq.scaling.factor", "cfi", "tli", "rmsea", "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr")
fit_level <- function(eq, partial = NULL) {  # measEq.syntax warns about its own length check
  if (is.null(partial)) partial <- ""
  measEq.syntax(configural.model = model, data = dat, ordered = items, parameterization = "delta",
                ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group = "site", group.equal = eq,
                group.partial = partial, estimator = "WLSMV", return.fit = TRUE)
}
summ <- function(f) {
  pe <- parameterEstimates(f)[, c("lhs", "op", "rhs", "group", "est", "se")]
  list(fit = as.list(fitMeasures(f, fm_names)), estimates = pe)
}
lrt <- function(f1, f0) {
  t <- lavTestLRT(f1, f0)
  list(chisq_diff = t[2, "Chisq diff"], df_diff = t[2, "Df diff"], p = t[2, "Pr(>Chisq)"])
}
levels <- list(configural = "configural", thresholds = "thresholds", metric = c("thresholds", "loadings"),
               scalar = c("thresholds", "loadings", "intercepts"))
# each case carries its group.partial through every level, as a partial-invariance chain does
cases <- list(full = NULL, th1 = c("y3|t1"), th12 = c("y3|t1", "y3|t2"),
              th123 = c("y3|t1", "y3|t2", "y3|t3"), th_all = c("y3|t1", "y3|t2", "y3|t3", "y3|t4"),
              int = c("y3~1"), load = c("F=~y3"))
res <- list(lavaan_version = as.character(packageVersion("lavaan")),
            semtools_version = as.character(packageVersion("semTools")),
            model = model, group_values = unique(dat$site))
for (nm in names(cases)) {
  fits <- lapply(levels, fit_level, partial = cases[[nm]])
  lv <- lapply(names(levels), function(l) {
    x <- c(list(level = l), summ(fits[[l]]))
    i <- match(l, names(levels))
    if (i > 1) x$lrt <- lrt(fits[[i]], fits[[i - 1]])
    x
  })
  res$cases[[nm]] <- list(partial = as.list(cases[[nm]]), levels = lv)
}
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "review3_wlsmv_partial.json"))
cat("done\n")
