# Reference values for qimscale.study.hypotheses (run from the repository root):
#   Rscript tests/reference/hypotheses_r.R
# Data: tests/reference/data/hypotheses_scores.csv (300 simulated respondents scored by qimscale).
suppressMessages({library(jsonlite); library(sandwich)})
d <- read.csv("tests/reference/data/hypotheses_scores.csv")
kg <- list()
for (s in c("exp_methods", "exp_context", "lead_systems", "lead_longterm", "ip_trustworthiness")) {
  a <- d[[s]][d$qim_type == 1 & !is.na(d[[s]])]; b <- d[[s]][d$qim_type == 2 & !is.na(d[[s]])]
  tt <- t.test(a, b)                                   # Welch, R's default
  n1 <- length(a); n2 <- length(b); df <- n1 + n2 - 2
  sp <- sqrt(((n1 - 1) * var(a) + (n2 - 1) * var(b)) / df)
  dd <- (mean(a) - mean(b)) / sp
  # Hedges' g with the exact J and the noncentral-t interval (effectsize::hedges_g's conventions)
  J <- exp(lgamma(df / 2) - log(sqrt(df / 2)) - lgamma((df - 1) / 2))
  k <- sqrt(1 / n1 + 1 / n2); t0 <- dd / k
  ncp <- function(target) uniroot(function(x) pt(t0, df, x) - target, c(t0 - 10, t0 + 10), tol = 1e-13)$root
  kg[[s]] <- list(p = tt$p.value, g = J * dd, lo = J * ncp(0.975) * k, hi = J * ncp(0.025) * k)
}
z <- as.data.frame(scale(na.omit(d[, c("qi_performance", "expertise", "leadership", "interpersonal")])))
ols <- function(f) {
  m <- lm(f, z); V <- vcovHC(m, type = "HC3"); se <- sqrt(diag(V)); b <- coef(m)
  p <- 2 * pt(abs(b / se), df = m$df.residual, lower.tail = FALSE)
  crit <- qt(0.975, m$df.residual)
  list(est = as.list(b), se = as.list(se), p = as.list(p), lo = as.list(b - crit * se), hi = as.list(b + crit * se))
}
z2 <- as.data.frame(scale(na.omit(d[, c("qi_performance", "interpersonal", "expertise")])))
m2 <- lm(qi_performance ~ interpersonal + expertise + I(interpersonal * expertise), z2)
V2 <- vcovHC(m2, type = "HC3"); b2 <- coef(m2)[4]; se2 <- sqrt(V2[4, 4])
out <- list(known_groups = kg,
            criterion = ols(qi_performance ~ expertise + leadership + interpersonal),
            moderation = list(est = unname(b2), p = unname(2 * pt(abs(b2 / se2), m2$df.residual, lower.tail = FALSE))),
            holm = p.adjust(c(0.01, 0.04, 0.03, NA, 0.2), "holm"))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/hypotheses_r.json")
