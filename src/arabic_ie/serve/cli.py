"""The `arabic-ie` command: `arabic-ie tag PKG INPUT... -o OUT` and `arabic-ie serve PKG` (every limit an option)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from arabic_ie.infer.tagger import BACKENDS, DEFAULT_BACKEND


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("package", metavar="PKG", help="an exported package folder (scripts/export.py)")
    parser.add_argument("--backend", choices=BACKENDS, default=DEFAULT_BACKEND, help="default: %(default)s")
    parser.add_argument("--threads", type=_positive, default=None, help="CPU threads per model (default: the backend's)")
    parser.add_argument("--batch-size", type=_positive, default=32, help="windows per forward pass (default: %(default)s)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arabic-ie", description="Tag Arabic text with an exported arabic-ie package.")
    commands = parser.add_subparsers(dest="command", required=True)

    tag = commands.add_parser("tag", help="tag files (.txt, folders, BRAT folders, JSONL, JSONL.gz) into JSONL or BRAT",
                              description="Tag documents; a rerun skips the ids already in OUT; bad records go to the rejects file.")
    _add_model_options(tag)
    tag.add_argument("inputs", metavar="INPUT", nargs="+", help=".txt files, folders of them, BRAT folders, .jsonl or .jsonl.gz "
                     "(one {\"text\", \"id\"?, \"date\"?} object a line)")
    tag.add_argument("-o", "--output", required=True, metavar="OUT", help="a .jsonl file, or a folder for BRAT output")
    tag.add_argument("--output-format", choices=("auto", "jsonl", "brat"), default="auto",
                     help="default: jsonl for a .jsonl/.ndjson/.json OUT, else a BRAT folder")
    tag.add_argument("--rejects", default=None, help="where bad records go (default: OUT.rejects.jsonl)")
    tag.add_argument("--keep-text", action="store_true", help="also write each document's text into the JSONL output")
    tag.add_argument("--workers", type=_positive, default=1, help="tagging processes (each loads the model; default: %(default)s)")
    tag.add_argument("--chunk-docs", type=_positive, default=256,
                     help="documents tagged together (their windows sorted by length) and written at once (default: %(default)s)")
    tag.add_argument("--engine", choices=("local", "ray"), default="local",
                     help="local: this machine's processes; ray: ray.data with an actor pool (JSONL inputs, local Ray or a cluster)")
    tag.add_argument("--ray-address", default=None, help="with --engine ray: a cluster address (default: RAY_ADDRESS, else a local Ray)")
    tag.add_argument("--no-progress", action="store_true", help="no progress bar")
    tag.add_argument("--no-fsync", action="store_true", help="flush but do not fsync after each chunk (faster, survives a kill but not a power cut)")

    serve = commands.add_parser("serve", help="serve POST /v1/tag, GET /health, GET /v1/model and the viewer at /",
                                description="HTTP service with micro-batching across concurrent clients.")
    _add_model_options(serve)
    serve.add_argument("--host", default="127.0.0.1", help="default: %(default)s (this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="default: %(default)s")
    serve.add_argument("--api-key", default=None, help="require this key on every API call (default: the ARABIC_IE_API_KEY environment variable, if set)")
    serve.add_argument("--max-chars", type=_positive, default=100_000, help="characters per text (default: %(default)s)")
    serve.add_argument("--max-request-chars", type=_positive, default=1_000_000, help="characters per request (default: %(default)s)")
    serve.add_argument("--max-texts", type=_positive, default=256, help="texts per request (default: %(default)s)")
    serve.add_argument("--max-batch", type=_positive, default=64, help="texts gathered into one model call (default: %(default)s)")
    serve.add_argument("--max-wait-ms", type=float, default=5.0, help="how long a request waits for others to batch with (default: %(default)s)")
    serve.add_argument("--max-queue", type=_positive, default=4096, help="queued requests before 503 (default: %(default)s)")
    serve.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    return parser


def _tag(args) -> int:
    if args.engine == "ray":
        from arabic_ie.serve.ray_engine import run_ray

        counts = run_ray(args.package, args.inputs, args.output, workers=args.workers, backend=args.backend,
                         threads=args.threads, batch_size=args.batch_size, chunk_docs=args.chunk_docs,
                         rejects=args.rejects, keep_text=args.keep_text, address=args.ray_address)
        print(f"{counts['documents']} documents tagged ({counts['words']} words, {counts['words_per_second']:,.0f} words/s, "
              f"{counts['workers']} Ray workers), {counts['rejected']} rejected (-> {counts['rejects_file']}) -> {counts['output']}")
        return 0
    from arabic_ie.serve.runner import run_tag, summary

    counts = run_tag(args.package, args.inputs, args.output, backend=args.backend, threads=args.threads,
                     workers=args.workers, batch_size=args.batch_size, chunk_docs=args.chunk_docs,
                     output_format_name=args.output_format, keep_text=args.keep_text, rejects=args.rejects,
                     progress=not args.no_progress, fsync=not args.no_fsync)
    print(summary(counts))
    return 130 if counts["interrupted"] else 0


def _serve(args) -> int:
    from arabic_ie.infer.tagger import load
    from arabic_ie.serve.app import API_KEY_ENV, Limits, serve

    limits = Limits(max_chars=args.max_chars, max_request_chars=args.max_request_chars, max_texts=args.max_texts,
                    max_batch=args.max_batch, max_wait_ms=args.max_wait_ms, max_queue=args.max_queue,
                    batch_size=args.batch_size)
    api_key = args.api_key or os.environ.get(API_KEY_ENV) or None
    tagger = load(args.package, backend=args.backend, threads=args.threads)
    print(json.dumps({"serving": tagger.name, "url": f"http://{args.host}:{args.port}/", "api_key": bool(api_key)}), flush=True)
    serve(tagger, args.host, args.port, limits, api_key, args.log_level)
    return 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _tag(args) if args.command == "tag" else _serve(args)
    except (FileNotFoundError, ValueError) as err:  # bad inputs or options: one clear line, no traceback
        print(f"arabic-ie {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
