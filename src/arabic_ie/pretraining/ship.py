"""Ship a pretraining run's encoder as plain files small enough for git (the project's `model=embedded`).

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
import re
import shutil
import tempfile
from pathlib import Path

import torch
from transformers import AutoModel, AutoTokenizer, BertModel

from arabic_ie.pretraining.run import MODEL_DIR

log = logging.getLogger(__name__)
DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


def loss_history(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """(step, loss) pairs of training and held-out MLM loss from the Trainer's state file."""
    state_file = Path(run_dir) / "checkpoints" / "trainer_state.json"
    if not state_file.is_file():
        raise FileNotFoundError(f"{state_file}: no trainer state (was the pretraining run finished?)")
    history = json.loads(state_file.read_text(encoding="utf-8"))["log_history"]
    train = [(h["step"], h["loss"]) for h in history if "loss" in h]
    heldout = [(h["step"], h["eval_loss"]) for h in history if "eval_loss" in h]
    # the final evaluation after training repeats the last step's; keep one point per step
    return {"train": train, "heldout": sorted(dict(heldout).items())}


def plot_loss_curve(history: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
    for name, style in (("train", "-"), ("heldout", "o-")):
        if history[name]:
            steps, losses = zip(*history[name])
            ax.plot(steps, losses, style, label="held-out (fixed masks)" if name == "heldout" else "training", markersize=3)
    ax.set_xlabel("step")
    ax.set_ylabel("MLM loss")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def folder_megabytes(folder: Path) -> float:
    return sum(f.stat().st_size for f in Path(folder).iterdir() if f.is_file()) / 1e6


def ship_encoder(run_dir, output_dir, *, name: str, dtype: str = "float16", max_megabytes: float = 25.0,
                 results=(), seed: int = 0) -> dict:
    """Write RUN_DIR/model's encoder, tokenizer and model card to OUTPUT_DIR (replacing it)."""
    run_dir, output_dir = Path(run_dir), Path(output_dir)
    source = run_dir / MODEL_DIR
    if not (source / "pretraining.json").is_file():
        raise FileNotFoundError(f"{source}: no finished pretraining run here (pretraining.json is missing)")
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r}: choose one of {', '.join(DTYPES)}")
    summary = json.loads((source / "pretraining.json").read_text(encoding="utf-8"))
    history = loss_history(run_dir)

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
        summary = {**summary, "shipped": {"dtype": dtype, "megabytes": round(size, 2), "from": str(source),
                                          "pooler": "untrained (seeded random init)", "mlm_head": "not shipped"},
                   "loss_history": history}
        (staging / "pretraining.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
        plot_loss_curve(history, staging / "loss_curve.png")
        results_md = [Path(r).read_text(encoding="utf-8").strip() for r in results]
        (staging / "README.md").write_text(model_card(name, summary, source / "README.md", results_md), encoding="utf-8")
        if output_dir.exists():
            shutil.rmtree(output_dir)
        staging.rename(output_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    log.info("shipped %s (%.1f MB, %s)", output_dir, size, dtype)
    return summary


def model_card(name: str, summary: dict, run_card: Path, results: list[str]) -> str:
    """The run's card (corpus, recipe, licence) with the shipped form, the loss curve and results."""
    run_text = run_card.read_text(encoding="utf-8") if run_card.is_file() else ""
    # keep the run card's front matter and facts, drop its "Use" section (paths of the run folder)
    body = run_text.split("\n## Use", 1)[0].rstrip()
    body = re.sub(r"^# .*$", f"# {name}: a compact Arabic BERT pretrained with arabic-ie", body, count=1, flags=re.M)
    shipped = summary["shipped"]
    heldout = summary["loss_history"]["heldout"]
    lines = [body, "", "## This folder", "",
             f"- `model.safetensors` ({shipped['dtype']}) and `config.json`: the encoder as a `BertModel`, "
             f"{shipped['megabytes']:.1f} MB with the tokenizer. Load it in float32 to train "
             "(`AutoModel.from_pretrained(path, dtype=torch.float32)`; transformers 5 keeps the stored dtype otherwise).",
             "- The MLM head is not shipped; the pooler is an untrained random initialisation "
             "(token classification does not use it).",
             "- `pretraining.json`: the full recipe, counts and the loss history; `loss_curve.png`: the curve below.",
             "", "## Loss curve", "", "![MLM loss](loss_curve.png)", "",
             "| step | held-out MLM loss | perplexity |", "| ---: | ---: | ---: |"]
    lines += [f"| {step:,} | {loss:.4f} | {math.exp(loss):.1f} |" for step, loss in heldout]
    if results:
        lines += ["", "## Fine-tuning results", ""] + [r + "\n" for r in results]
    lines += ["", "## Use", "", "```bash",
              "python scripts/train.py                      # model=embedded is the default",
              "python scripts/train.py data=anercorp task=ner model=embedded", "```", "",
              "```python", "import torch", "from transformers import AutoModel, AutoTokenizer",
              f"encoder = AutoModel.from_pretrained('models/{name}', dtype=torch.float32)",
              f"tokenizer = AutoTokenizer.from_pretrained('models/{name}')", "```", ""]
    return "\n".join(lines)
