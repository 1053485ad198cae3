"""Training throughput (tokens/s, forward + backward + optimizer step) of masked-LM set-ups:
MLM head over every position vs masked positions only, fp32 vs bf16 autocast, encoder shapes and
vocabulary sizes. Prints a Markdown table; see arabic_ie.pretraining.benchmark.

    python scripts/benchmark_pretraining.py                       # 2 shapes x 2 vocabularies x 2 heads x 2 precisions
    python scripts/benchmark_pretraining.py --shapes 4x256,6x256,8x256 --vocabs 16000 --heads masked_only --precisions bf16
"""

import argparse
import itertools
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as scripts/pretrain.py; must precede loading torch

import torch  # noqa: E402

from arabic_ie.pretraining.benchmark import Setup, markdown, run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", default="4x256,6x384", help="LAYERSxHIDDEN,… (heads: hidden/64, feed-forward: 4 x hidden)")
    parser.add_argument("--vocabs", default="16000,32000")
    parser.add_argument("--seq-lengths", default="128")
    parser.add_argument("--batches", default="8", help="blocks per step")
    parser.add_argument("--heads", default="full,masked_only")
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--seconds", type=float, default=2.0, help="timed seconds per measurement, at least --min-steps steps")
    parser.add_argument("--min-steps", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps before each measurement")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--repeats", type=int, default=2, help="measurements per set-up, round-robin; the best is kept")
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)

    def ints(text):
        return [int(x) for x in text.split(",")]

    shapes = [tuple(int(x) for x in s.split("x")) for s in args.shapes.split(",")]
    setups = [Setup(layers, hidden, vocab, seq, batch, head == "masked_only", precision == "bf16")
              for (layers, hidden), vocab, seq, batch, head, precision in itertools.product(
                  shapes, ints(args.vocabs), ints(args.seq_lengths), ints(args.batches),
                  args.heads.split(","), args.precisions.split(","))]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}; "
          f"{len(setups)} set-ups x {args.repeats} repeats", file=sys.stderr)
    results = run(setups, args.repeats, args.seconds, args.warmup, args.min_steps, progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(markdown(results))


if __name__ == "__main__":
    main()
