"""Scale-out: the launch time shared by data-parallel processes, the SLURM launcher config, and
(slow) real 2-process data-parallel training on CPU with gloo under torchrun and accelerate
launch, and a sweep through Hydra's submitit launcher (local executor)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from conftest import FEW_STEPS, REPO_ROOT, SMALL_TINY

os.environ.setdefault("PROJECT_ROOT", str(REPO_ROOT))

from arabic_ie.train import distributed  # noqa: E402
from arabic_ie.train.config import register_configs  # noqa: E402

SMALL = ["task=ner", *SMALL_TINY, *FEW_STEPS, "trainer.log_level=info"]


@pytest.fixture
def fresh_launch_time(monkeypatch):
    monkeypatch.setattr(distributed, "_launch_time", None)
    for name in ("RANK", "WORLD_SIZE", distributed.LAUNCH_TIME_ENV, "TORCHELASTIC_USE_AGENT_STORE"):
        monkeypatch.delenv(name, raising=False)
    yield monkeypatch
    distributed._launch_time = None


def test_launch_time_is_fixed_once_per_process_and_can_come_from_the_environment(fresh_launch_time):
    first = distributed.launch_time()
    assert distributed.launch_time() is first  # the same value for the run and the sweep folder
    fresh_launch_time.setattr(distributed, "_launch_time", None)
    fresh_launch_time.setenv(distributed.LAUNCH_TIME_ENV, "2026-01-31T12:34:56")
    assert distributed.launch_time() == datetime(2026, 1, 31, 12, 34, 56)


def test_processes_without_an_agent_store_are_told_to_pass_the_run_dir(fresh_launch_time):
    fresh_launch_time.setenv("WORLD_SIZE", "2")
    fresh_launch_time.setenv("RANK", "1")
    assert not distributed.is_main_process() and distributed.rank_suffix() == ".rank1"
    with pytest.raises(RuntimeError, match="hydra.run.dir"):
        distributed.launch_time()


def test_run_and_sweep_dirs_use_the_shared_launch_time(fresh_launch_time):
    fresh_launch_time.setenv(distributed.LAUNCH_TIME_ENV, "2026-01-31T12:34:56")
    register_configs()
    distributed.register_resolvers()
    with initialize_config_dir(config_dir=str(REPO_ROOT / "configs"), version_base="1.3"):
        cfg = compose("train", overrides=["task=ner"], return_hydra_config=True)
    assert cfg.hydra.run.dir == f"{REPO_ROOT}/outputs/sample-ner-embedded/2026-01-31_12-34-56"
    assert cfg.hydra.sweep.dir == f"{REPO_ROOT}/outputs/multirun/2026-01-31_12-34-56"
    logging = OmegaConf.to_container(cfg.hydra.job_logging, resolve=False)
    assert logging["handlers"]["file"]["filename"] == "${hydra.runtime.output_dir}/${hydra.job.name}${rank_suffix:}.log"


def test_slurm_launcher_config_composes_onto_submitit():
    register_configs()
    distributed.register_resolvers()
    with initialize_config_dir(config_dir=str(REPO_ROOT / "configs"), version_base="1.3"):
        cfg = compose("train", overrides=["hydra/launcher=slurm", "hydra.launcher.partition=gpu"], return_hydra_config=True)
    launcher = cfg.hydra.launcher
    assert launcher._target_ == "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    assert (launcher.partition, launcher.gpus_per_node, launcher.tasks_per_node, launcher.timeout_min) == ("gpu", 1, 1, 240)
    assert launcher.setup[0] == f"export PYTHONPATH={REPO_ROOT}/src:$PYTHONPATH"


def test_experiment_anercorp_is_the_anercorp_protocol(monkeypatch):
    register_configs()
    monkeypatch.delenv("ANERCORP_TEST", raising=False)
    with initialize_config_dir(config_dir=str(REPO_ROOT / "configs"), version_base="1.3"):
        cfg = compose("train", overrides=["experiment=anercorp", "seed=2"])
        assert (cfg.data.name, cfg.task.name, cfg.model.name, cfg.seed) == ("anercorp", "ner", "embedded", 2)
        assert cfg.data.test is None and cfg.evaluate_test and cfg.trainer.load_best_model_at_end
        assert cfg.trainer.metric_for_best_model == "f1" and cfg.trainer.num_train_epochs == 6
        assert compose("train", overrides=["experiment=anercorp", "data.test=/x/test.txt"]).data.test == "/x/test.txt"
        assert compose("train", overrides=["experiment=anercorp", "model=arabertv02"]).model.name == "arabertv02"
        monkeypatch.setenv("ANERCORP_TEST", "/y/test.txt")
        assert compose("train", overrides=["experiment=anercorp"]).data.test == "/y/test.txt"


def _launch(command: list[str], tmp_path, timeout=600, extra_env=None):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PROJECT_ROOT": str(REPO_ROOT), **(extra_env or {})}
    env.pop(distributed.LAUNCH_TIME_ENV, None)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp_path)


def _check_data_parallel_run(result, output_dir):
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-4000:])
    runs = list((output_dir / "sample-ner-tiny").iterdir())
    assert len(runs) == 1, runs  # both processes agreed on the time-stamped run directory
    run = runs[0]
    for name in ["config.yaml", "metrics.json", "label_schemes.json", "tokenizer/tokenizer.json", "model/tagger.json",
                 "predictions/test.tags.jsonl", "checkpoints/checkpoint-4", "checkpoints/trainer_state.json", "train.log", "train.rank1.log"]:
        assert (run / name).exists(), name
    output = result.stdout + result.stderr
    assert "Total train batch size (w. parallel, distributed & accumulation) = 32" in output  # 2 processes x 16
    assert output.count("| test | ner |") == 1  # the main process alone evaluates and prints
    state = json.loads((run / "checkpoints" / "trainer_state.json").read_text())
    assert state["global_step"] == 4 and any("eval_f1" in e for e in state["log_history"])
    assert set(json.loads((run / "metrics.json").read_text())) == {"dev", "test"}


@pytest.mark.slow
def test_torchrun_trains_data_parallel_on_cpu_with_gloo(tmp_path):
    result = _launch([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                      str(REPO_ROOT / "scripts" / "train.py"), *SMALL, "report=true", f"paths.output_dir={tmp_path / 'out'}"], tmp_path)
    _check_data_parallel_run(result, tmp_path / "out")
    report = next((tmp_path / "out" / "sample-ner-tiny").iterdir()) / "report"
    assert (report / "report.md").is_file() and (report / "curves.png").is_file() and (report / "f1_test_ner.png").is_file()
    assert (result.stdout + result.stderr).count("Report (bootstrap intervals") == 1


@pytest.mark.slow
def test_accelerate_launch_trains_data_parallel_on_cpu(tmp_path):
    accelerate = os.path.join(os.path.dirname(sys.executable), "accelerate")
    result = _launch([accelerate, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
                      "--dynamo_backend", "no", str(REPO_ROOT / "scripts" / "train.py"), *SMALL, f"paths.output_dir={tmp_path / 'out'}"],
                     tmp_path)
    _check_data_parallel_run(result, tmp_path / "out")


@pytest.mark.slow
def test_a_sweep_runs_through_the_submitit_launcher(tmp_path):
    """The cluster path without a cluster: submitit's local executor pickles the jobs as on SLURM."""
    small = [o for o in SMALL if not o.startswith("trainer.log_level")]
    result = _launch([sys.executable, str(REPO_ROOT / "scripts" / "train.py"), "-m", "hydra/launcher=submitit_local", "seed=1,2",
                      *small, f"hydra.sweep.dir={tmp_path / 'sweep'}"], tmp_path, extra_env={"PYTHONPATH": str(REPO_ROOT / "src")})
    assert result.returncode == 0, result.stderr[-4000:]
    for job in ("0", "1"):
        assert set(json.loads((tmp_path / "sweep" / job / "metrics.json").read_text())) == {"dev", "test"}
