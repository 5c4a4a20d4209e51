# Reference values for qimscale's CFA/SEM engine (tests/test_cfa_*.py).
# Run from the repository root:  Rscript tests/reference/cfa_lavaan.R
# Writes tests/reference/cfa_lavaan.json and the data sets under tests/reference/data/.
suppressMessages({library(lavaan); library(semTools); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
dd <- file.path(here, "data")
dir.create(dd, showWarnings = FALSE)

# ---- data sets -------------------------------------------------------------
# (1) 3 factors x 6 five-point items, N = 1200 (also the benchmark data)
set.seed(20261126)
n <- 1200
phi <- matrix(c(1, .45, .3, .45, 1, .5, .3, .5, 1), 3)
eta <- MASS::mvrnorm(n, rep(0, 3), phi)
lam <- c(.75, .7, .65, .6, .55, .7)
sim <- matrix(0, n, 18)
for (f in 1:3) for (j in 1:6) {
  k <- (f - 1) * 6 + j
  ystar <- lam[j] * eta[, f] + rnorm(n, sd = sqrt(1 - lam[j]^2))
  sim[, k] <- as.integer(cut(ystar, c(-Inf, -1.5, -.5, .4, 1.3, Inf)))
}
colnames(sim) <- c(paste0("a", 1:6), paste0("b", 1:6), paste0("c", 1:6))
sim <- as.data.frame(sim)
sim$site <- rep(c("north", "south", "east"), length.out = n)
write.csv(sim, file.path(dd, "cfa_sim3f.csv"), row.names = FALSE)

hs <- HolzingerSwineford1939[, c("id", "sex", "ageyr", "school", paste0("x", 1:9))]
write.csv(hs, file.path(dd, "cfa_hs1939.csv"), row.names = FALSE)

set.seed(7)
hsm <- hs
for (v in paste0("x", 1:9)) hsm[[v]][runif(nrow(hsm)) < .12] <- NA
write.csv(hsm, file.path(dd, "cfa_hs1939_missing.csv"), row.names = FALSE, na = "")

pd <- PoliticalDemocracy
write.csv(pd, file.path(dd, "cfa_poldem.csv"), row.names = FALSE)

# ---- models ----------------------------------------------------------------
m_sim <- "A =~ a1 + a2 + a3 + a4 + a5 + a6
B =~ b1 + b2 + b3 + b4 + b5 + b6
C =~ c1 + c2 + c3 + c4 + c5 + c6"
m_hs <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
m_pd <- "ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ a*ind60
dem65 ~ b*dem60 + c*ind60
y1 ~~ y5
indirect := a*b
total := c + a*b"

pe <- function(fit) {
  p <- parameterEstimates(fit, standardized = TRUE)
  p$group <- if (is.null(p$group)) 1L else p$group
  p <- p[, intersect(c("lhs", "op", "rhs", "group", "label", "est", "se", "z", "pvalue",
                        "ci.lower", "ci.upper", "std.lv", "std.all"), names(p))]
  p
}
fm <- function(fit) as.list(fitMeasures(fit))
summ <- function(fit, extra = list()) {
  out <- list(estimates = pe(fit), fit = fm(fit),
              converged = lavInspect(fit, "converged"))
  c(out, extra)
}
rel <- function(fit) {
  list(omega = as.list(compRelSEM(fit)), ave = as.list(AVE(fit)))
}

res <- list(lavaan_version = as.character(packageVersion("lavaan")),
            semtools_version = as.character(packageVersion("semTools")))

f1 <- cfa(m_sim, data = sim)
mi <- modindices(f1, sort. = TRUE, maximum.number = 15)
res$sim_ml <- summ(f1, c(rel(f1),
  list(htmt = unclass(htmt(m_sim, data = sim)),
       modindices = mi[, c("lhs", "op", "rhs", "mi", "epc", "sepc.all")],
       resid_cor = unclass(lavResiduals(f1, type = "cor.bollen")$cov))))
f1s <- cfa(m_sim, data = sim, std.lv = TRUE)
res$sim_ml_stdlv <- summ(f1s)
f1r <- cfa(m_sim, data = sim, estimator = "MLR")
res$sim_mlr <- summ(f1r)

f2 <- cfa(m_hs, data = hs)
res$hs_ml <- summ(f2, rel(f2))
f2m <- cfa(m_hs, data = hs, meanstructure = TRUE)
res$hs_ml_means <- summ(f2m)
f2r <- cfa(m_hs, data = hs, estimator = "MLR")
res$hs_mlr <- summ(f2r)
f2o <- cfa(m_hs, data = hs, information = "observed")
res$hs_ml_observed <- summ(f2o)

inv <- list()
lv <- list(configural = "", metric = "loadings",
           scalar = c("loadings", "intercepts"),
           strict = c("loadings", "intercepts", "residuals"))
for (est in c("ML", "MLR")) {
  fits <- lapply(lv, function(eq) cfa(m_hs, data = hs, group = "school", group.equal = eq, estimator = est))
  lrt <- list()
  for (i in 2:4) {
    t <- lavTestLRT(fits[[i]], fits[[i - 1]])
    lrt[[names(lv)[i]]] <- list(chisq_diff = t[2, "Chisq diff"], df_diff = t[2, "Df diff"],
                                p = t[2, "Pr(>Chisq)"])
  }
  inv[[est]] <- list(fits = lapply(fits, summ), lrt = lrt)
}
res$hs_invariance <- inv
# score tests for releasing each equality constraint of the scalar model (partial invariance search)
sc <- lavTestScore(cfa(m_hs, data = hs, group = "school", group.equal = c("loadings", "intercepts")))
pts <- parTable(cfa(m_hs, data = hs, group = "school", group.equal = c("loadings", "intercepts")))
ix <- match(sc$uni$rhs, pts$plabel)
res$hs_scalar_score <- data.frame(lhs = pts$lhs[ix], op = pts$op[ix], rhs = pts$rhs[ix], group = pts$group[ix],
                                  x2 = sc$uni$X2, df = sc$uni$df, p = sc$uni$p.value)
fp <- cfa(m_hs, data = hs, group = "school", group.equal = c("loadings", "intercepts"),
          group.partial = c("x3 ~ 1", "x7 ~ 1"))
res$hs_partial <- summ(fp)
fsl <- cfa(m_hs, data = hs, group = "school", group.equal = c("loadings", "intercepts"), std.lv = TRUE)
res$hs_scalar_stdlv <- summ(fsl)

f3 <- cfa(m_hs, data = hsm, missing = "fiml")
res$hs_fiml <- summ(f3)
f3r <- cfa(m_hs, data = hsm, missing = "fiml", estimator = "MLR")
res$hs_fiml_mlr <- summ(f3r)

res$hs_fiml_mlr_scalar <- summ(cfa(m_hs, data = hsm, group = "school", group.equal = c("loadings", "intercepts"),
                                   missing = "fiml", estimator = "MLR"))

f4 <- sem(m_pd, data = pd)
res$pd_sem <- summ(f4)

# observed exogenous covariates (fixed.x = TRUE, lavaan's default)
m_x <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
visual ~ ageyr + sex
textual ~ ageyr"
res$hs_sem_x <- summ(sem(m_x, data = hs))
res$hs_sem_x_mlr <- summ(sem(m_x, data = hs, estimator = "MLR"))
res$hs_sem_x_groups <- summ(sem(m_x, data = hs, group = "school", group.equal = "loadings"))
res$hs_sem_x_fiml <- summ(sem(m_x, data = hsm, missing = "fiml"))

# assorted model shapes (higher order, path model, labels, MIMIC, std.lv with regressions, fixed values)
battery <- list(
  higher = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\ng =~ visual + textual + speed",
  path = "x4 ~ x1 + x2\nx5 ~ x4 + x1\nx6 ~ x5",
  eqlab = "visual =~ x1 + a*x2 + a*x3\ntextual =~ x4 + b*x5 + b*x6\nx2 ~~ x3",
  mimic = "visual =~ x1 + x2 + x3\nvisual ~ ageyr\nx1 ~ sex",
  stdlv_reg = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\nspeed ~ visual + textual",
  fixedload = "visual =~ x1 + 0.5*x2 + x3\ntextual =~ NA*x4 + x5 + x6\ntextual ~~ 1*textual\nvisual ~~ 0*textual",
  outcomes = "x4 ~ x1\nx5 ~ x1\nvisual =~ x7 + x8 + x9\nF2 =~ x2 + x3 + x6\nvisual ~ x1\nF2 ~ x1"
)
res$battery <- lapply(names(battery), function(n) {
  f <- sem(battery[[n]], data = hs, std.lv = (n == "stdlv_reg"))
  c(list(name = n, model = battery[[n]]), summ(f))
})

# multi-group shapes (group.equal variants, per-group labels, := across groups)
battery_mg <- list(
  mg_means = list(model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nx1 ~~ x4", equal = c("loadings", "intercepts", "means"), std_lv = FALSE),
  mg_lvvar = list(model = "visual =~ x1 + x2 + x3 + x4\ntextual =~ x4 + x5 + x6", equal = c("loadings", "lv.variances"), std_lv = TRUE),
  mg_labels = list(model = "visual =~ x1 + c(a,a)*x2 + x3\ntextual =~ x4 + x5 + x6\nx1 ~ c(i1, i1)*1\ntextual ~ c(b1, b2)*visual\ndiff := b1 - b2", equal = "", std_lv = FALSE),
  mg_resid = list(model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\nx7 ~~ x8", equal = c("loadings", "intercepts", "residuals", "residual.covariances", "lv.covariances"), std_lv = FALSE)
)
res$battery_mg <- lapply(names(battery_mg), function(n) {
  b <- battery_mg[[n]]
  f <- sem(b$model, data = hs, group = "school", group.equal = b$equal, std.lv = b$std_lv)
  c(list(name = n, model = b$model, equal = as.list(setdiff(b$equal, "")), std_lv = b$std_lv), summ(f))
})

writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, na = "null", pretty = FALSE),
           file.path(here, "cfa_lavaan.json"))
cat("wrote", file.path(here, "cfa_lavaan.json"), "\n")
