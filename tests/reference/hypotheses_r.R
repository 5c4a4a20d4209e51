# Reference values for qimscale.study.hypotheses (run from the repository root):
#   Rscript tests/reference/hypotheses_r.R
# Data: tests/reference/data/hypotheses_scores.csv (300 simulated respondents scored by qimscale).
suppressMessages({library(jsonlite); library(sandwich)})
d <- read.csv("tests/reference/data/hypotheses_scores.csv")
kg <- list()
for (s in c("exp_methods", "exp_context", "lead_systems", "lead_longterm", "ip_trustworthiness")) {
  a <- d[[s]][d$qim_type == 1 & !is.na(d[[s]])]; b <- d[[s]][d$qim_type == 2 & !is.na(d[[s]])]
  tt <- t.test(a, b)                                   # Welch, R's default
  n1 <- length(a); n2 <- length(b)
  sp <- sqrt(((n1 - 1) * var(a) + (n2 - 1) * var(b)) / (n1 + n2 - 2))
  dd <- (mean(a) - mean(b)) / sp; J <- 1 - 3 / (4 * (n1 + n2) - 9)
  se <- sqrt((n1 + n2) / (n1 * n2) + dd^2 / (2 * (n1 + n2)))
  kg[[s]] <- list(p = tt$p.value, g = J * dd, lo = J * (dd - qnorm(0.975) * se), hi = J * (dd + qnorm(0.975) * se))
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
