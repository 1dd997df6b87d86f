"""Shared by every test layer: import the project (cvm_core, ui) from the checkout, uninstalled."""

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# The background prefetch after a load (ui/prefetch.py) would run analyses beside the tests that
# count core calls and, on CI's two cores, slow the browser tests' servers (they inherit this).
# The tests of the prefetch itself turn it on.
os.environ.setdefault("CVM_PREFETCH", "0")
