# Reference values for `qimscale relate` (issue 15): OLS with classical and HC3 standard errors,
# hierarchical blocks (anova), moderation (simple slopes and Johnson-Neyman by closed form),
# random-intercept and random-slope models (lme4::lmer, REML), ICC(1)/ICC(2), mediation
# (lavaan ':=' point estimate; seeded bootstrap percentile and BCa intervals via boot),
# and Pearson/Spearman/partial correlations.
# Run from the repository root:  Rscript tests/reference/relate_r.R
# Writes tests/reference/data/relate_sim.csv (the simulated data) and tests/reference/relate_r.json.
suppressMessages({library(lme4); library(sandwich); library(lavaan); library(boot); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

# ---------------------------------------------------------------- simulated data
set.seed(20261206)
g <- 40
sizes <- sample(2:20, g, replace = TRUE)
cluster <- rep(sprintf("org%02d", seq_len(g)), sizes)
n <- length(cluster)
u <- rnorm(g, 0, 0.45)[match(cluster, sprintf("org%02d", seq_len(g)))]
us <- rnorm(g, 0, 0.15)[match(cluster, sprintf("org%02d", seq_len(g)))]
interpersonal <- round(rnorm(n, 3.6, 0.6), 3)
expertise <- round(0.4 * interpersonal + rnorm(n, 2.2, 0.55), 3)
leadership <- round(0.3 * interpersonal + 0.2 * expertise + rnorm(n, 2.0, 0.5), 3)
qim_type <- sample(c("clinical", "traditional", "mixed"), n, replace = TRUE, prob = c(.5, .35, .15))
tenure <- round(runif(n, 0, 25), 1)
m <- 0.5 * leadership + 0.2 * expertise + rnorm(n, 0, 0.5)
qi_performance <- 0.8 + (0.25 + us) * expertise + 0.30 * m + 0.15 * interpersonal +
  0.12 * (expertise - 3.6) * (interpersonal - 3.6) + 0.2 * (qim_type == "traditional") + 0.01 * tenure +
  u + rnorm(n, 0, 0.6)
d <- data.frame(respondent = seq_len(n), org = cluster, qim_type = qim_type, tenure = tenure,
                expertise = expertise, leadership = leadership, interpersonal = interpersonal,
                engagement = round(m, 4), qi_performance = round(qi_performance, 4))
# missing values: outcome, a predictor, the category and a covariate
d$qi_performance[sample(n, 12)] <- NA
d$expertise[sample(n, 9)] <- NA
d$qim_type[sample(n, 5)] <- NA
d$tenure[sample(n, 4)] <- NA
write.csv(d, file.path(here, "data", "relate_sim.csv"), row.names = FALSE, na = "")
d <- read.csv(file.path(here, "data", "relate_sim.csv"), na.strings = "")
d$qim_type <- factor(d$qim_type)  # levels sorted: clinical (reference), mixed, traditional

coef_table <- function(fit, V) {
  b <- coef(fit); se <- sqrt(diag(V)); t <- b / se; df <- fit$df.residual; q <- qt(0.975, df)
  data.frame(term = names(b), estimate = unname(b), se = unname(se), statistic = unname(t),
             p = unname(2 * pt(-abs(t), df)), ci_lower = unname(b - q * se), ci_upper = unname(b + q * se))
}
out <- list(R_version = R.version.string, lme4 = as.character(packageVersion("lme4")),
            sandwich = as.character(packageVersion("sandwich")), lavaan = as.character(packageVersion("lavaan")))

# ---------------------------------------------------------------- OLS, classical and HC3
vars <- c("qi_performance", "expertise", "leadership", "interpersonal", "qim_type", "tenure")
cc <- d[complete.cases(d[, vars]), ]
fit <- lm(qi_performance ~ expertise + leadership + interpersonal + qim_type + tenure, data = cc)
s <- summary(fit)
X <- model.matrix(fit)
std <- coef(fit)[-1] * apply(X[, -1], 2, sd) / sd(cc$qi_performance)
out$ols <- list(n = nrow(cc), n_dropped = nrow(d) - nrow(cc), classical = coef_table(fit, vcov(fit)),
                hc3 = coef_table(fit, vcovHC(fit, type = "HC3")), r2 = s$r.squared, adj_r2 = s$adj.r.squared,
                f = unname(s$fstatistic[1]), df_model = unname(s$fstatistic[2]), df_resid = unname(s$fstatistic[3]),
                std_beta = as.list(std), sigma = s$sigma)

# ---------------------------------------------------------------- hierarchical blocks
m0 <- lm(qi_performance ~ tenure, data = cc)
m1 <- lm(qi_performance ~ tenure + qim_type, data = cc)
m2 <- lm(qi_performance ~ tenure + qim_type + expertise + leadership, data = cc)
m3 <- lm(qi_performance ~ tenure + qim_type + expertise + leadership + interpersonal, data = cc)
# each step against the one before (the "F change" of hierarchical regression: anova(previous, step),
# whose denominator is the step's own residual mean square); the first step against the intercept-only model
steps <- list(lm(qi_performance ~ 1, data = cc), m0, m1, m2, m3)
a <- lapply(2:5, function(k) anova(steps[[k - 1]], steps[[k]]))
r2s <- sapply(steps[-1], function(f) summary(f)$r.squared)
out$blocks <- list(r2 = r2s, delta_r2 = c(r2s[1], diff(r2s)), f = sapply(a, function(x) x$F[2]),
                   df1 = sapply(a, function(x) x$Df[2]), df2 = sapply(a, function(x) x$Res.Df[2]),
                   p = sapply(a, function(x) x$`Pr(>F)`[2]))

# ---------------------------------------------------------------- moderation (centred), simple slopes, JN
mv <- c("qi_performance", "expertise", "interpersonal", "tenure")
cm <- d[complete.cases(d[, mv]), ]
cm$expertise <- cm$expertise - mean(cm$expertise)
cm$interpersonal <- cm$interpersonal - mean(cm$interpersonal)
mod <- lm(qi_performance ~ expertise + interpersonal + tenure + expertise:interpersonal, data = cm)
slopes_jn <- function(fit, V, focal, moder, inter, wsd) {
  b <- coef(fit); df <- fit$df.residual; q <- qt(0.975, df)
  ws <- c(-wsd, 0, wsd)
  est <- b[focal] + b[inter] * ws
  se <- sqrt(V[focal, focal] + 2 * ws * V[focal, inter] + ws^2 * V[inter, inter])
  t <- est / se
  A <- b[inter]^2 - q^2 * V[inter, inter]
  B <- 2 * (b[focal] * b[inter] - q^2 * V[focal, inter])
  C <- b[focal]^2 - q^2 * V[focal, focal]
  disc <- B^2 - 4 * A * C
  roots <- if (disc >= 0) sort(c((-B - sqrt(disc)) / (2 * A), (-B + sqrt(disc)) / (2 * A))) else c(NA, NA)
  list(w = ws, slope = unname(est), se = unname(se), t = unname(t), p = unname(2 * pt(-abs(t), df)),
       ci_lower = unname(est - q * se), ci_upper = unname(est + q * se), jn = unname(roots), jn_a = unname(A))
}
wsd <- sd(cm$interpersonal)
out$moderation <- list(n = nrow(cm), coefficients = coef_table(mod, vcov(mod)), r2 = summary(mod)$r.squared,
                       moderator_sd = wsd,
                       classical = slopes_jn(mod, vcov(mod), "expertise", "interpersonal", "expertise:interpersonal", wsd),
                       hc3 = slopes_jn(mod, vcovHC(mod, type = "HC3"), "expertise", "interpersonal",
                                       "expertise:interpersonal", wsd))

# ---------------------------------------------------------------- random intercept / slope (REML)
lv <- c("qi_performance", "expertise", "leadership", "qim_type", "org")
cl <- d[complete.cases(d[, lv]), ]
ri <- lmer(qi_performance ~ expertise + leadership + qim_type + (1 | org), data = cl, REML = TRUE)
vc <- as.data.frame(VarCorr(ri))
null <- lmer(qi_performance ~ 1 + (1 | org), data = cl, REML = TRUE)
vn <- as.data.frame(VarCorr(null))
ao <- anova(lm(qi_performance ~ factor(org), data = cl))
msb <- ao$`Mean Sq`[1]; msw <- ao$`Mean Sq`[2]; k <- nrow(cl) / length(unique(cl$org))
cs <- d[complete.cases(d[, c("qi_performance", "expertise", "leadership", "org")]), ]
rs <- lmer(qi_performance ~ expertise + leadership + (1 + expertise | org), data = cs, REML = TRUE,
           control = lmerControl(optCtrl = list(xtol_rel = 1e-12, ftol_rel = 1e-14)))
vr <- as.data.frame(VarCorr(rs))
out$mixed <- list(n = nrow(cl), n_groups = length(unique(cl$org)),
                  fixed = data.frame(term = names(fixef(ri)), estimate = unname(fixef(ri)),
                                     se = unname(sqrt(diag(as.matrix(vcov(ri)))))),
                  group_var = vc$vcov[1], residual_var = vc$vcov[2], reml_criterion = REMLcrit(ri),
                  null_group_var = vn$vcov[1], null_residual_var = vn$vcov[2],
                  icc1 = vn$vcov[1] / (vn$vcov[1] + vn$vcov[2]),
                  msb = msb, msw = msw, icc1_anova = (msb - msw) / (msb + (k - 1) * msw), icc2 = (msb - msw) / msb,
                  slope_n = nrow(cs), slope_fixed = data.frame(term = names(fixef(rs)), estimate = unname(fixef(rs)),
                                           se = unname(sqrt(diag(as.matrix(vcov(rs)))))),
                  slope_vc = list(intercept_var = vr$vcov[1], slope_var = vr$vcov[2], cov = vr$vcov[3],
                                  residual_var = vr$vcov[4]), slope_reml_criterion = REMLcrit(rs))

# ---------------------------------------------------------------- mediation: expertise -> engagement -> qi_performance
mdv <- c("qi_performance", "expertise", "engagement", "tenure")
md <- d[complete.cases(d[, mdv]), ]
lm_model <- "engagement ~ a*expertise + tenure
qi_performance ~ b*engagement + c*expertise + tenure
ind := a*b
total := c + a*b"
lf <- sem(lm_model, data = md)
pe <- parameterEstimates(lf)
ind_stat <- function(dd, i) {
  x <- dd[i, ]
  a <- coef(lm(engagement ~ expertise + tenure, data = x))["expertise"]
  b <- coef(lm(qi_performance ~ engagement + expertise + tenure, data = x))["engagement"]
  unname(a * b)
}
set.seed(7)
bt <- boot(md, ind_stat, R = 4000)
ci <- boot.ci(bt, type = c("perc", "bca"))
out$mediation <- list(n = nrow(md), indirect = pe$est[pe$label == "ind"], total = pe$est[pe$label == "total"],
                      a = pe$est[pe$label == "a"], b = pe$est[pe$label == "b"], c = pe$est[pe$label == "c"],
                      boot_r = 4000, boot_sd = sd(bt$t[, 1]),
                      perc = unname(ci$percent[4:5]), bca = unname(ci$bca[4:5]))

# ---------------------------------------------------------------- correlations
cv <- c("expertise", "leadership", "interpersonal", "qi_performance")
pairs <- list()
for (i in 1:3) for (j in (i + 1):4) {
  x <- d[[cv[i]]]; y <- d[[cv[j]]]
  pt_ <- cor.test(x, y, method = "pearson")
  sp <- suppressWarnings(cor.test(x, y, method = "spearman", exact = FALSE))
  pairs[[length(pairs) + 1]] <- list(var1 = cv[i], var2 = cv[j], n = sum(complete.cases(x, y)),
                                     pearson = unname(pt_$estimate), pearson_p = pt_$p.value,
                                     pearson_ci = unname(pt_$conf.int[1:2]),
                                     spearman = unname(sp$estimate), spearman_p = sp$p.value)
}
ccv <- d[complete.cases(d[, cv]), cv]
P <- solve(cor(ccv))
pc <- -P / sqrt(outer(diag(P), diag(P)))
out$correlations <- list(pairs = pairs, partial_n = nrow(ccv), partial = pc)

# ---------------------------------------------------------------- latent paths: factors -> outcome (lavaan::sem)
set.seed(99)
nl <- 300
IP <- rnorm(nl)
LD <- 0.5 * IP + rnorm(nl, 0, sqrt(0.75))
it <- function(f, l) round(l * f + rnorm(nl, 0, sqrt(1 - l^2)), 4)
ld <- data.frame(ip1 = it(IP, .8), ip2 = it(IP, .7), ip3 = it(IP, .6),
                 l1 = it(LD, .75), l2 = it(LD, .7), l3 = it(LD, .65))
ld$qi_performance <- round(0.3 * IP + 0.25 * LD + rnorm(nl, 0, 0.8), 4)
write.csv(ld, file.path(here, "data", "relate_latent.csv"), row.names = FALSE)
lat_model <- "IP =~ ip1 + ip2 + ip3
LEAD =~ l1 + l2 + l3
qi_performance ~ IP + LEAD"
out$latent <- list(model = lat_model)
for (est in c("ML", "MLR")) {
  lf <- sem(lat_model, data = ld, estimator = est)
  pe <- parameterEstimates(lf, standardized = TRUE)
  pe <- pe[pe$op == "~", c("lhs", "op", "rhs", "est", "se", "z", "pvalue", "std.all")]
  out$latent[[est]] <- list(paths = pe, r2 = unname(inspect(lf, "r2")["qi_performance"]),
                            cfi = unname(fitMeasures(lf, "cfi")))
}

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", dataframe = "rows"),
           file.path(here, "relate_r.json"))
cat("done\n")
