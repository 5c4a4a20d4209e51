# Linear equality constraints ('a == 2*b', 'a - b == 0.3', 'a + b == 1.5', 'a == b + c') in every
# CFA/SEM engine of qimscale: lavaan's answers.
# Simulates (seed 20261206) continuous items x1..x6, 4-category items y1..y6, a covariate z and a
# group g; writes them to tests/reference/data/linear_constraints.csv (x1..x6 with ~8% MCAR gaps as
# xm1..xm6 for FIML), fits each case with lavaan::cfa()/sem() (estimator "ML", "MLR",
# missing = "fiml", ordered = ..., estimator = "WLSMV"; one or two groups) and writes
# fitMeasures(), parameterEstimates(standardized = TRUE), lavTestScore()$uni and (complete-data ML/MLR)
# the ten largest modindices() to tests/reference/linear_constraints.json.
# Run from the repository root:  Rscript tests/reference/linear_constraints.R
suppressMessages({library(lavaan); library(jsonlite)})
here <- "tests/reference"
set.seed(20261206)
n <- 500
g <- rep(1:2, each = n / 2)
z <- rnorm(n)
f1 <- 0.4 * z + rnorm(n, sd = sqrt(0.84))
f2 <- 0.5 * f1 + rnorm(n, sd = sqrt(0.75))
lam <- c(0.8, 0.9, 0.45, 0.7, 0.6, 0.75)
fac <- cbind(f1, f1, f1, f2, f2, f2)
e <- matrix(rnorm(n * 6), n, 6)
ystar <- sweep(fac, 2, lam, "*") + sweep(e, 2, sqrt(1 - lam^2), "*")
x <- round(ystar * 2 + 3, 4)
colnames(x) <- paste0("x", 1:6)
cuts <- c(-0.8, 0.1, 0.9)
y <- apply(ystar, 2, function(v) findInterval(v, cuts) + 1L)
colnames(y) <- paste0("y", 1:6)
xm <- x
xm[matrix(runif(n * 6) < 0.08, n, 6)] <- NA
colnames(xm) <- paste0("xm", 1:6)
d <- data.frame(g = g, z = round(z, 4), x, y, xm)
write.csv(d, file.path(here, "data", "linear_constraints.csv"), row.names = FALSE, na = "")
d <- read.csv(file.path(here, "data", "linear_constraints.csv"))
dfm <- d[, c("g", paste0("xm", 1:6))]
names(dfm) <- c("g", paste0("x", 1:6))

m_2b <- "F1 =~ x1 + a*x2 + b*x3\nF2 =~ x4 + x5 + x6\na == 2*b"
m_off <- "F1 =~ x1 + a*x2 + b*x3\nF2 =~ x4 + x5 + x6\na - b == 0.3"
m_def <- "F1 =~ x1 + a*x2 + b*x3\nF2 =~ x4 + x5 + x6\nF2 ~ c*F1\n2*b == a\nab := a*c\ntot := b + c"
m_sum <- "F1 =~ x1 + a*x2 + b*x3\nF2 =~ x4 + x5 + x6\na + b == 1.5"
m_three <- "F1 =~ x1 + a*x2 + b*x3\nF2 =~ x4 + c*x5 + x6\na == b + c"
m_half <- "F1 =~ x1 + a*x2 + b*x3\nF2 =~ x4 + x5 + x6\nb == a/2 + 0.05\nx1 ~~ v1*x1\nx4 ~~ v4*x4\nv1 == v4"
ordify <- function(m) gsub("x([1-6])", "y\\1", m)
m_y <- ordify(m_2b)
m_mixed <- "F1 =~ y1 + a*y2 + b*y3\nF2 =~ y4 + x5 + x6\na == 2*b"
m_x <- "F1 =~ y1 + a*y2 + b*y3\nF2 =~ y4 + y5 + y6\nF1 ~ z\nF2 ~ c*F1\na == 2*b\nab := a*c"
m_ydef <- ordify("F1 =~ x1 + a*x2 + b*x3\nF2 =~ x4 + x5 + x6\nF2 ~ c*F1\na - b == 0.3\nab := a*c")
ords <- paste0("y", 1:6)
cases <- list(
  list(name = "ml_2b", model = m_2b, estimator = "ML", data = "x"),
  list(name = "mlr_2b", model = m_2b, estimator = "MLR", data = "x"),
  list(name = "fiml_2b", model = m_2b, estimator = "ML", missing = "fiml", data = "xm"),
  list(name = "mlr_fiml_2b", model = m_2b, estimator = "MLR", missing = "fiml", data = "xm"),
  list(name = "ml_offset", model = m_off, estimator = "ML", data = "x"),
  list(name = "mlr_defined", model = m_def, estimator = "MLR", data = "x", sem = TRUE),
  list(name = "ml_sum", model = m_sum, estimator = "ML", data = "x"),
  list(name = "ml_three", model = m_three, estimator = "ML", data = "x"),
  list(name = "ml_half", model = m_half, estimator = "ML", data = "x"),
  list(name = "ml_groups_2b", model = m_2b, estimator = "ML", data = "x", group = "g"),
  list(name = "mlr_groups_loadings", model = "F1 =~ x1 + x2 + x3\nF2 =~ x4 + x5 + x6\nF1 ~~ c(v1, v2)*F1\nv2 == 1.5*v1",
       estimator = "MLR", data = "x", group = "g", group.equal = "loadings"),
  list(name = "wlsmv_2b", model = m_y, estimator = "WLSMV", data = "y", ordered = ords[1:6]),
  list(name = "wlsmv_groups_2b", model = m_y, estimator = "WLSMV", data = "y", ordered = ords[1:6], group = "g"),
  list(name = "wlsmv_mixed_2b", model = m_mixed, estimator = "WLSMV", data = "y", ordered = ords[1:4]),
  list(name = "wlsmv_x_2b", model = m_x, estimator = "WLSMV", data = "y", ordered = ords[1:6], sem = TRUE),
  list(name = "wlsmv_offset_defined", model = m_ydef, estimator = "WLSMV", data = "y", ordered = ords[1:6], sem = TRUE),
  list(name = "wlsmv_sum", model = ordify(m_sum), estimator = "WLSMV", data = "y", ordered = ords[1:6]),
  # observed regressions on fixed.x covariates, MLR, two groups with group-specific labels
  list(name = "mlr_paths_groups", model = "x1 ~ c(a1,a2)*x2 + c(b1,b2)*x3 + x4\na1 + a2 == 2*(b1 + b2)",
       estimator = "MLR", data = "x", group = "g", sem = TRUE),
  # a constraint on thresholds: lavaan gives no robust (catML) indices
  list(name = "wlsmv_thresholds", model = "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6\ny1 | s1*t1\ny2 | s2*t1\ns1 - s2 == 0.1",
       estimator = "WLSMV", data = "y", ordered = ords[1:6])
)
for (i in seq_along(cases)) if (cases[[i]]$name == "wlsmv_sum") cases[[i]]$model <- sub("1.5", "1.2", cases[[i]]$model)

run <- function(cs) {
  dat <- switch(cs$data, x = d[, c("g", paste0("x", 1:6))], xm = dfm,
                y = d[, c("g", "z", paste0("y", 1:6), "x5", "x6")])
  fun <- if (isTRUE(cs$sem)) "sem" else "cfa"
  args <- list(model = cs$model, data = dat, estimator = cs$estimator)
  if (!is.null(cs$missing)) args$missing <- cs$missing
  if (!is.null(cs$ordered)) args$ordered <- cs$ordered
  if (!is.null(cs$group)) args$group <- cs$group
  if (!is.null(cs$group.equal)) args$group.equal <- cs$group.equal
  notes <- character()
  f <- withCallingHandlers(do.call(fun, args), warning = function(w) {
    notes <<- c(notes, conditionMessage(w)); invokeRestart("muffleWarning")})
  # lavTestScore: univariate tests of releasing each '==' (and group) constraint; WLSMV falls back to
  # the ordinary score test with a warning, as qimscale's statistic
  sc <- suppressWarnings(lavTestScore(f)$uni)
  mi <- if (cs$estimator %in% c("ML", "MLR") && is.null(cs$missing)) {
    x <- modindices(f, sort. = TRUE)
    if (is.null(x$group)) x$group <- 1L
    x[seq_len(min(10, nrow(x))), c("lhs", "op", "rhs", "group", "mi", "epc")]
  } else NULL
  pe <- parameterEstimates(f, standardized = TRUE)
  if (is.null(pe$group)) pe$group <- 1L
  list(name = cs$name, model = cs$model, estimator = cs$estimator,
       missing = if (is.null(cs$missing)) "listwise" else cs$missing, data = cs$data,
       ordered = as.list(if (is.null(cs$ordered)) character() else cs$ordered),
       group = if (is.null(cs$group)) NULL else cs$group,
       group_equal = as.list(if (is.null(cs$group.equal)) character() else cs$group.equal),
       sem = isTRUE(cs$sem), converged = lavInspect(f, "converged"), warnings = as.list(notes),
       score_uni = sc[, c("lhs", "op", "rhs", "X2")], modindices = mi,
       fit = as.list(fitMeasures(f)), estimates = pe[, c("lhs", "op", "rhs", "group", "label", "est", "se", "std.all")])
}
# Ordinal invariance (Wu & Estabrook 2016 via semTools::measEq.syntax, which drops user labels and
# constraints): the constraint is added to its syntax with its labels. Per-group constraints
# (qimscale: 'c(a1,a2)*y2 + c(b1,b2)*y3', 'a1 == 2*b1', 'a2 == 2*b2') for configural and thresholds;
# with equal loadings one shared constraint (qimscale: 'a*y2 + b*y3', 'a == 2*b') for metric, scalar.
inv <- list()
for (ge in list(character(), "thresholds", c("thresholds", "loadings"), c("thresholds", "loadings", "intercepts"))) {
  syn <- as.character(semTools::measEq.syntax(configural.model = "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6",
           data = d, ordered = ords, parameterization = "delta", ID.fac = "std.lv",
           ID.cat = "Wu.Estabrook.2016", group = "g", group.equal = if (length(ge)) ge else ""))
  lab <- function(item) {
    ln <- grep(paste0("^F1 =~ c\\(NA, NA\\)\\*", item, " \\+"), strsplit(syn, "\n")[[1]], value = TRUE)
    strsplit(sub(".*\\+ c\\((.*)\\)\\*.*", "\\1", ln), ", ")[[1]]
  }
  cons <- unique(paste0(lab("y2"), " == 2*", lab("y3")))
  f <- cfa(paste(syn, paste(cons, collapse = "\n"), sep = "\n"), data = d[, c("g", ords)], ordered = ords,
           group = "g", estimator = "WLSMV")
  inv[[length(inv) + 1]] <- list(group_equal = as.list(ge), constraints = as.list(cons),
                                 fit = as.list(fitMeasures(f, c("npar", "chisq", "df", "chisq.scaled"))))
}
# ML invariance with per-group constrained labels (user labels take precedence over group.equal)
m_pg <- "F1 =~ x1 + c(a1,a2)*x2 + c(b1,b2)*x3\nF2 =~ x4 + x5 + x6\na1 == 2*b1\na2 == 2*b2"
ml_inv <- lapply(list(character(), "loadings", c("loadings", "intercepts"), c("loadings", "intercepts", "residuals")),
                 function(ge) {
  f <- suppressWarnings(cfa(m_pg, data = d[, c("g", paste0("x", 1:6))], group = "g",
                            group.equal = if (length(ge)) ge else ""))
  list(group_equal = as.list(ge), fit = as.list(fitMeasures(f, c("npar", "chisq", "df"))))
})
# Satorra (2000) scaled-shifted difference test of 'a == 2*b' under WLSMV (lavTestLRT)
lrt <- lapply(list(NULL, "g"), function(grp) {
  dy <- d[, c("g", ords)]
  f1 <- suppressWarnings(cfa(sub("\na == 2\\*b", "", m_y), data = dy, ordered = ords, group = grp,
                             estimator = "WLSMV"))
  f0 <- suppressWarnings(cfa(m_y, data = dy, ordered = ords, group = grp, estimator = "WLSMV"))
  t <- lavTestLRT(f1, f0)
  list(group = grp, chisq_diff = t[2, "Chisq diff"], df_diff = t[2, "Df diff"])
})
out <- list(lavaan_version = as.character(packageVersion("lavaan")), seed = 20261206, cases = lapply(cases, run),
            ordinal_invariance = inv, ml_invariance = ml_inv, wlsmv_lrt = lrt)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "linear_constraints.json"))
for (cs in out$cases) cat(cs$name, cs$converged, length(cs$warnings), unlist(cs$warnings), "\n")
