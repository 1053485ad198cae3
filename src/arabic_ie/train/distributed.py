"""Data-parallel launches (`torchrun`, `accelerate launch`): which process is the main one, and a
launch time that every process agrees on, so that all of them use the same Hydra run directory.

Hydra's `${now:...}` is evaluated in each process and can differ by a second between them. The
configs use `${launch_time:...}` instead: in a single process it is the current time; under a
torch elastic launcher (torchrun, accelerate launch) rank 0 publishes its time in the launcher's
key-value store (MASTER_ADDR:MASTER_PORT) and the other ranks read it. It can also be fixed for
every process with the environment variable ARABIC_IE_LAUNCH_TIME (ISO format, e.g.
2026-01-31T12:00:00), or the run directory can be given outright with hydra.run.dir=...
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

LAUNCH_TIME_ENV = "ARABIC_IE_LAUNCH_TIME"
STORE_KEY = "arabic_ie/launch_time"
_launch_time: datetime | None = None


def rank() -> int:
    """Global rank from the launcher's environment (0 when not launched in parallel)."""
    return int(os.environ.get("RANK", 0))


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", 1))


def is_main_process() -> bool:
    return rank() == 0


def _shared_time(timeout_s: float = 300.0) -> datetime:
    if os.environ.get("TORCHELASTIC_USE_AGENT_STORE") != "True" or "MASTER_ADDR" not in os.environ:
        raise RuntimeError(
            f"{world_size()} processes were launched without a torch elastic agent store, so they cannot agree on a "
            f"time-stamped run directory: pass hydra.run.dir=SOME_DIR (or set {LAUNCH_TIME_ENV}) on the command line")
    from torch.distributed import TCPStore

    store = TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), world_size(), False,
                     timeout=timedelta(seconds=timeout_s))
    if rank() == 0:
        # the agent store outlives restarted workers: a restart reuses the first time (and run dir)
        if not store.check([STORE_KEY]):
            store.set(STORE_KEY, datetime.now().isoformat())
    return datetime.fromisoformat(store.get(STORE_KEY).decode())


def launch_time() -> datetime:
    """The time of this launch, the same in every process of a data-parallel launch."""
    global _launch_time
    if _launch_time is None:
        if os.environ.get(LAUNCH_TIME_ENV):
            _launch_time = datetime.fromisoformat(os.environ[LAUNCH_TIME_ENV])
        elif world_size() > 1:
            _launch_time = _shared_time()
        else:
            _launch_time = datetime.now()
    return _launch_time


def rank_suffix() -> str:
    """'' on the main process, '.rankN' elsewhere (for per-process log files)."""
    return "" if is_main_process() else f".rank{rank()}"


def register_resolvers() -> None:
    """${launch_time:FORMAT} (strftime of launch_time()) and ${rank_suffix:} for the configs."""
    from omegaconf import OmegaConf

    OmegaConf.register_new_resolver("launch_time", lambda pattern: launch_time().strftime(pattern), replace=True)
    OmegaConf.register_new_resolver("rank_suffix", rank_suffix, replace=True)


# Registered on import as well: a job that Hydra's submitit launcher unpickles on a cluster node
# imports arabic_ie.train.run (hence this module) before it resolves the run's logging config.
register_resolvers()
