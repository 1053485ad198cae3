"""Benchmarks of the serving paths (numbers, not tests; docs/serving.md has the results and the commands):

    python scripts/benchmark_serving.py cli    --package packages/default --docs 240
    python scripts/benchmark_serving.py server --package packages/default --clients 1 8 64 --seconds 20
    python scripts/benchmark_serving.py reliability --package packages/default --seconds 60 --malformed 1000
    python scripts/benchmark_serving.py ray    --package packages/default --docs 240 --workers 1 2

Documents: the sample dev+test articles (data/sample), repeated to --docs. All traffic goes to a
server this script starts on 127.0.0.1; every load is bounded by --seconds and --max-requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import _bootstrap  # noqa: F401

from arabic_ie.data.formats import read_brat

REPO = Path(__file__).resolve().parents[1]


def documents(count: int) -> list[dict]:
    texts = [d.text for split in ("dev", "test") for d in read_brat(REPO / "data" / "sample" / split)[0]]
    return [{"id": f"doc{i}", "text": texts[i % len(texts)]} for i in range(count)]


def write_jsonl(docs, path: Path) -> Path:
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return path


def bench_cli(args) -> None:
    from arabic_ie.infer.benchmark import _pipeline
    from arabic_ie.serve.runner import run_tag

    docs = documents(args.docs)
    words = sum(len(d["text"].split()) for d in docs)
    with tempfile.TemporaryDirectory() as tmp:
        source = write_jsonl(docs, Path(tmp) / "in.jsonl")
        for workers in args.workers:
            counts = run_tag(args.package, [source], Path(tmp) / f"out{workers}.jsonl", threads=args.threads // workers or 1,
                             workers=workers, progress=False)
            print(f"arabic-ie tag --workers {workers} (threads {args.threads // workers or 1} each): {counts['documents']} documents, "
                  f"{counts['words']} words in {counts['seconds']:.1f} s = {counts['words_per_second']:,.0f} words/s (load included for workers > 1)")
    run = _pipeline(args.package, [d["text"] for d in docs], 32, args.threads, same_windows=True)
    began = time.perf_counter()
    run()
    elapsed = time.perf_counter() - began
    print(f"HF pipeline (token-classification, same windows, NER head only, {args.threads} threads): {words} words in "
          f"{elapsed:.1f} s = {words / elapsed:,.0f} words/s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    """`arabic-ie serve PKG` in a subprocess on a free loopback port."""

    def __init__(self, package: str, threads: int, extra=()):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "HF_HUB_OFFLINE": "1"}
        self.process = subprocess.Popen([sys.executable, "-m", "arabic_ie.serve.cli", "serve", package, "--port", str(self.port),
                                         "--threads", str(threads), "--log-level", "warning", *extra], env=env)

    def __enter__(self):
        import httpx

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("the server did not start")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


async def _load(url: str, docs, clients: int, seconds: float, max_requests: int) -> dict:
    import httpx

    latencies, errors, words = [], Counter(), 0
    deadline = time.monotonic() + seconds
    sent = 0

    async def client(number: int, http):
        nonlocal sent, words
        rng = random.Random(number)
        while time.monotonic() < deadline and sent < max_requests:
            sent += 1
            doc = docs[rng.randrange(len(docs))]
            began = time.perf_counter()
            try:
                response = await http.post(url + "/v1/tag", json={"text": doc["text"]})
                if response.status_code != 200:
                    errors[f"HTTP {response.status_code}"] += 1
                    continue
            except httpx.HTTPError as err:
                errors[type(err).__name__] += 1
                continue
            latencies.append(time.perf_counter() - began)
            words += len(doc["text"].split())

    began = time.perf_counter()
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=clients)) as http:
        await asyncio.gather(*(client(n, http) for n in range(clients)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    pick = lambda q: latencies[min(int(q * len(latencies)), len(latencies) - 1)] * 1000 if latencies else float("nan")  # noqa: E731
    return {"clients": clients, "requests": len(latencies), "errors": dict(errors), "seconds": elapsed,
            "words_per_second": words / elapsed, "p50_ms": pick(0.50), "p99_ms": pick(0.99)}


def bench_server(args) -> None:
    docs = documents(args.docs)
    with Server(args.package, args.threads) as server:
        for clients in args.clients:
            r = asyncio.run(_load(server.url, docs, clients, args.seconds, args.max_requests))
            print(f"{clients:>3} clients: {r['requests']} requests in {r['seconds']:.1f} s, {r['words_per_second']:,.0f} words/s, "
                  f"p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, errors {r['errors'] or 0}")


def malformed_bodies(count: int, max_chars: int) -> list[tuple[bytes, dict]]:
    """(body, headers) of bad requests: broken JSON, wrong shapes and types, oversize texts, binary junk."""
    rng = random.Random(0)
    makers = [
        lambda: b'{"text": "' + "خبر".encode() * rng.randrange(1, 50),  # cut off
        lambda: bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))),
        lambda: json.dumps(rng.choice([[], 3, None, "text", {"texts": "x"}, {"texts": [1, 2]}, {"txt": "a"}, {"text": 5}])).encode(),
        lambda: json.dumps({"text": "ب" * (max_chars + rng.randrange(1, 100))}).encode(),
        lambda: json.dumps({"texts": ["ا"] * rng.randrange(300, 400)}).encode(),
        lambda: b"",
        lambda: b'{"text": "\xd8\xa7\xff"}',
    ]
    return [(rng.choice(makers)(), {"Content-Type": "application/json"}) for _ in range(count)]


def bench_reliability(args) -> None:
    import httpx

    docs = documents(args.docs)
    with Server(args.package, args.threads) as server:
        pid = server.process.pid
        before = _rss_mb(pid)
        r = asyncio.run(_load(server.url, docs, 64, args.seconds, args.max_requests))
        after = _rss_mb(pid)
        print(f"64 clients for {r['seconds']:.0f} s: {r['requests']} requests, errors {r['errors'] or 0}, "
              f"p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms; server RSS {before:.0f} MB before, {after:.0f} MB after")
        statuses = Counter()
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for body, headers in malformed_bodies(args.malformed, 100_000):
                try:
                    statuses[http.post("/v1/tag", content=body, headers=headers).status_code] += 1
                except httpx.HTTPError as err:
                    statuses[type(err).__name__] += 1
            healthy = http.get("/health").status_code == 200 and server.process.poll() is None
        crashes = sum(n for status, n in statuses.items() if not (isinstance(status, int) and 400 <= status < 500))
        print(f"{args.malformed} malformed requests: statuses {dict(sorted(statuses.items(), key=str))}, "
              f"{crashes} not 4xx, server alive and healthy after: {healthy}; RSS {_rss_mb(pid):.0f} MB")


def bench_ray(args) -> None:
    from arabic_ie.serve.ray_engine import run_ray

    docs = documents(args.docs)
    with tempfile.TemporaryDirectory() as tmp:
        source = write_jsonl(docs, Path(tmp) / "in.jsonl")
        for workers in args.workers:
            counts = run_ray(args.package, [source], Path(tmp) / f"out{workers}.jsonl", workers=workers, chunk_docs=32)
            print(f"--engine ray --workers {workers}: {counts['documents']} documents, {counts['words']} words in "
                  f"{counts['seconds']:.1f} s = {counts['words_per_second']:,.0f} words/s (actor model loads included, Ray start not)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("cli", "server", "reliability", "ray"))
    parser.add_argument("--package", default=str(REPO / "packages" / "default"))
    parser.add_argument("--docs", type=int, default=240, help="documents (the sample articles, repeated)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for the model")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--seconds", type=float, default=20.0, help="time bound of each load")
    parser.add_argument("--max-requests", type=int, default=20_000, help="request bound of each load")
    parser.add_argument("--malformed", type=int, default=1000)
    args = parser.parse_args()
    {"cli": bench_cli, "server": bench_server, "reliability": bench_reliability, "ray": bench_ray}[args.what](args)


if __name__ == "__main__":
    main()
