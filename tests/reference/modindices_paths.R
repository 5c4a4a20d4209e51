# Reference values for modification indices of models with observed covariates (fixed.x):
# observed path models and MIMIC models (ML, MLR, FIML) and an ordinal model with covariates
# (WLSMV) (qimscale.analysis.cfa.modindices / modindices_wlsmv;
# tests/analysis/cfa/test_modindices_paths.py).
# Run from the repository root:  Rscript tests/reference/modindices_paths.R
# Writes tests/reference/data/modindices_paths.csv (simulated: covariates x1, x2; continuous
# y1..y6, yc; ordinal o1..o4 with 4 categories) and tests/reference/modindices_paths.json: for each
# case every row of lavaan's modindices(fit) (lhs, op, rhs, group, mi, epc, sepc.all) and the
# parameter estimates.
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
set.seed(20261206)
n <- 500
x1 <- rnorm(n)
x2 <- 0.3 * x1 + rnorm(n)
f <- 0.4 * x1 - 0.3 * x2 + rnorm(n)
y1 <- 0.5 * x1 + 0.3 * x2 + rnorm(n)
y2 <- 0.4 * y1 + 0.2 * x2 + rnorm(n)  # planted y2 ~ x2 (left out of the path model)
g <- 0.5 * f + 0.3 * x2 + rnorm(n)
d <- data.frame(
  x1 = x1, x2 = x2, y1 = y1, y2 = y2,
  y3 = 0.8 * f + rnorm(n, sd = 0.6), y4 = 0.7 * f + rnorm(n, sd = 0.6),
  y5 = 0.6 * f + 0.2 * x1 + rnorm(n, sd = 0.6), y6 = 0.7 * f + rnorm(n, sd = 0.6))
ys <- 0.7 * g + matrix(rnorm(4 * n, sd = 0.7), n, 4)
ys[, 4] <- ys[, 4] + 0.3 * x1
yc <- 0.6 * g + 0.3 * x2 + rnorm(n, sd = 0.7)  # continuous indicator of the ordinal factor
cut4 <- function(v) as.integer(cut(v, c(-Inf, -0.6, 0.1, 0.8, Inf)))
for (k in 1:4) d[[paste0("o", k)]] <- cut4(ys[, k])
d$yc <- yc
d$grp <- rep(c("a", "b"), length.out = n)  # two groups for the multi-group cases
for (v in c("x1", "x2", "y1", "y2", "y3", "y4", "y5", "y6", "yc")) d[[v]] <- round(d[[v]], 4)
dm <- d
# ~8% of the outcomes missing completely at random (covariates complete) for the FIML case
for (v in c("y1", "y2", "y3", "y4", "y5", "y6")) dm[[v]][sample(n, round(0.08 * n))] <- NA
d$miss <- 0L
dm$miss <- 1L
write.csv(rbind(d, dm), "tests/reference/data/modindices_paths.csv", row.names = FALSE, na = "")
all <- read.csv("tests/reference/data/modindices_paths.csv")
d <- all[all$miss == 0, ]
dm <- all[all$miss == 1, ]

one <- function(model, estimator = "ML", missing = "listwise", data = d, ordered = NULL, group = NULL,
                group.equal = "") {
  fit <- sem(model, data = data, estimator = estimator, missing = missing, ordered = ordered, group = group,
             group.equal = group.equal)
  mi <- modindices(fit)
  if (is.null(mi$group)) mi$group <- 1L
  pe <- parameterEstimates(fit)
  if (is.null(pe$group)) pe$group <- 1L
  list(model = model, estimator = estimator, missing = missing, data = if (identical(data, dm)) "miss" else "complete",
       ordered = ordered, group = group, group_equal = group.equal, ntotal = lavInspect(fit, "ntotal"),
       modindices = mi[, c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.all")],
       estimates = pe[, c("lhs", "op", "rhs", "group", "est")],
       chisq = unname(fitMeasures(fit, "chisq")))
}
path <- "y1 ~ x1 + x2\ny2 ~ y1"
mimic <- "F =~ y3 + y4 + y5 + y6\nF ~ x1 + x2"
sem_x <- "F =~ y3 + y4 + y5 + y6\nF ~ x1\ny1 ~ x1 + x2"
ord <- "G =~ o1 + o2 + o3 + o4\nG ~ x1\no3 ~ x2"
mixed <- "G =~ o1 + o2 + o3 + yc\nG ~ x1\nyc ~ x2"
cases <- list(
  path_ml = one(path),
  path_mlr = one(path, estimator = "MLR"),
  path_fiml = one(path, missing = "fiml", data = dm),
  mimic_ml = one(mimic),
  mimic_mlr = one(mimic, estimator = "MLR"),
  mimic_fiml = one(mimic, missing = "fiml", data = dm),
  sem_x_ml = one(sem_x),
  ordinal_x = one(ord, estimator = "WLSMV", ordered = paste0("o", 1:4)),
  mixed_x = one(mixed, estimator = "WLSMV", ordered = paste0("o", 1:3)),
  sem_x_groups = one(sem_x, group = "grp", group.equal = "loadings"),
  ordinal_x_groups = one(ord, estimator = "WLSMV", ordered = paste0("o", 1:4), group = "grp")
)
writeLines(toJSON(list(lavaan = as.character(packageVersion("lavaan")), cases = cases),
                  digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = TRUE),
           "tests/reference/modindices_paths.json")
