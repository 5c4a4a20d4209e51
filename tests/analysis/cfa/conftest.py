"""Makes the shared comparison helpers of this folder (``differential_compare.py``) importable from
the test files of its subfolders (``wlsmv/``) however the tests are selected."""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
