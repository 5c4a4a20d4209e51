# Review 3: ordinal (WLSMV) invariance with items of few categories (two groups):
# five binary items, a mix of binary and 3-category items, and (three groups, data of
# wlsmv_delta_groups.R) four 5-category items with one binary item, also with the
# binary item's intercept released; configural ->
# thresholds -> metric -> scalar (semTools::measEq.syntax, Wu & Estabrook 2016
# identification, which treats binary and 3-category items specially).
# Run from the repository root:  Rscript tests/reference/review3_wlsmv_invariance_few.R
# Writes tests/reference/data/review3_wlsmv_invariance_few.csv (simulated, shared with
# the Python tests) and tests/reference/review3_wlsmv_invariance_few.json beside itself.
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
set.seed(20261131)
ng <- 450
lam <- c(.8, .7, .65, .75, .6, .7)
out <- NULL
for (g in 1:2) {
  eta <- rnorm(ng, mean = if (g == 2) .3 else 0, sd = if (g == 2) 1.15 else 1)
  ystar <- outer(eta, lam) + matrix(rnorm(ng * 6), ng) %*% diag(sqrt(1 - lam^2))
  b <- sapply(1:6, function(j) as.integer(ystar[, j] > c(-.4, 0, .3, .6, -.2, .1)[j] + if (g == 2 && j == 2) .35 else 0))
  t3 <- sapply(4:6, function(j) findInterval(ystar[, j], c(-.7, .5) + .1 * j) + 1L)
  d <- data.frame(b, t3)
  names(d) <- c(paste0("b", 1:6), paste0("c", 4:6))
  d$group <- c("g1", "g2")[g]
  out <- rbind(out, d)
}
write.csv(out, file.path(here, "data", "review3_wlsmv_invariance_few.csv"), row.names = FALSE)
dat <- read.csv(file.path(here, "data", "review3_wlsmv_invariance_few.csv"))
three <- read.csv(file.path(here, "data", "wlsmv_delta_groups.csv"))   # written by wlsmv_delta_groups.R
models <- list(binary = list(model = "F =~ b1 + b2 + b3 + b4 + b5", items = paste0("b", 1:5)),
               mixed = list(model = "F =~ b1 + b2 + b3 + c4 + c5 + c6", items = c(paste0("b", 1:3), paste0("c", 4:6))),
               three_groups = list(model = "F =~ y1 + y2 + y3 + y4 + b5", items = c(paste0("y", 1:4), "b5"),
                                   data = "wlsmv_delta_groups.csv"),
               three_groups_int = list(model = "F =~ y1 + y2 + y3 + y4 + b5", items = c(paste0("y", 1:4), "b5"),
                                       data = "wlsmv_delta_groups.csv", partial = "b5 ~ 1"))
levels <- list(configural = "configural", thresholds = "thresholds", metric = c("thresholds", "loadings"),
               scalar = c("thresholds", "loadings", "intercepts"))
fm_names <- c("npar", "chisq", "df", "chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor",
              "cfi", "tli", "rmsea", "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr")
res <- list(lavaan_version = as.character(packageVersion("lavaan")),
            semtools_version = as.character(packageVersion("semTools")))
for (nm in names(models)) {
  m <- models[[nm]]
  d <- if (is.null(m$data)) dat else three
  fits <- lapply(levels, function(eq) measEq.syntax(configural.model = m$model, data = d, ordered = m$items,
                                                    parameterization = "delta", ID.fac = "std.lv",
                                                    ID.cat = "Wu.Estabrook.2016", group = "group", group.equal = eq,
                                                    group.partial = if (is.null(m$partial)) "" else m$partial,
                                                    estimator = "WLSMV", return.fit = TRUE))
  lv <- lapply(names(levels), function(l) {
    i <- match(l, names(levels))
    x <- list(level = l, fit = as.list(fitMeasures(fits[[l]], fm_names)),
              estimates = parameterEstimates(fits[[l]])[, c("lhs", "op", "rhs", "group", "est", "se")])
    if (i > 1) {
      t <- lavTestLRT(fits[[i]], fits[[i - 1]])
      x$lrt <- list(chisq_diff = t[2, "Chisq diff"], df_diff = t[2, "Df diff"], p = t[2, "Pr(>Chisq)"])
    }
    x
  })
  res[[nm]] <- c(m, list(levels = lv))
}
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "review3_wlsmv_invariance_few.json"))
cat("done\n")
