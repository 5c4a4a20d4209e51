# Reference values for qimscale.analysis.polychoric (psych, lavaan, polycor).
# Run from the repository root:  Rscript tests/reference/polychoric_reference.R
# Writes tests/reference/polychoric_reference.json and the data sets under
# tests/reference/data/polychoric_*.csv (re-running overwrites them identically).
suppressMessages({library(psych); library(lavaan); library(polycor); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
datadir <- file.path(here, "data")
dir.create(datadir, showWarnings = FALSE)
out <- list(versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                            lavaan = as.character(packageVersion("lavaan")),
                            polycor = as.character(packageVersion("polycor"))))

psych_poly <- function(x, ...) {
  w <- character(0)
  res <- withCallingHandlers(suppressMessages(polychoric(x, ...)),
                             warning = function(m) { w <<- c(w, conditionMessage(m)); invokeRestart("muffleWarning") })
  list(rho = unname(res$rho), tau = unname(res$tau), warnings = w)
}
lavaan_poly <- function(x) {
  fit <- lavCor(x, ordered = names(x), missing = "pairwise", output = "fit")
  ss <- lavInspect(fit, "sampstat")
  list(rho = unname(ss$cov[names(x), names(x)]), th = unname(ss$th), th_names = names(ss$th))
}
write_data <- function(x, name) write.csv(x, file.path(datadir, name), row.names = FALSE, na = "")

# ---- (1) simulated 5-point items, N = 500, missing values, item i9 reverse keyed
set.seed(20261126)
n <- 500; p <- 9
f <- rnorm(n)
lam <- c(.8, .75, .7, .65, .6, .55, .5, .45, -.7)  # i9 is reverse keyed: negatively related to i1-i8
z <- sapply(lam, function(l) l * f + sqrt(1 - l^2) * rnorm(n))
cuts <- list(c(-1.5, -.5, .4, 1.3), c(-1.2, -.3, .6, 1.5), c(-2, -1, 0, 1), c(-.8, 0, .8, 1.6),
             c(-1.6, -.7, .2, 1.1), c(-1, -.2, .5, 1.2), c(-1.8, -.9, .1, .9), c(-1.3, -.4, .3, 1.8),
             c(-1.4, -.6, .3, 1.2))
sim <- as.data.frame(sapply(1:p, function(j) findInterval(z[, j], cuts[[j]]) + 1))
names(sim) <- paste0("i", 1:p)
miss <- matrix(runif(n * p) < .05, n, p)
sim[miss] <- NA
sim[c(17, 300), ] <- NA  # two all-missing rows
write_data(sim, "polychoric_sim.csv")
out$sim <- list(psych = psych_poly(sim), psych_raw = psych_poly(sim, smooth = FALSE),
                lavaan = lavaan_poly(sim))
# keyed version (6 - i9) must give the same matrix with the i9 row/column sign flipped
sim_r <- sim; sim_r$i9 <- 6 - sim_r$i9
out$sim_reversed <- list(psych = psych_poly(sim_r))

# ---- (2) psych::bfi, 25 personality items (with NAs)
data(bfi, package = "psych")
b <- bfi[, 1:25]
write_data(b, "polychoric_bfi.csv")
out$bfi <- list(psych = psych_poly(b), lavaan = lavaan_poly(b))

# ---- (3) sparse data: zero cells, N = 60, four-point skewed items
set.seed(7)
n <- 60
f <- rnorm(n)
sp <- as.data.frame(sapply(c(.9, .85, .8, .7, .6), function(l)
  findInterval(l * f + sqrt(1 - l^2) * rnorm(n), c(-.3, .7, 1.6)) + 1))
names(sp) <- paste0("s", 1:5)
sp[c(3, 11), 2] <- NA
write_data(sp, "polychoric_sparse.csv")
out$sparse <- list(
  maxima = unname(sapply(sp, max, na.rm = TRUE)),
  psych = psych_poly(sp),
  psych_pairwise = psych_poly(sp, global = FALSE),
  psych_pairwise_nocorrect = psych_poly(sp, global = FALSE, correct = 0),
  lavaan = lavaan_poly(sp))
# (3b) unequal highest categories: psych switches to global = FALSE by itself
sp2 <- sp; sp2$s5[sp2$s5 == 4] <- 3
write_data(sp2, "polychoric_sparse_unequal.csv")
out$sparse_unequal <- list(maxima = unname(sapply(sp2, max, na.rm = TRUE)), psych = psych_poly(sp2),
                           lavaan = lavaan_poly(sp2))

# (3c) unequal lowest categories only: psych keeps global thresholds (its rule looks at the maxima)
sp3 <- sp; sp3$s5[sp3$s5 == 1] <- 2
write_data(sp3, "polychoric_sparse_unequal_min.csv")
out$sparse_unequal_min <- list(minima = unname(sapply(sp3, min, na.rm = TRUE)), psych = psych_poly(sp3))

# ---- (4) a non-positive-definite matrix: smoothing
set.seed(190)  # chosen: all items use categories 1-4 and the raw matrix has a negative eigenvalue
n <- 25
f <- rnorm(n)
nd <- as.data.frame(sapply(c(.95, .9, .9, .85, .85, .8, .8, .75), function(l)
  findInterval(l * f + sqrt(1 - l^2) * rnorm(n), c(-.8, 0, .8)) + 1))
names(nd) <- paste0("q", 1:8)
write_data(nd, "polychoric_npd.csv")
raw <- suppressWarnings(suppressMessages(polychoric(nd, smooth = FALSE)))$rho
out$npd <- list(min_eigen_raw = min(eigen(raw)$values), psych = psych_poly(nd),
                psych_raw = psych_poly(nd, smooth = FALSE))

# ---- (5) polyserial: continuous x with the sim items
set.seed(3)
xc <- round(rowSums(sim[, 1:4], na.rm = TRUE) + rnorm(nrow(sim)), 4)
ps <- data.frame(x = xc, y = sim$i5)
write_data(ps, "polychoric_polyserial.csv")
out$polyserial <- list(adhoc = polyserial(ps$x, ps$y),
                       twostep_ml = polyserial(ps$x, ps$y, std.err = TRUE)$rho)

# ---- (6) binary items: lavaan's 2 x 2 rules (zero.add = 0.5 keeping margins for one empty cell)
set.seed(21)
n <- 80
f <- rnorm(n)
bin <- as.data.frame(sapply(c(.9, .8, .7, .6), function(l) as.integer(l * f + sqrt(1 - l^2) * rnorm(n) > .3)))
names(bin) <- paste0("b", 1:4)
bin$b2[bin$b1 == 0 & bin$b2 == 1] <- 0  # b1 x b2 has exactly one empty cell
bin$b4[5] <- NA
write_data(bin, "polychoric_binary.csv")
out$binary <- list(table12 = unclass(unname(as.matrix(table(bin$b1, bin$b2)))),
                   psych = psych_poly(bin), lavaan = lavaan_poly(bin))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE),
           file.path(here, "polychoric_reference.json"))
