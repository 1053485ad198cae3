"""Light setup for the entry points that need no training code (aggregate, report, compare_runs):
the repository root as PROJECT_ROOT for the configs and src/ on sys.path, without importing
transformers (scripts/_bootstrap.py does this and registers the training configs)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("PROJECT_ROOT", str(ROOT))
if str(ROOT / "src") not in sys.path:  # lets the scripts run from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))
CONFIG_DIR = str(ROOT / "configs")
