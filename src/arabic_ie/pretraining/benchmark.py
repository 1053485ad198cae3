"""Training throughput of masked-LM pretraining set-ups (scripts/benchmark_pretraining.py).

A measurement is forward + backward + AdamW step (fused, the Trainer's default optimizer) of a
`BertForMaskedLM` on random token ids with `rate` of the positions masked, timed over a fixed
wall-clock budget after warm-up steps. The MLM loss is `masked_lm_loss`, the function training
uses, with the head scored at masked positions only or at every position. Machines shared with
other jobs make absolute numbers noisy: set-ups are measured round-robin, `repeats` times each,
and the best is kept, so that the ratios within one table are what to read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from transformers import BertConfig, BertForMaskedLM

from arabic_ie.pretraining.masking import IGNORE_INDEX
from arabic_ie.pretraining.model import masked_lm_loss


@dataclass(frozen=True)
class Setup:
    layers: int
    hidden: int
    vocab: int
    seq_length: int
    batch: int
    masked_only: bool
    bf16: bool

    @property
    def label(self) -> str:
        return (f"{self.layers}x{self.hidden} vocab {self.vocab // 1000}k seq {self.seq_length} batch {self.batch} "
                f"{'masked-only' if self.masked_only else 'full head'} {'bf16' if self.bf16 else 'fp32'}")


def build(setup: Setup) -> BertForMaskedLM:
    config = BertConfig(vocab_size=setup.vocab, hidden_size=setup.hidden, num_hidden_layers=setup.layers,
                        num_attention_heads=max(1, setup.hidden // 64), intermediate_size=4 * setup.hidden,
                        max_position_embeddings=max(512, setup.seq_length))
    return BertForMaskedLM(config)


def batch_of(setup: Setup, rate: float, generator: torch.Generator):
    input_ids = torch.randint(5, setup.vocab, (setup.batch, setup.seq_length), generator=generator)
    selected = torch.rand(setup.batch, setup.seq_length, generator=generator) < rate
    labels = torch.where(selected, input_ids, IGNORE_INDEX)
    return input_ids.masked_fill(selected, 4), labels


def measure(setup: Setup, seconds: float = 2.0, warmup: int = 1, min_steps: int = 2, rate: float = 0.15, seed: int = 0) -> dict:
    """Tokens (block positions) per second and seconds per step for one set-up."""
    torch.manual_seed(seed)
    model = build(setup)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    generator = torch.Generator().manual_seed(seed)
    batches = [batch_of(setup, rate, generator) for _ in range(4)]

    def step(number: int) -> float:
        input_ids, labels = batches[number % len(batches)]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=setup.bf16):
            loss = masked_lm_loss(model, input_ids, labels, masked_only=setup.masked_only)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.item()

    for number in range(warmup):
        step(number)
    steps, started, cpu_started = 0, time.perf_counter(), time.process_time()
    while steps < min_steps or time.perf_counter() - started < seconds:
        step(steps)
        steps += 1
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    tokens = steps * setup.batch * setup.seq_length
    return {"steps": steps, "seconds_per_step": elapsed / steps, "tokens_per_second": tokens / elapsed,
            "tokens_per_cpu_second": tokens / cpu}


def run(setups: list[Setup], repeats: int = 2, seconds: float = 2.0, warmup: int = 1, min_steps: int = 2,
        progress=print) -> dict[Setup, dict]:
    """Best of `repeats` per set-up (by tokens per CPU-second), measured round-robin."""
    best: dict[Setup, dict] = {}
    for repeat in range(repeats):
        for setup in setups:
            result = measure(setup, seconds, warmup, min_steps)
            if setup not in best or result["tokens_per_cpu_second"] > best[setup]["tokens_per_cpu_second"]:
                best[setup] = result
            progress(f"[{repeat + 1}/{repeats}] {setup.label}: {result['tokens_per_second']:,.0f} tokens/s, "
                     f"{result['tokens_per_cpu_second']:,.0f} tokens/CPU-s "
                     f"({result['seconds_per_step']:.2f} s/step, {result['steps']} steps)")
    return best


def markdown(results: dict[Setup, dict]) -> str:
    """One row per set-up, with the speed-up against the fp32 full-head run of the same shape.

    tokens/CPU-s divides by the CPU time of the process (all its threads) instead of the wall clock:
    on a machine shared with other jobs it hardly moves between repeats when torch runs one thread
    (`--threads 1`), while wall-clock tokens/s follows the other jobs' load. The speed-up column
    is computed from it. With several threads, CPU time also counts threads spinning at barriers."""
    rows = ["| layers x hidden | vocab | seq | batch | MLM head | precision | tokens/s (wall) | s/step | tokens/CPU-s | speed-up (CPU-s) |",
            "| --- | --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: |"]
    for setup, result in results.items():
        base = next((r for s, r in results.items() if (s.layers, s.hidden, s.vocab, s.seq_length, s.batch) ==
                     (setup.layers, setup.hidden, setup.vocab, setup.seq_length, setup.batch)
                     and not s.masked_only and not s.bf16), None)
        ratio = f"{result['tokens_per_cpu_second'] / base['tokens_per_cpu_second']:.2f}x" if base else "—"
        rows.append(f"| {setup.layers} x {setup.hidden} | {setup.vocab:,} | {setup.seq_length} | {setup.batch} | "
                    f"{'masked only' if setup.masked_only else 'every position'} | {'bf16 autocast' if setup.bf16 else 'fp32'} | "
                    f"{result['tokens_per_second']:,.0f} | {result['seconds_per_step']:.2f} | {result['tokens_per_cpu_second']:,.0f} | {ratio} |")
    return "\n".join(rows)
