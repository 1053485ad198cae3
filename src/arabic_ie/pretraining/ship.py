"""Ship a pretraining run's encoder as plain files small enough for git (`models/NAME`).

What goes into the folder, and why:

- `model.safetensors` + `config.json`: the encoder as a `BertModel` in float16 (half the bytes;
  fine-tuning loads it with `dtype=torch.float32`, see `modeling.build_encoder`). The MLM head is
  left out (fine-tuning adds its own heads); the pooler is kept, though token classification never
  uses it, so that `AutoModel.from_pretrained` finds every weight it expects and prints no load
  report. The pooler was never trained: it is the seeded random initialisation.
- `tokenizer.json` + `tokenizer_config.json`: the run's fast WordPiece tokenizer.
- `pretraining.json`: the run's summary (corpus, recipe, steps, held-out loss), with the loss curve.
- `loss_curve.png` and `README.md`: the model card, with the corpus licence condition and any
  fine-tuning results passed in as Markdown files.

The folder is refused (nothing written) when its weights and tokenizer exceed `max_megabytes`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import tempfile
from pathlib import Path

import torch
from transformers import AutoModel, AutoTokenizer, BertModel

from arabic_ie.package.files import publish_modes
from arabic_ie.pretraining.run import MODEL_DIR, recipe_text

log = logging.getLogger(__name__)
DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


def phase_history(state_file, label: str, tokens_per_step: int) -> dict:
    """One pretraining run's (step, loss) pairs, training and held-out, from its trainer_state.json."""
    state_file = Path(state_file)
    if not state_file.is_file():
        raise FileNotFoundError(f"{state_file}: no trainer state (was the pretraining run finished?)")
    history = json.loads(state_file.read_text(encoding="utf-8"))["log_history"]
    train = [(h["step"], h["loss"]) for h in history if "loss" in h]
    # the evaluation after training repeats the last step's: one point per step
    heldout = sorted({h["step"]: h["eval_loss"] for h in history if "eval_loss" in h}.items())
    return {"label": label, "tokens_per_step": int(tokens_per_step), "train": train, "heldout": [list(p) for p in heldout]}


def last_step(phase: dict) -> int:
    return max((step for step, _ in phase["train"]), default=0)


def plot_loss_curve(phases: list[dict], path: Path) -> None:
    """Training and held-out MLM loss against tokens seen, one colour per phase."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=100)
    offset = 0.0
    for phase, colour in zip(phases, ("tab:blue", "tab:orange", "tab:green", "tab:red")):
        scale = phase["tokens_per_step"] / 1e6
        for name, style, what in (("train", "-", "training"), ("heldout", "o", "held-out")):
            if phase[name]:
                steps, losses = zip(*phase[name])
                ax.plot([offset + step * scale for step in steps], losses, style, color=colour, markersize=4,
                        alpha=0.6 if name == "train" else 1.0, label=f"{phase['label']}: {what}")
        offset += last_step(phase) * scale
    ax.set_xlabel("tokens seen (millions)")
    ax.set_ylabel("MLM loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def folder_megabytes(folder: Path) -> float:
    return sum(f.stat().st_size for f in Path(folder).iterdir() if f.is_file()) / 1e6


def ship_encoder(run_dir, output_dir, *, name: str, dtype: str = "float16", max_megabytes: float = 25.0,
                 results=(), earlier_phases=(), label: str | None = None, seed: int = 0) -> dict:
    """Write RUN_DIR/model's encoder, tokenizer and model card to OUTPUT_DIR (replacing it).

    `earlier_phases`: runs that RUN_DIR continued from (`init_from`), oldest first, each a mapping
    with `label`, `trainer_state` (its trainer_state.json) and `tokens_per_step`, so that the card's
    loss curve and table show the whole history; `label` names RUN_DIR's own phase.
    """
    run_dir, output_dir = Path(run_dir), Path(output_dir)
    source = run_dir / MODEL_DIR
    if not (source / "pretraining.json").is_file():
        raise FileNotFoundError(f"{source}: no finished pretraining run here (pretraining.json is missing)")
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r}: choose one of {', '.join(DTYPES)}")
    summary = json.loads((source / "pretraining.json").read_text(encoding="utf-8"))
    tokens_per_step = summary["tokens_seen"] // max(summary["steps"], 1)
    last = phase_history(run_dir / "checkpoints" / "trainer_state.json",
                         label or f"seq {summary['seq_length']}, {tokens_per_step:,} tokens/step", tokens_per_step)
    history = [phase_history(p["trainer_state"], p["label"], p["tokens_per_step"]) for p in earlier_phases] + [last]

    torch.manual_seed(seed)  # the untrained pooler's initialisation
    trained = AutoModel.from_pretrained(source, dtype=torch.float32)  # drops the MLM head
    encoder = BertModel(trained.config, add_pooling_layer=True)
    missing, unexpected = encoder.load_state_dict(trained.state_dict(), strict=False)
    if unexpected or any(not key.startswith("pooler.") for key in missing):
        raise ValueError(f"{source}: not a BERT encoder checkpoint (missing {missing}, unexpected {unexpected})")
    encoder.to(DTYPES[dtype])
    tokenizer = AutoTokenizer.from_pretrained(source)

    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}-", dir=output_dir.parent))
    try:
        encoder.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        for extra in set(p.name for p in staging.iterdir()) - {"config.json", "model.safetensors", *TOKENIZER_FILES}:
            (staging / extra).unlink()  # e.g. special_tokens_map.json: tokenizer_config.json says it all
        size = folder_megabytes(staging)
        if size > max_megabytes:
            raise ValueError(f"{output_dir}: weights and tokenizer take {size:.1f} MB, over the {max_megabytes} MB limit")
        if "optimisation" not in summary:  # runs made before pretraining.json recorded it: their resolved config has it
            summary["optimisation"] = recorded_optimisation(run_dir)
        summary = {**summary, "shipped": {"dtype": dtype, "megabytes": round(size, 2), "from": str(source),
                                          "pooler": "untrained (seeded random init)", "mlm_head": "not shipped"},
                   "loss_history": history}
        (staging / "pretraining.json").write_text(repository_relative(json.dumps(summary, indent=2, ensure_ascii=False)),
                                                  encoding="utf-8")
        plot_loss_curve(history, staging / "loss_curve.png")
        results_md = [Path(r).read_text(encoding="utf-8").strip() for r in results]
        (staging / "README.md").write_text(model_card(name, summary, source / "README.md", results_md), encoding="utf-8")
        publish_modes(staging)  # mkdtemp made the folder private
        if output_dir.exists():
            shutil.rmtree(output_dir)
        staging.rename(output_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    log.info("shipped %s (%.1f MB, %s)", output_dir, size, dtype)
    return summary


def recorded_optimisation(run_dir: Path) -> dict:
    """The optimiser settings from RUN_DIR/config.yaml (every pretraining run writes it, resolved)."""
    import yaml

    from arabic_ie.pretraining.run import OPTIMISATION_FIELDS

    config = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
    return {k: config["seed"] if k == "seed" else config["trainer"][k] for k in OPTIMISATION_FIELDS} | {"processes": 1}


def repository_relative(text: str) -> str:
    """Paths on the machine that trained and shipped the model, made relative to the repository
    (the corpus as ../shared/..., run folders as outputs/...): a shipped file names no local folders."""
    root = Path(os.environ.get("PROJECT_ROOT") or Path.cwd()).resolve()
    for prefix in (f"{root}/../shared/", f"{root.parent}/shared/"):
        text = text.replace(prefix, "../shared/")
    return text.replace(f"{root}/", "")


def model_card(name: str, summary: dict, run_card: Path, results: list[str]) -> str:
    """The run's card (corpus, recipe, licence) with the shipped form, the loss curve and results."""
    run_text = run_card.read_text(encoding="utf-8") if run_card.is_file() else ""
    # keep the run card's front matter and facts, drop its "Use" section (paths of the run folder)
    body = run_text.split("\n## Use", 1)[0].rstrip()
    body = re.sub(r"^# .*$", f"# {name}: a compact Arabic BERT pretrained with arabic-ie", body, count=1, flags=re.M)
    body = repository_relative(body)
    shipped = summary["shipped"]
    phases = summary["loss_history"]
    steps = sum(last_step(p) for p in phases)
    tokens = sum(last_step(p) * p["tokens_per_step"] for p in phases)
    facts, sep, rest = body.partition("\n\n## ")  # the run card's list of facts, then its sections
    if "peak lr" not in facts:
        facts += f"\n- **Optimisation:** {recipe_text(summary['optimisation'], summary['seq_length'])}."
    if len(phases) > 1:
        facts += (f"\n- **Whole history:** {len(phases)} phases, each continuing the previous one, {steps:,} steps and "
                  f"{tokens:,} tokens in all (the lines above describe the last phase; table below).")
    body = facts + sep + rest
    lines = [body, "", "## This folder", "",
             f"- `model.safetensors` ({shipped['dtype']}) and `config.json`: the encoder as a `BertModel`, "
             f"{shipped['megabytes']:.1f} MB with the tokenizer. Load it in float32 to train "
             "(`AutoModel.from_pretrained(path, dtype=torch.float32)`; transformers 5 keeps the stored dtype otherwise).",
             "- The MLM head is not shipped; the pooler is an untrained random initialisation "
             "(token classification does not use it).",
             "- `pretraining.json`: the full recipe, counts and the loss history; `loss_curve.png`: the curve below.",
             "", "## Loss curve", "", "![MLM loss](loss_curve.png)", "",
             "Held-out blocks have the phase's sequence length, so losses compare within a phase, not across phases.", "",
             "| phase | step | tokens seen | held-out MLM loss | perplexity |", "| --- | ---: | ---: | ---: | ---: |"]
    offset = 0
    for phase in summary["loss_history"]:
        lines += [f"| {phase['label']} | {step:,} | {offset + step * phase['tokens_per_step']:,} | {loss:.4f} | "
                  f"{math.exp(loss):.1f} |" for step, loss in phase["heldout"]]
        offset += last_step(phase) * phase["tokens_per_step"]
    if results:
        lines += ["", "## Fine-tuning results", ""] + [r + "\n" for r in results]
    lines += ["", "## Use", "", "```bash",
              f"python scripts/train.py model=local model.path=models/{name} model.learning_rate=LR",
              f"python scripts/train.py data=anercorp task=ner model=local model.path=models/{name} model.learning_rate=LR",
              "```", "",
              "```python", "import torch", "from transformers import AutoModel, AutoTokenizer",
              f"encoder = AutoModel.from_pretrained('models/{name}', dtype=torch.float32)",
              f"tokenizer = AutoTokenizer.from_pretrained('models/{name}')", "```", ""]
    return "\n".join(lines)
