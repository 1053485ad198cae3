"""Inference speed and memory of a package, per backend, on the same documents and batch size.

Each variant runs in a fresh subprocess (so that its peak resident memory, `ru_maxrss`, is its
own: loading included), tags every document once to warm up, then `repeat` times; the best pass
gives words per second (words = whitespace-separated tokens of the raw texts). Spans are compared
with those of our PyTorch fp32 tagger.

Variants:
- `torch`, `torch-bf16`, `onnx`, `onnx-int8`: `arabic_ie.load(package, backend=...)`, `tag_batch`;
- `pipeline`: `transformers.pipeline("token-classification", aggregation_strategy="first")` on the
  package (first task's head) fed the same windows of the same words (`is_split_into_words`), the
  predictions of each word read from the window that owns it: the same computation as ours, so the
  spans must agree;
- `pipeline-stride`: the same pipeline on whole documents (`is_split_into_words`, `stride` = the
  package's window overlap): what a user gets with the pipeline's own chunking (its windows
  differ from ours near their ends, so a few spans may differ).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VARIANTS = ("auto", "torch", "torch-bf16", "onnx", "onnx-int8", "pipeline", "pipeline-stride")


# ---------------------------------------------------------------------------------------------
# documents


def benchmark_documents(sample_dir: Path | None, anercorp_dev: Path | None, words_per_document: int = 250) -> dict:
    """{"sample": texts of the sample dev+test articles, "anercorp": ANERcorp dev sentences joined
    into article-length documents} (each where present), plus gold for the sample articles."""
    from arabic_ie.data.formats import read_brat, read_conll

    sets = {}
    if sample_dir is not None and Path(sample_dir).is_dir():
        documents = []
        for split in ("dev", "test"):
            if (Path(sample_dir) / split).is_dir():
                documents += read_brat(Path(sample_dir) / split)[0]
        sets["sample"] = [d.to_dict() for d in documents]
    if anercorp_dev is not None and Path(anercorp_dev).is_file():
        sentences, _ = read_conll(Path(anercorp_dev))
        documents, current = [], []
        for sentence in sentences:
            current.append(sentence.text)
            if sum(len(t.split()) for t in current) >= words_per_document:
                documents.append(" ".join(current))
                current = []
        if current:
            documents.append(" ".join(current))
        sets["anercorp"] = [{"id": f"anercorp-dev-{i}", "text": text} for i, text in enumerate(documents)]
    return sets


# ---------------------------------------------------------------------------------------------
# workers (one variant, in its own process)


def _spans_of(results: list[dict]) -> list[dict]:
    return [{key: [[s["start"], s["end"], s["label"]] for s in result.get(key, [])] for key in ("entities", "triggers")}
            for result in results]


def _ours(package, backend, texts, batch_size, threads):
    from arabic_ie.infer.tagger import load

    tagger = load(package, backend=backend, threads=threads)
    return lambda: _spans_of(tagger.tag_batch(texts, batch_size=batch_size))


def _pipeline(package, texts, batch_size, threads, same_windows: bool):
    import torch
    from transformers import pipeline

    from arabic_ie.data.documents import Document
    from arabic_ie.data.labels import tags_to_spans
    from arabic_ie.infer.tagger import load
    from arabic_ie.package.loading import load_tokenizer

    torch.set_num_threads(threads)
    tagger = load(package, backend="torch")  # words, normalisation and windows exactly as ours
    featurizer = tagger.featurizer
    # the package's model and our (training) tokenizer, so that both see the same subwords; the
    # pipeline chunks by the tokenizer's model_max_length: the window length, as in the package
    tokenizer = load_tokenizer(package, tagger.manifest)
    tokenizer.model_max_length = tagger.max_length
    pipe = pipeline("token-classification", model=str(package), tokenizer=tokenizer, aggregation_strategy="first",
                    device="cpu")
    task = tagger.tasks[0]
    key = "entities" if task == "ner" else "triggers"

    def word_strings(text, words):
        return [featurizer.normalizer(text[s:e]) or text[s:e] for s, e in words]

    def entity_tags(entities, n_words, starts):
        """Word tags (B- at an entity's first word, I- after) from the pipeline's entities, whose
        offsets index the words joined by single spaces."""
        import bisect

        tags = ["O"] * n_words
        for entity in entities:
            first = bisect.bisect_right(starts, entity["start"]) - 1
            last = bisect.bisect_right(starts, entity["end"] - 1) - 1
            for w in range(first, last + 1):
                tags[w] = ("B-" if w == first else "I-") + entity["entity_group"]
        return tags

    def joined_starts(strings):
        starts, offset = [], 0
        for s in strings:
            starts.append(offset)
            offset += len(s) + 1
        return starts

    documents = [Document(str(i), text) for i, text in enumerate(texts)]
    all_words = [featurizer.words(d) for d in documents]
    strings = [word_strings(d.text, w) for d, w in zip(documents, all_words)]

    if same_windows:
        # the windows of each document, over the same words as ours, and which words each owns
        pieces = featurizer._subwords(documents, all_words, __import__("collections").Counter())
        inputs, owners = [], []
        for number, word_pieces in enumerate(pieces):
            for start, end, owned in featurizer._windows(word_pieces):
                inputs.append(strings[number][start:end])
                owners.append((number, start, owned))

        def run():
            outputs = pipe(inputs, is_split_into_words=True, batch_size=batch_size) if inputs else []
            tags = [["O"] * len(w) for w in all_words]
            for (number, start, owned), entities, window_words in zip(owners, outputs, inputs):
                window_tags = entity_tags(entities, len(window_words), joined_starts(window_words))
                for w in owned:
                    tags[number][w] = window_tags[w - start]
            return [{key: [[s.start, s.end, s.label] for s in tags_to_spans(t, w)[0]]} for t, w in zip(tags, all_words)]
    else:
        def run():
            nonempty = [i for i, s in enumerate(strings) if s]
            outputs = pipe([strings[i] for i in nonempty], is_split_into_words=True, batch_size=batch_size,
                           stride=featurizer.stride) if nonempty else []
            results = [{key: []} for _ in strings]
            for i, entities in zip(nonempty, outputs):
                tags = entity_tags(entities, len(strings[i]), joined_starts(strings[i]))
                results[i] = {key: [[s.start, s.end, s.label] for s in tags_to_spans(tags, all_words[i])[0]]}
            return results
    return run


def worker(args) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    texts = [d["text"] for d in json.loads(Path(args.documents).read_text(encoding="utf-8"))]
    started = time.perf_counter()
    if args.variant.startswith("pipeline"):
        run = _pipeline(args.package, texts, args.batch_size, args.threads, same_windows=args.variant == "pipeline")
    else:
        run = _ours(args.package, args.variant, texts, args.batch_size, args.threads)
    load_seconds = time.perf_counter() - started
    run()  # warm-up
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        spans = run()
        times.append(time.perf_counter() - started)
    words = sum(len(t.split()) for t in texts)
    result = {"variant": args.variant, "words": words, "documents": len(texts), "seconds": times,
              "words_per_second": words / min(times), "load_seconds": load_seconds,
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "spans": spans}
    Path(args.out).write_text(json.dumps(result), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# the driver


def _agreement(reference: list[dict], other: list[dict], key: str) -> dict:
    """Exact span agreement with the reference: documents identical, and span F1 between the two."""
    same = sum(1 for r, o in zip(reference, other) if sorted(map(tuple, r[key])) == sorted(map(tuple, o[key])))
    ref = {(i, *s) for i, r in enumerate(reference) for s in map(tuple, r[key])}
    oth = {(i, *s) for i, o in enumerate(other) for s in map(tuple, o[key])}
    both = len(ref & oth)
    f1 = 2 * both / (len(ref) + len(oth)) if ref or oth else 1.0
    return {"identical_documents": same, "documents": len(reference), "span_f1_vs_torch": f1}


def gold_f1(gold_documents: list[dict], spans: list[dict], key: str) -> float:
    """Character-exact micro F1 of `spans` against gold, on the documents that have gold."""
    from arabic_ie.evaluate.span_metrics import exact_scores

    gold = [[(s["start"], s["end"], s["label"]) for s in d[key]] for d in gold_documents]
    predicted = [[tuple(s) for s in p[key]] for p in spans[: len(gold_documents)]]
    return exact_scores(gold, predicted)["micro"]["f1"]


def run_benchmark(package: str | Path, documents: list[dict], variants=VARIANTS, batch_size: int = 32, threads: int = 2,
                  repeat: int = 3, rounds: int = 2, gold_documents: list[dict] | None = None, timeout: int = 1800,
                  log=print) -> dict:
    """Run each variant in a fresh process on `documents`, `rounds` times in turn (so that load
    from other processes on a shared machine hits every variant alike), each time `repeat` timed
    passes after a warm-up; the best pass of all counts. Returns the results with agreement."""
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        docs_path = Path(tmp) / "documents.json"
        docs_path.write_text(json.dumps(documents, ensure_ascii=False), encoding="utf-8")
        for number in range(rounds):
            for variant in variants:
                if "error" in results.get(variant, {}):
                    continue
                out = Path(tmp) / f"{variant}.json"
                command = [sys.executable, "-m", "arabic_ie.infer.benchmark", "worker", "--variant", variant,
                           "--package", str(package), "--documents", str(docs_path), "--batch-size", str(batch_size),
                           "--threads", str(threads), "--repeat", str(repeat), "--out", str(out)]
                env = {**os.environ, "OMP_NUM_THREADS": str(threads), "HF_HUB_OFFLINE": "1",
                       "TOKENIZERS_PARALLELISM": "false",
                       "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])}
                done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
                if done.returncode != 0:
                    results[variant] = {"variant": variant, "error": done.stderr[-2000:]}
                    continue
                result = json.loads(out.read_text(encoding="utf-8"))
                if log:
                    log(f"round {number + 1}/{rounds} {variant}: {result['words_per_second']:.0f} words/s, "
                        f"peak RSS {result['peak_rss_mb']:.0f} MB")
                previous = results.get(variant)
                if previous is None:
                    results[variant] = result
                else:
                    previous["seconds"] += result["seconds"]
                    previous["words_per_second"] = max(previous["words_per_second"], result["words_per_second"])
                    previous["peak_rss_mb"] = max(previous["peak_rss_mb"], result["peak_rss_mb"])
                    previous["load_seconds"] = min(previous["load_seconds"], result["load_seconds"])
    reference = results.get("torch", {}).get("spans")
    for variant, result in results.items():
        if "spans" not in result:
            continue
        keys = ["entities"] if variant.startswith("pipeline") else ["entities", "triggers"]
        if reference is not None:
            result["agreement"] = {key: _agreement(reference, result["spans"], key) for key in keys}
        if gold_documents:
            result["gold_char_f1"] = {key: gold_f1(gold_documents, result["spans"], key) for key in keys}
    return results


def table(results: dict, work: dict | None = None) -> str:
    """Markdown: words/s (best pass), ratios to the pipeline fed the same windows and to the
    pipeline with its own stride chunking, useful GFLOP/s (the model's FLOPs on the unpadded
    windows over the best pass; `work` from `model_work`) and its share of the measured GEMM peak,
    peak RSS of the process (loading included), load time, and span agreement with PyTorch fp32."""
    bases = {name: results.get(name, {}).get("words_per_second") for name in ("pipeline", "pipeline-stride")}
    lines = ["| variant | words/s | vs pipeline (same windows) | vs pipeline (stride) | useful GFLOP/s | of GEMM peak "
             "| peak RSS (MB) | load (s) | spans = torch fp32 (docs) | span F1 vs torch |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for variant, r in results.items():
        if "error" in r:
            lines.append(f"| {variant} | failed: {r['error'].strip().splitlines()[-1][:80]} | | | | | | | | |")
            continue
        agreement = r.get("agreement", {})
        same = ", ".join(f"{k} {a['identical_documents']}/{a['documents']}" for k, a in agreement.items())
        f1 = ", ".join(f"{k} {a['span_f1_vs_torch']:.4f}" for k, a in agreement.items())
        ratios = [f"{r['words_per_second'] / base:.2f}x" if base else "" for base in bases.values()]
        gflops = peak = ""
        if work and not variant.startswith("pipeline"):
            rate = work["flops"] / min(r["seconds"]) / 1e9
            gflops, peak = f"{rate:.1f}", f"{rate / work['gemm_gflops']:.0%}"
        lines.append(f"| {variant} | {r['words_per_second']:.0f} | {ratios[0]} | {ratios[1]} | {gflops} | {peak} "
                     f"| {r['peak_rss_mb']:.0f} | {r['load_seconds']:.1f} | {same} | {f1} |")
    return "\n".join(lines) + "\n"


def model_work(package: str | Path, texts: list[str], threads: int, gemm_size: int = 2048) -> dict:
    """The FLOPs one pass over `texts` needs (encoder and heads on the unpadded windows: 2 per
    multiply-add, attention scores and mixing included) and this machine's measured fp32 GEMM rate
    (a gemm_size^2 matmul with `threads` threads), so that speed reads against the hardware."""
    import time as _time

    import torch

    from arabic_ie.data.documents import Document
    from arabic_ie.infer.tagger import load

    torch.set_num_threads(threads)
    tagger = load(package, backend="torch")
    config = json.loads((Path(package) / "config.json").read_text(encoding="utf-8"))
    hidden, layers, ffn = config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]
    labels = sum(len(tagger.manifest["label_schemes"][t]["labels"]) for t in tagger.tasks)
    corpus = tagger.featurizer.encode([Document(str(i), t) for i, t in enumerate(texts)], with_labels=False)
    flops = 0
    for window in corpus.windows:
        n = len(window.input_ids)
        flops += layers * (2 * n * (4 * hidden * hidden + 2 * hidden * ffn) + 4 * n * n * hidden) + 2 * n * hidden * labels
    a, b = torch.randn(gemm_size, gemm_size), torch.randn(gemm_size, gemm_size)
    a @ b
    best = float("inf")
    for _ in range(5):
        started = _time.perf_counter()
        a @ b
        best = min(best, _time.perf_counter() - started)
    return {"flops": flops, "tokens": sum(len(w.input_ids) for w in corpus.windows), "windows": len(corpus.windows),
            "gemm_gflops": 2 * gemm_size**3 / best / 1e9}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("worker")
    w.add_argument("--variant", choices=VARIANTS, required=True)
    w.add_argument("--package", required=True)
    w.add_argument("--documents", required=True)
    w.add_argument("--batch-size", type=int, default=32)
    w.add_argument("--threads", type=int, default=2)
    w.add_argument("--repeat", type=int, default=3)
    w.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    worker(args)


if __name__ == "__main__":
    main()
