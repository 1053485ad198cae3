"""Benchmark an exported package's backends against the transformers pipeline; see
configs/benchmark_inference.yaml and src/arabic_ie/inference_benchmark.py.

    python scripts/benchmark_inference.py package=packages/sample-joint-embedded
"""

import json
import platform
from pathlib import Path

import _bootstrap  # noqa: F401
import hydra

from arabic_ie.infer.benchmark import benchmark_documents, model_work, run_benchmark, table


@hydra.main(version_base="1.3", config_path=_bootstrap.CONFIG_DIR, config_name="benchmark_inference")
def main(cfg) -> None:
    sets = benchmark_documents(Path(cfg.sample_dir), Path(cfg.anercorp_dev), cfg.words_per_document)
    gold = sets.get("sample", [])
    documents = gold + sets.get("anercorp", [])
    words = sum(len(d["text"].split()) for d in documents)
    print(f"{len(documents)} documents, {words} words ({len(gold)} sample articles with gold, "
          f"{len(sets.get('anercorp', []))} ANERcorp dev documents); batch size {cfg.batch_size}, {cfg.threads} threads, "
          f"best of {cfg.rounds} rounds x {cfg.repeat} passes after a warm-up; {platform.processor() or platform.machine()}")
    results = run_benchmark(cfg.package, documents, list(cfg.variants), cfg.batch_size, cfg.threads, cfg.repeat,
                            cfg.rounds, gold_documents=gold)
    work = model_work(cfg.package, [d["text"] for d in documents], cfg.threads)
    print(f"One pass: {work['windows']} windows, {work['tokens']} tokens, {work['flops'] / 1e9:.1f} GFLOP; "
          f"measured fp32 GEMM peak {work['gemm_gflops']:.0f} GFLOP/s ({cfg.threads} threads)")
    print(table(results, work))
    if gold:
        print("Character-exact micro F1 on the sample dev+test articles (gold):")
        for variant, result in results.items():
            if "gold_char_f1" in result:
                print(f"  {variant}: " + ", ".join(f"{k} {v:.4f}" for k, v in result["gold_char_f1"].items()))
    if cfg.output:
        for result in results.values():
            result.pop("spans", None)
        Path(cfg.output).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
