"""Allow ``python -m qimscale``."""

from qimscale.cli import run

run()
