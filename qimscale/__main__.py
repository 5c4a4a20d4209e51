"""Allow ``python -m qimscale``."""

from qimscale.cli import main

main()
