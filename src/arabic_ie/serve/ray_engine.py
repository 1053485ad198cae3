"""`arabic-ie tag --engine ray`: JSONL(.gz) read with ray.data, tagged by an actor pool (`map_batches`), written as JSONL.

The same command runs on a laptop (a local Ray started here) and on a cluster (`ray job submit
-- arabic-ie tag --engine ray ...`, or `--ray-address` / RAY_ADDRESS): files are read line by line
by Ray's readers (`JsonlLines`, a FileBasedDatasource; .gz decompressed by Arrow), each of
`workers` actors loads the package once and tags batches of `chunk_docs` lines, and the driver
streams the results into one JSONL output (resumable like the local engine: ids already there are
skipped) and a rejects file with the same {source, line, id, reason} records.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from arabic_ie.serve.sinks import JsonlSink, RejectsFile, default_rejects_path, output_record
from arabic_ie.serve.sources import Reject, expand_inputs, file_stem, parse_line

READ_BLOCK_LINES = 4096  # lines per block read


def _datasource(paths: list[str]):
    from ray.data.datasource import FileBasedDatasource

    class JsonlLines(FileBasedDatasource):
        """Each line of each file as a row {source, line, raw}: numbered, not decoded (workers decode and reject)."""

        def _read_stream(self, f, path: str):
            import pyarrow as pa

            def block(rows):
                return pa.table({"source": [path] * len(rows), "line": [n for n, _ in rows],
                                 "raw": pa.array([r for _, r in rows], pa.binary())})

            rows, number, rest = [], 0, b""
            while True:
                data = f.read(1 << 20)
                if not data:
                    break
                pieces = (rest + data).split(b"\n")
                rest = pieces.pop()
                for piece in pieces:
                    number += 1
                    rows.append((number, piece))
                    if len(rows) >= READ_BLOCK_LINES:
                        yield block(rows)
                        rows = []
            if rest:
                rows.append((number + 1, rest))
            if rows:
                yield block(rows)

    return JsonlLines(paths)


class TaggerActor:
    """One Ray actor: loads the package once, turns a batch of raw lines into output lines and rejects."""

    def __init__(self, package: str, backend: str, threads: int | None, batch_size: int, keep_text: bool, done: frozenset):
        from arabic_ie.infer.tagger import load

        self.tagger = load(package, backend=backend, threads=threads)
        self.batch_size, self.keep_text, self.done = batch_size, keep_text, done

    def __call__(self, batch: dict) -> dict:
        kinds, ids, lines, words, wheres = [], [], [], [], []
        records = []
        for source, number, raw in zip(batch["source"], batch["line"], batch["raw"]):
            item = parse_line(bytes(raw), str(source), int(number), file_stem(Path(str(source))))
            if item is None:
                continue
            if isinstance(item, Reject):
                kinds.append("reject"), ids.append(item.id or ""), words.append(0), wheres.append("")
                lines.append(json.dumps(item.to_dict(), ensure_ascii=False))
            elif item.id in self.done:
                kinds.append("skipped"), ids.append(item.id), words.append(0), lines.append(""), wheres.append("")
            else:
                records.append(item)
        results = self.tagger.tag_batch([r.text for r in records], batch_size=self.batch_size,
                                        dates=[r.extra.get("date") for r in records]) if records else []
        for record, result in zip(records, results):
            kinds.append("ok"), ids.append(record.id), words.append(len(record.text.split()))
            wheres.append(json.dumps([record.source, record.line]))
            lines.append(json.dumps(output_record(record, result, self.keep_text), ensure_ascii=False))
        return {"kind": np.array(kinds, dtype=object), "id": np.array(ids, dtype=object),
                "json": np.array(lines, dtype=object), "words": np.array(words, dtype=np.int64),
                "where": np.array(wheres, dtype=object)}


def run_ray(package, inputs, output, *, workers: int = 2, backend: str = "torch", threads: int | None = None,
            batch_size: int = 32, chunk_docs: int = 256, rejects=None, keep_text: bool = False,
            address: str | None = None, cpus_per_worker: float = 1.0) -> dict:
    """Tag JSONL/JSONL.gz `inputs` into the JSONL file `output` with `workers` Ray actors; returns counts."""
    import ray

    files = expand_inputs(inputs)
    others = [str(p) for kind, p in files if kind != "jsonl"]
    if others:
        raise ValueError(f"--engine ray reads JSONL or JSONL.gz only; not: {', '.join(others[:3])}")
    output = Path(output)
    if output.suffix.lower() not in (".jsonl", ".ndjson", ".json"):
        raise ValueError(f"{output}: --engine ray writes JSONL: give a .jsonl output")
    rejects_path = Path(rejects) if rejects else default_rejects_path(output)
    sink = JsonlSink(output)
    rejected = RejectsFile(rejects_path)
    started_here = not ray.is_initialized()
    if started_here:
        address = address or os.environ.get("RAY_ADDRESS")
        # a local Ray: a CPU per actor and one more for the read tasks (with none left over they would never run)
        options = {} if address else {"num_cpus": int(workers * cpus_per_worker) + 1, "include_dashboard": False}
        ray.init(address=address, log_to_driver=False, configure_logging=False, **options)
    counts = {"documents": 0, "words": 0, "skipped": 0}
    began = time.perf_counter()
    try:
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # output in input order, as the local engine writes it
        context.enable_progress_bars = False
        dataset = ray.data.read_datasource(_datasource([str(p) for _, p in files]))
        tagged = dataset.map_batches(
            TaggerActor, batch_size=chunk_docs, batch_format="numpy", concurrency=workers, num_cpus=cpus_per_worker,
            fn_constructor_args=(str(Path(package).resolve()), backend, threads or max(int(cpus_per_worker), 1),
                                 batch_size, keep_text, frozenset(sink.done)))
        seen: dict[str, str] = {}  # this run's ids -> where first seen: a repeated id is a reject, as in the local engine
        for batch in tagged.iter_batches(batch_size=None, batch_format="numpy"):
            ok = batch["kind"] == "ok"
            for index in np.flatnonzero(ok):
                doc_id = str(batch["id"][index])
                source, line = json.loads(str(batch["where"][index]))
                if doc_id in seen:
                    ok[index] = False
                    rejected.write_dict({"source": source, "line": line, "id": doc_id,
                                         "reason": f"document id {doc_id!r} repeats {seen[doc_id]}"})
                else:
                    seen[doc_id] = f"{source}:{line}"
            sink.write_lines([str(x) for x in batch["json"][ok]], [str(x) for x in batch["id"][ok]])
            for line in batch["json"][batch["kind"] == "reject"]:
                rejected.write_dict(json.loads(line))
            counts["documents"] += int(ok.sum())
            counts["words"] += int(batch["words"][ok].sum())
            counts["skipped"] += int((batch["kind"] == "skipped").sum())
    finally:
        sink.close()
        rejected.close()
        if started_here:
            ray.shutdown()
    elapsed = time.perf_counter() - began
    return {**counts, "rejected": rejected.count, "rejects_file": str(rejects_path), "output": str(output),
            "workers": workers, "seconds": round(elapsed, 3), "words_per_second": round(counts["words"] / elapsed, 1)}
