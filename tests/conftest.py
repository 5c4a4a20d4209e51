"""Test-suite configuration.

Property-based tests use Hypothesis. Under CI (``CI`` set in the environment)
they run derandomized, so a submission's CI result does not depend on which
random examples a run happens to draw; locally they explore new examples each
run and keep failures in ``.hypothesis/``.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
