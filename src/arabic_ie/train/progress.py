"""The console of a training run: one progress bar for the training steps, metrics printed above it."""

from __future__ import annotations

from transformers.trainer_callback import ProgressCallback


class TrainingProgress(ProgressCallback):
    """HF's ProgressCallback without the evaluation bar: a second bar nested under the training
    bar leaves blank and half-erased lines behind in terminals and in logs, once per evaluation."""

    def on_prediction_step(self, args, state, control, eval_dataloader=None, **kwargs):
        return None
