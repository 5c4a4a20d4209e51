# Reference values for qimscale.analysis.compare / themes / teams (issue 15).
# Run from the repository root:  Rscript tests/reference/compare_r.R
# Writes tests/reference/data/compare_r.csv and compare_r_teams.csv (simulated data, shared with
# the Python tests) and tests/reference/compare_r.json beside this script.
#
# Data: unequal group sizes (two groups 31/23; three groups 24/17/9), ties (scores on a
# quarter-point grid), missing values, a small group (9), and teams of 5-9 members.
# Base R only (t.test, wilcox.test, oneway.test, aov, kruskal.test, TukeyHSD, p.adjust,
# fisher.test, shapiro.test, ptukey/qtukey, pt with ncp); effect sizes and Newcombe,
# Games-Howell, Dunn, Levene, ICC(1)/ICC(2), rwg(j) by their closed forms (cited in the
# Python docstrings; the eta-squared interval inverts pf(ncp = ) with uniroot, as
# effectsize::eta_squared(alternative = "two.sided")). effectsize/multilevel/car are not installed here.
library(jsonlite)
set.seed(20261206)
n <- 54
g2 <- c(rep("clinical", 31), rep("traditional", 23))
g3 <- c(rep("a", 24), rep("b", 17), rep("c", 9))
g3 <- c(g3, rep(NA, 4))                      # 4 rows without a group
y1 <- rnorm(n, 3 + 0.4 * (g2 == "traditional"), 0.7 + 0.4 * (g2 == "clinical"))
y1[c(3, 17, 40)] <- NA                         # missing values
y2 <- round(4 * pmin(5, pmax(1, rnorm(n, 3.2, 0.8)))) / 4   # quarter grid: many ties
y2[c(8, 50)] <- NA
y3 <- round(rexp(n, 1) * 2) / 2 + 1           # skewed, heavy ties
d <- data.frame(g2 = g2, g3 = g3, y1 = y1, y2 = y2, y3 = y3)
write.csv(d, "tests/reference/data/compare_r.csv", row.names = FALSE, na = "")

vars <- c("y1", "y2", "y3")
J <- function(df) exp(lgamma(df / 2) - log(sqrt(df / 2)) - lgamma((df - 1) / 2))
ncp_ci <- function(t, df, conf = 0.95) {
  a <- (1 - conf) / 2
  f <- function(target) uniroot(function(ncp) pt(t, df, ncp) - target, c(t - 10, t + 10), tol = 1e-13)$root
  c(f(1 - a), f(a))
}

two <- list()
for (v in vars) {
  ok <- !is.na(d[[v]])
  x <- d[[v]][ok & d$g2 == "clinical"]; y <- d[[v]][ok & d$g2 == "traditional"]
  w <- t.test(x, y); s <- t.test(x, y, var.equal = TRUE)
  mw <- wilcox.test(x, y, exact = FALSE, correct = TRUE)
  n1 <- length(x); n2 <- length(y); df <- n1 + n2 - 2
  sp <- sqrt(((n1 - 1) * var(x) + (n2 - 1) * var(y)) / df)
  dd <- (mean(x) - mean(y)) / sp; k <- sqrt(1 / n1 + 1 / n2)
  ci <- ncp_ci(dd / k, df)
  rrb <- 2 * unname(mw$statistic) / (n1 * n2) - 1
  se <- sqrt((n1 + n2 + 1) / (3 * n1 * n2))
  two[[v]] <- list(
    welch = list(statistic = unname(w$statistic), df = unname(w$parameter), p = w$p.value,
                 estimate = unname(w$estimate[1] - w$estimate[2]), ci = as.numeric(w$conf.int)),
    student = list(statistic = unname(s$statistic), df = unname(s$parameter), p = s$p.value,
                   ci = as.numeric(s$conf.int)),
    mann_whitney = list(statistic = unname(mw$statistic), p = mw$p.value),
    hedges_g = list(g = J(df) * dd, ci = J(df) * ci * k, d = dd),
    rank_biserial = list(r = rrb, ci = tanh(atanh(rrb) + c(-1, 1) * qnorm(0.975) * se)))
}

many <- list()
for (v in vars) {
  ok <- !is.na(d[[v]]) & !is.na(d$g3)
  y <- d[[v]][ok]; g <- factor(d$g3[ok])
  ow <- oneway.test(y ~ g); ov <- oneway.test(y ~ g, var.equal = TRUE)
  fit <- aov(y ~ g); tab <- summary(fit)[[1]]
  ssb <- tab[1, "Sum Sq"]; ssw <- tab[2, "Sum Sq"]; msw <- tab[2, "Mean Sq"]
  kw <- kruskal.test(y ~ g); N <- length(y)
  tk <- TukeyHSD(fit)$g
  lev <- levels(g); k <- length(lev)
  nn <- tapply(y, g, length); m <- tapply(y, g, mean); vv <- tapply(y, g, var)
  r <- rank(y); mr <- tapply(r, g, mean)
  ties <- table(y); tsum <- sum(ties^3 - ties)
  s2 <- N * (N + 1) / 12 - tsum / (12 * (N - 1))
  gh <- list(); du <- list()
  for (i in 1:(k - 1)) for (j in (i + 1):k) {
    diff <- m[j] - m[i]; se <- sqrt(vv[i] / nn[i] + vv[j] / nn[j])
    dfw <- (vv[i] / nn[i] + vv[j] / nn[j])^2 / ((vv[i] / nn[i])^2 / (nn[i] - 1) + (vv[j] / nn[j])^2 / (nn[j] - 1))
    h <- qtukey(0.95, k, dfw) / sqrt(2) * se
    gh[[length(gh) + 1]] <- list(pair = paste0(lev[j], "-", lev[i]), diff = unname(diff), t = unname(diff / se),
                                 df = unname(dfw), p = ptukey(abs(unname(diff / se)) * sqrt(2), k, dfw, lower.tail = FALSE),
                                 ci = unname(c(diff - h, diff + h)))
    z <- (mr[j] - mr[i]) / sqrt(s2 * (1 / nn[i] + 1 / nn[j]))
    du[[length(du) + 1]] <- list(pair = paste0(lev[j], "-", lev[i]), z = unname(z), p = 2 * pnorm(-abs(unname(z))))
  }
  dp <- sapply(du, function(e) e$p)
  for (i in seq_along(du)) du[[i]]$p_holm <- p.adjust(dp, "holm")[i]
  levm <- function(center) { dev <- abs(y - ave(y, g, FUN = center)); a <- summary(aov(dev ~ g))[[1]]
    list(statistic = a[1, "F value"], df = a[1, "Df"], df2 = a[2, "Df"], p = a[1, "Pr(>F)"]) }
  f_ <- tab[1, "F value"]; d1 <- tab[1, "Df"]; d2 <- tab[2, "Df"]
  ncp_root <- function(t) { if (pf(f_, d1, d2) <= t) return(0)
    uniroot(function(l) pf(f_, d1, d2, ncp = l) - t, c(0, 500), tol = 1e-13)$root }
  lam <- c(ncp_root(0.975), ncp_root(0.025))
  eta_ci <- lam / (lam + d1 + d2 + 1)
  sw <- lapply(lev, function(l) { s <- shapiro.test(y[g == l]); list(group = l, w = unname(s$statistic), p = s$p.value) })
  many[[v]] <- list(
    welch_anova = list(statistic = unname(ow$statistic), df = unname(ow$parameter[1]), df2 = unname(ow$parameter[2]),
                       p = ow$p.value),
    anova = list(statistic = unname(ov$statistic), df = unname(ov$parameter[1]), df2 = unname(ov$parameter[2]),
                 p = ov$p.value, p_aov = tab[1, "Pr(>F)"], eta_sq = ssb / (ssb + ssw),
                 omega_sq = (ssb - (k - 1) * msw) / (ssb + ssw + msw), eta_sq_ci = eta_ci),
    kruskal = list(statistic = unname(kw$statistic), df = unname(kw$parameter), p = kw$p.value,
                   epsilon_sq = unname(kw$statistic) / ((N^2 - 1) / (N + 1))),
    tukey = list(pair = rownames(tk), diff = unname(tk[, "diff"]), lwr = unname(tk[, "lwr"]),
                 upr = unname(tk[, "upr"]), p = unname(tk[, "p adj"])),
    games_howell = gh, dunn = du, levene = levm(mean), brown_forsythe = levm(median), shapiro = sw)
}

adj <- list()
for (t in c("welch", "student", "mann_whitney")) {
  p <- sapply(vars, function(v) two[[v]][[t]]$p)
  adj[[t]] <- list(p = unname(p), holm = p.adjust(p, "holm"), BH = p.adjust(p, "BH"),
                   bonferroni = p.adjust(p, "bonferroni"))
}
for (t in c("welch_anova", "anova", "kruskal")) {
  p <- sapply(vars, function(v) many[[v]][[t]]$p)
  adj[[t]] <- list(p = unname(p), holm = p.adjust(p, "holm"), BH = p.adjust(p, "BH"),
                   bonferroni = p.adjust(p, "bonferroni"))
}
pz <- c(0.01, 0.04, 0.04, 0.2, 0.5, 0.013)   # ties in p
adj$ties <- list(p = pz, holm = p.adjust(pz, "holm"), BH = p.adjust(pz, "BH"), bonferroni = p.adjust(pz, "bonferroni"))

# Table 2 (instrument/akmal2022-table2-codes.yaml): Fisher, Newcombe (method 10), BH
codes <- read.table(text = "
hc_qi_experience 35 18
hc_implemented_before 15 19
process_engineering 5 20
six_sigma 5 18
motivation 25 18
approachability 20 18
respects_opinions 27 17
min_power_distance 22 15", col.names = c("code", "x", "y"))
z <- qnorm(0.975)
wil <- function(x, n) { p <- x / n; c((2 * x + z^2 - z * sqrt(z^2 + 4 * x * (1 - p))) / (2 * (n + z^2)),
                                      (2 * x + z^2 + z * sqrt(z^2 + 4 * x * (1 - p))) / (2 * (n + z^2))) }
th <- lapply(seq_len(nrow(codes)), function(i) {
  x <- codes$x[i]; y <- codes$y[i]; p1 <- x / 36; p2 <- y / 20
  w1 <- wil(x, 36); w2 <- wil(y, 20); dd <- p1 - p2
  list(code = codes$code[i], rd = dd, lo = dd - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2),
       hi = dd + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2),
       fisher_p = fisher.test(matrix(c(x, 36 - x, y, 20 - y), 2, byrow = TRUE))$p.value)
})
thp <- sapply(th, function(e) e$fisher_p)
newcombe_example <- { x <- 56; n1 <- 70; y <- 48; n2 <- 80; w1 <- wil(x, n1); w2 <- wil(y, n2); p1 <- x / n1; p2 <- y / n2
  c(p1 - p2 - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2), p1 - p2 + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2)) }

# Teams: ICC(1), ICC(2) from aov (Bliese 2000); rwg(j) with the uniform null, A = 5
sizes <- c(5, 6, 7, 9, 5, 8, 6, 7, 5, 6)
team <- rep(sprintf("T%02d", seq_along(sizes)), sizes)
u <- rep(rnorm(length(sizes), 0, 0.6), sizes)
items <- sapply(1:4, function(j) pmin(5, pmax(1, round(3 + u + rnorm(length(team), 0, 0.9)))))
colnames(items) <- paste0("it", 1:4)
items[c(4, 33), 2] <- NA
score <- rowMeans(items, na.rm = TRUE)
qtype <- sample(c(1, 2), length(team), replace = TRUE)
td <- data.frame(team = team, qim_type = qtype, items, score = score)
write.csv(td, "tests/reference/data/compare_r_teams.csv", row.names = FALSE, na = "")
a <- summary(aov(score ~ as.factor(team)))[[1]]
msb <- a[1, "Mean Sq"]; msw <- a[2, "Mean Sq"]; kbar <- mean(table(team))
rwgj <- sapply(split(as.data.frame(items), team), function(Q) {
  Q <- na.omit(Q); Jn <- ncol(Q); mv <- mean(apply(Q, 2, var)); ev <- (5^2 - 1) / 12
  if (mv >= ev) 0 else Jn * (1 - mv / ev) / (Jn * (1 - mv / ev) + mv / ev) })
blau <- sapply(split(qtype, team), function(t) 1 - sum(prop.table(table(t))^2))
teams <- list(icc1 = (msb - msw) / (msb + (kbar - 1) * msw), icc2 = (msb - msw) / msb, f = a[1, "F value"],
              p = a[1, "Pr(>F)"], rwg_j = unname(rwgj), rwg_team = names(rwgj), blau = unname(blau))

ptk <- list(q = c(0.5, 2, 3.5, 5, 8), k = c(2, 3, 4, 6, 3), df = c(5, 17.3, 60, 300, 2000))
ptk$p <- ptukey(ptk$q, ptk$k, ptk$df, lower.tail = FALSE)
ptk$qtukey95 <- qtukey(0.95, ptk$k, ptk$df)

eta_cases <- data.frame(f = c(20, 3.5, 9.1), df1 = c(2, 3, 4), df2 = c(57, 100, 30))
eta_cases$lo <- NA; eta_cases$hi <- NA
for (i in seq_len(nrow(eta_cases))) {
  e <- eta_cases[i, ]
  rt <- function(t) { if (pf(e$f, e$df1, e$df2) <= t) return(0)
    uniroot(function(l) pf(e$f, e$df1, e$df2, ncp = l) - t, c(0, 1000), tol = 1e-13)$root }
  lam <- c(rt(0.975), rt(0.025)); n <- e$df1 + e$df2 + 1
  eta_cases$lo[i] <- lam[1] / (lam[1] + n); eta_cases$hi[i] <- lam[2] / (lam[2] + n)
}

out <- list(two = two, many = many, adjust = adj, eta_sq_ci = eta_cases,
            themes = list(codes = th, bh = p.adjust(thp, "BH"), newcombe_example = newcombe_example),
            teams = teams, ptukey = ptk)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "tests/reference/compare_r.json")
