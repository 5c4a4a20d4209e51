"""Benchmarks: qimscale timed against its peers in the same run, reported as ratios."""
