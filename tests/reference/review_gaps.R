# Review reference: items with a gap in their categories (1,2,4,5), a 4-category item
# coded 1,3,4,5 and scattered missing values.
# Run from the repository root:  Rscript tests/reference/review_gaps.R
# Writes tests/reference/review_gaps.json and tests/reference/data/review_gaps.csv beside itself.
suppressMessages({library(psych); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
set.seed(5)
n <- 300
f <- rnorm(n)
z <- sapply(1:5, function(j) 0.7 * f + sqrt(0.51) * rnorm(n))
x <- as.data.frame(apply(z, 2, function(v) as.integer(cut(v, c(-Inf, -1, -.3, .3, 1, Inf)))))
names(x) <- paste0("q", 1:5)
x$q2[x$q2 == 3] <- 4          # categories 1, 2, 4, 5
x$q4[x$q4 == 2] <- 1          # categories 1, 3, 4, 5
m <- as.matrix(x); m[sample(n * 5, 40)] <- NA; x <- as.data.frame(m)
write.csv(x, file.path(here, "data", "review_gaps.csv"), row.names = FALSE, na = "")
p <- suppressWarnings(polychoric(x))
a <- alpha(x, warnings = FALSE)
o <- suppressWarnings(omega(x, nfactors = 1, plot = FALSE))
fp <- fa(x, 2, rotate = "oblimin", cor = "poly")
out <- list(versions = list(R = R.version.string, psych = as.character(packageVersion("psych"))),
            rho = unname(p$rho), raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
            omega_total = o$omega.tot, fa_poly_loadings = unname(unclass(fp$loadings)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(here, "review_gaps.json"))
