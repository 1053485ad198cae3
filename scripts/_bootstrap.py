"""Shared by the entry points: find the repository root and expose it as PROJECT_ROOT for configs."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("PROJECT_ROOT", str(ROOT))
if str(ROOT / "src") not in sys.path:  # lets the scripts run from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))
CONFIG_DIR = str(ROOT / "configs")

from arabic_ie.train.config import register_configs  # noqa: E402
from arabic_ie.train.distributed import register_resolvers  # noqa: E402

register_configs()
register_resolvers()  # ${launch_time:...}: one run directory for all data-parallel processes
