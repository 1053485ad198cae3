"""`arabic-ie tag`'s engine: stream records, tag them in length-sorted chunks (in-process or N worker processes), write, count.

Each chunk of `chunk_docs` documents goes to `Tagger.tag_batch` at once, which sorts the windows
of all its documents by length and batches windows of equal padded length: length-sorted batching
across documents, with results that do not depend on the batch mates. Outputs are written chunk by
chunk in input order, flushed before their ids count as done, so Ctrl-C or a kill loses nothing
written; a rerun skips the ids already in the output.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter, deque
from pathlib import Path

from arabic_ie.infer.files import output_format
from arabic_ie.serve.sinks import BratSink, JsonlSink, RejectsFile, default_rejects_path
from arabic_ie.serve.sources import Record, expand_inputs, iter_records

_WORKER_TAGGER = None


def _init_worker(package: str, backend: str, threads: int | None) -> None:
    global _WORKER_TAGGER
    from arabic_ie.infer.tagger import load

    _WORKER_TAGGER = load(package, backend=backend, threads=threads)


def _tag_in_worker(texts: list[str], batch_size: int, dates: list) -> list[dict]:
    return _WORKER_TAGGER.tag_batch(texts, batch_size=batch_size, dates=dates)


def _types(tagger, task: str) -> tuple:
    scheme = tagger.schemes.get(task)
    return tuple(scheme.types) if scheme is not None else ()


class _Interrupted(Exception):
    pass


def _raise_interrupt(signum, frame):
    raise _Interrupted(signal.Signals(signum).name)


def run_tag(package, inputs, output, *, backend: str = "torch", threads: int | None = None, workers: int = 1,
            batch_size: int = 32, chunk_docs: int = 256, output_format_name: str = "auto", keep_text: bool = False,
            rejects: str | Path | None = None, progress: bool = True, tagger=None, fsync: bool = True) -> dict:
    """Tag every record of `inputs` into `output` (JSONL file or BRAT folder); returns the counts.

    `tagger`: an already loaded Tagger to use in this process (workers must then be 1)."""
    if workers < 1 or chunk_docs < 1 or batch_size < 1:
        raise ValueError("workers, chunk_docs and batch_size must be at least 1")
    output = Path(output)
    write_as = output_format(output, output_format_name)
    expand_inputs(inputs)  # a missing input is an error before anything is loaded or opened
    rejects_path = Path(rejects) if rejects else default_rejects_path(output)
    executor = None
    if workers == 1:
        if tagger is None:
            from arabic_ie.infer.tagger import load

            tagger = load(package, backend=backend, threads=threads)
        entity_types, event_types = _types(tagger, "ner"), _types(tagger, "triggers")
        roles = getattr(getattr(getattr(tagger, "featurizer", None), "arguments", None), "allowed", None)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from arabic_ie.package import read_manifest

        manifest = read_manifest(package)
        schemes = manifest["label_schemes"]
        entity_types = tuple(schemes.get("ner", {}).get("types", ()))
        event_types = tuple(schemes.get("triggers", {}).get("types", ()))
        roles = (manifest.get("events") or {}).get("spec", {}).get("allowed")
        per_worker = threads or max(1, (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1) // workers)
        executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_init_worker, initargs=(str(package), backend, per_worker))
    sink = JsonlSink(output, keep_text, fsync) if write_as == "jsonl" else BratSink(output, entity_types, event_types, fsync, roles)
    rejected = RejectsFile(rejects_path)
    counts = Counter()
    spans = Counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(unit="doc", desc="tagging", dynamic_ncols=True)
    started = time.perf_counter()
    pending: deque = deque()  # (records, future) in input order
    interrupted = None
    previous = {}
    if hasattr(signal, "SIGTERM") and _in_main_thread():
        previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, _raise_interrupt)

    def finish(records, results):
        sink.write(list(zip(records, results)))
        words = sum(len(r.text.split()) for r in records)
        counts["documents"] += len(records)
        counts["words"] += words
        for result in results:
            for key, value in result.items():
                if isinstance(value, list):
                    spans[key] += len(value)
        if bar is not None:
            bar.update(len(records))
            elapsed = time.perf_counter() - started
            bar.set_postfix_str(f"{counts['words'] / max(elapsed, 1e-9):,.0f} words/s", refresh=False)

    def submit(records):
        texts, dates = [r.text for r in records], [r.extra.get("date") for r in records]
        if executor is None:
            finish(records, tagger.tag_batch(texts, batch_size=batch_size, dates=dates))
            return
        pending.append((records, executor.submit(_tag_in_worker, texts, batch_size, dates)))
        while len(pending) > 2 * workers:
            done_records, future = pending.popleft()
            finish(done_records, future.result())

    try:
        chunk: list[Record] = []
        for item in iter_records(inputs):
            if not isinstance(item, Record):
                rejected.write(item)
                continue
            if item.id in sink.done:
                counts["skipped"] += 1
                continue
            chunk.append(item)
            if len(chunk) >= chunk_docs:
                submit(chunk)
                chunk = []
        if chunk:
            submit(chunk)
        while pending:
            done_records, future = pending.popleft()
            finish(done_records, future.result())
    except (KeyboardInterrupt, _Interrupted) as err:
        interrupted = str(err) or "KeyboardInterrupt"
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if executor is not None:
            executor.shutdown(wait=interrupted is None, cancel_futures=True)
        sink.close()
        rejected.close()
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - started
    return {"documents": counts["documents"], "words": counts["words"], "skipped": counts["skipped"],
            "rejected": rejected.count, "rejects_file": str(rejects_path), "first_rejects": rejected.first,
            "spans": dict(spans), "output": str(output), "output_format": write_as, "seconds": round(elapsed, 3),
            "words_per_second": round(counts["words"] / elapsed, 1) if elapsed > 0 else 0.0,
            "truncated_bytes": sink.truncated, "interrupted": interrupted}


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def summary(counts: dict) -> str:
    """The line printed at the end of a run."""
    spans = ", ".join(f"{n} {key}" for key, n in counts["spans"].items()) or "no spans"
    line = (f"{counts['documents']} documents tagged ({counts['words']} words, {counts['words_per_second']:,.0f} words/s), "
            f"{counts['skipped']} skipped (already in {counts['output']}), {counts['rejected']} rejected "
            f"(-> {counts['rejects_file']}): {spans}")
    if counts["truncated_bytes"]:
        line += f"; removed a cut-off last line ({counts['truncated_bytes']} bytes) left by an earlier run"
    if counts["first_rejects"]:
        line += "\nfirst rejects: " + "; ".join(counts["first_rejects"])
    if counts["interrupted"]:
        line += f"\ninterrupted ({counts['interrupted']}): everything counted above is written; rerun the same command to go on"
    return line
