# Reference values for qimscale's WLSMV (ordinal CFA) engine.
# Run from the repository root:  Rscript tests/reference/wlsmv_reference.R
# Writes tests/reference/data/wlsmv_ordinal.csv (simulated data, shared with
# the Python tests) and tests/reference/wlsmv_reference.json.
suppressPackageStartupMessages({
  library(lavaan); library(semTools); library(jsonlite)
})
here <- "tests/reference"
set.seed(20261126)

## ---- simulate 3 factors x 6 five-point items, 3 groups x 400 ---------------
ng <- 400; groups <- c("A", "B", "C")
items <- paste0("y", 1:18)
lam <- c(0.8, 0.7, 0.75, 0.6, 0.65, 0.7,
         0.7, 0.8, 0.6, 0.75, 0.7, 0.65,
         0.6, 0.7, 0.8, 0.7, 0.75, 0.6)
fac <- rep(1:3, each = 6)
Phi <- matrix(c(1, .4, .3, .4, 1, .5, .3, .5, 1), 3)
tau0 <- c(-1.5, -0.5, 0.4, 1.3)
out <- NULL
for (g in seq_along(groups)) {
  eta <- matrix(rnorm(ng * 3), ng) %*% chol(Phi)
  if (g == 2) eta <- sweep(eta, 2, c(0.2, 0, -0.1), "+")
  if (g == 3) eta <- sweep(eta, 2, c(-0.1, 0.3, 0), "+") %*% diag(c(1.1, 0.9, 1))
  # misspecification relative to the fitted model (so that fit indices are
  # not at their bounds): y7 cross-loads on f1, y13/y14 share a residual
  e <- matrix(rnorm(ng * 18), ng)
  e[, 14] <- 0.6 * e[, 13] + 0.8 * e[, 14]
  ystar <- sweep(eta[, fac], 2, lam, "*") + e %*% diag(sqrt(1 - lam^2))
  ystar[, 7] <- ystar[, 7] + 0.45 * eta[, 1]
  Y <- matrix(NA_integer_, ng, 18)
  for (j in 1:18) {
    tau <- tau0 + 0.1 * ((j %% 3) - 1)
    if (g == 3 && j == 4) tau <- tau + 0.6      # the non-invariant item
    Y[, j] <- findInterval(ystar[, j], tau) + 1L
  }
  d <- as.data.frame(Y); names(d) <- items; d$group <- groups[g]
  out <- rbind(out, d)
}
write.csv(out, file.path(here, "data", "wlsmv_ordinal.csv"), row.names = FALSE)
dat <- read.csv(file.path(here, "data", "wlsmv_ordinal.csv"))

model <- "
f1 =~ y1 + y2 + y3 + y4 + y5 + y6
f2 =~ y7 + y8 + y9 + y10 + y11 + y12
f3 =~ y13 + y14 + y15 + y16 + y17 + y18
"
fm_names <- c("chisq", "df", "pvalue", "chisq.scaled", "df.scaled",
  "pvalue.scaled", "chisq.scaling.factor", "baseline.chisq",
  "baseline.df", "baseline.chisq.scaled", "baseline.df.scaled",
  "baseline.chisq.scaling.factor", "cfi", "tli", "rmsea", "cfi.scaled",
  "tli.scaled", "rmsea.scaled", "rmsea.ci.lower.scaled",
  "rmsea.ci.upper.scaled", "srmr", "npar")
fm <- function(fit) as.list(fitMeasures(fit, fm_names))
pe <- function(fit) {
  p <- parameterEstimates(fit, standardized = TRUE)
  p <- p[, intersect(c("lhs", "op", "rhs", "group", "est", "se", "std.all"),
                     names(p))]
  p
}
test_info <- function(fit) {
  t <- lavInspect(fit, "test")$scaled.shifted
  list(trace_ugamma = t$trace.UGamma, trace_ugamma2 = t$trace.UGamma2,
       scaling_factor = t$scaling.factor, shift = t$shift.parameter)
}

## ---- stage 1 on a small block (1 factor, 6 items) -------------------------
fit6 <- cfa("f1 =~ y1 + y2 + y3 + y4 + y5 + y6", data = dat,
            ordered = TRUE, estimator = "WLSMV")
ss6 <- lavInspect(fit6, "sampstat")
stage1 <- list(
  items = items[1:6],
  th = unname(ss6$th), cor = unname(ss6$cov),
  gamma = unname(lavInspect(fit6, "gamma")),
  wls_v_diag = unname(diag(lavInspect(fit6, "WLS.V"))),
  fit = fm(fit6), test = test_info(fit6), estimates = pe(fit6))

## ---- single group, 18 items, N = 1200 --------------------------------------
fit1 <- cfa(model, data = dat, ordered = items, estimator = "WLSMV")
ss1 <- lavInspect(fit1, "sampstat")
single <- list(
  th = unname(ss1$th), cor = unname(ss1$cov),
  wls_v_diag = unname(diag(lavInspect(fit1, "WLS.V"))),
  fit = fm(fit1), test = test_info(fit1), estimates = pe(fit1),
  omega = as.list(compRelSEM(fit1)),
  omega_tau = as.list(compRelSEM(fit1, tau.eq = TRUE)))

## ---- ordinal invariance, Wu & Estabrook (2016) ------------------------------
levels <- list(configural = "configural",
               thresholds = c("thresholds"),
               metric = c("thresholds", "loadings"),
               scalar = c("thresholds", "loadings", "intercepts"))
fits <- list(); inv <- list()
for (lv in names(levels)) {
  f <- measEq.syntax(configural.model = model, data = dat, ordered = items,
    parameterization = "delta", ID.fac = "std.lv",
    ID.cat = "Wu.Estabrook.2016", group = "group",
    group.equal = levels[[lv]], estimator = "WLSMV", return.fit = TRUE)
  fits[[lv]] <- f
  inv[[lv]] <- list(fit = fm(f), test = test_info(f), estimates = pe(f))
}
lrt <- lavTestLRT(fits$configural, fits$thresholds, fits$metric, fits$scalar)
lrt_df <- data.frame(model = rownames(lrt), df = lrt$Df,
  chisq = lrt$Chisq, chisq_diff = lrt[["Chisq diff"]],
  df_diff = lrt[["Df diff"]], p = lrt[["Pr(>Chisq)"]])
ge <- cfa(model, data = dat, ordered = items, estimator = "WLSMV",
          group = "group", group.equal = c("thresholds", "loadings"))
mg_conf_lavaan <- cfa(model, data = dat, ordered = items,
                      estimator = "WLSMV", group = "group")
invariance <- list(levels = inv, lrt = lrt_df,
  lrt_method = attr(lrt, "heading"),
  group_equal_th_load = list(fit = fm(ge), estimates = pe(ge)),
  group_plain = list(fit = fm(mg_conf_lavaan), estimates = pe(mg_conf_lavaan),
    wls_v_diag = lapply(lavInspect(mg_conf_lavaan, "WLS.V"),
                        function(m) unname(diag(m)))))

res <- list(lavaan = as.character(packageVersion("lavaan")),
  semTools = as.character(packageVersion("semTools")),
  model = model, items = items,
  stage1 = stage1, single = single, invariance = invariance)
write_json(res, file.path(here, "wlsmv_reference.json"), digits = NA,
           auto_unbox = TRUE, pretty = FALSE)
cat("done\n")
