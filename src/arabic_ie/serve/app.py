"""The HTTP service (FastAPI): POST /v1/tag, GET /health, GET /v1/model, the viewer at /; limits, API key, JSON errors.

Every error is a JSON object `{"error": MESSAGE}` with a 4xx status: malformed JSON (400), a
missing or wrong API key (401), a body of the wrong shape (422), too many characters or texts
(413), a full queue (503). Request bodies are read in pieces and refused as soon as they pass the
byte limit, so an oversize request never sits whole in memory.
"""

from __future__ import annotations

import json
import secrets
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from arabic_ie.data.dates import article_date_problem
from arabic_ie.serve.batcher import MicroBatcher

STATIC_DIR = Path(__file__).resolve().parent / "static"
API_KEY_ENV = "ARABIC_IE_API_KEY"
OPEN_PATHS = ("/", "/favicon.ico")  # the viewer's page and files hold no data; it sends the key on its API calls


@dataclass
class Limits:
    """What one request may hold and how requests are batched (the CLI options of `arabic-ie serve`)."""

    max_chars: int = 100_000  # characters per text
    max_request_chars: int = 1_000_000  # characters of text per request
    max_texts: int = 256  # texts per request
    max_batch: int = 64  # texts gathered into one model call
    max_wait_ms: float = 5.0  # how long the first queued request waits for others
    max_queue: int = 4096  # requests waiting; beyond this new ones get 503
    batch_size: int = 32  # windows per forward pass

    @property
    def max_body_bytes(self) -> int:
        # a character is at most 6 bytes in JSON (\uXXXX), plus room for the keys and ids
        return self.max_request_chars * 6 + 65_536


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def model_info(tagger, limits: Limits) -> dict:
    """GET /v1/model: what the package finds (types per output key), its version and licence, the limits."""
    manifest = tagger.manifest
    keys = manifest.get("output_keys") or {}
    types = {keys.get(task, task): list(manifest["label_schemes"][task]["types"]) for task in manifest["tasks"]}
    info = {"name": manifest["name"], "version": manifest.get("version"), "created": manifest.get("created"),
            "tasks": list(manifest["tasks"]), "types": types, "license": manifest.get("license"),
            "license_origin": manifest.get("license_origin"), "backend": tagger.backend,
            "window": manifest.get("window"), "limits": asdict(limits)}
    if "events" in manifest:
        info["events"] = manifest["events"]
    return info


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"the request body has {int(declared)} bytes; the limit is {limit} (from --max-request-chars)")
    pieces, size = [], 0
    async for piece in request.stream():
        size += len(piece)
        if size > limit:
            raise ApiError(413, f"the request body has more than {limit} bytes (the limit, from --max-request-chars)")
        pieces.append(piece)
    return b"".join(pieces)


def parse_texts(body: bytes, limits: Limits) -> tuple[list[str], list, bool]:
    """The texts of a /v1/tag body, their article dates (`"date"` beside `"text"`, `"dates"` beside
    `"texts"`: YYYY-MM-DD or null, for relative DATE values) and whether it was the one-text form;
    ApiError when it is malformed or too big."""
    if not body.strip():
        raise ApiError(400, 'empty body; send {"text": "..."} or {"texts": ["...", ...]}')
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ApiError(400, f"the body is not UTF-8 (byte {err.start})") from None
    except json.JSONDecodeError as err:
        raise ApiError(400, f"invalid JSON: {err.msg} (line {err.lineno}, column {err.colno})") from None
    if not isinstance(data, dict):
        raise ApiError(422, f'the body must be a JSON object, not {type(data).__name__}; send {{"text": "..."}} or {{"texts": [...]}}')
    if ("text" in data) == ("texts" in data):
        raise ApiError(422, 'give exactly one of "text" (a string) and "texts" (a list of strings)')
    single = "text" in data
    texts = [data["text"]] if single else data["texts"]
    if not isinstance(texts, list):
        raise ApiError(422, f'"texts" must be a list of strings, not {type(texts).__name__}')
    if not texts:
        raise ApiError(422, '"texts" is empty')
    if len(texts) > limits.max_texts:
        raise ApiError(413, f"{len(texts)} texts in one request; the limit is {limits.max_texts} (--max-texts)")
    total = 0
    for number, text in enumerate(texts):
        name = '"text"' if single else f"texts[{number}]"
        if not isinstance(text, str):
            raise ApiError(422, f"{name} must be a string, not {type(text).__name__}")
        if len(text) > limits.max_chars:
            raise ApiError(413, f"{name} has {len(text)} characters; the limit is {limits.max_chars} (--max-chars)")
        total += len(text)
    if total > limits.max_request_chars:
        raise ApiError(413, f"the request holds {total} characters of text; the limit is {limits.max_request_chars} (--max-request-chars)")
    return texts, _dates(data, single, len(texts)), single


def _dates(data: dict, single: bool, n_texts: int) -> list:
    key, other = ("date", "dates") if single else ("dates", "date")
    if other in data:
        raise ApiError(422, f'"{other}" does not go with "{"text" if single else "texts"}"; use "{key}"')
    dates = [data.get(key)] if single else data.get(key, [None] * n_texts)
    if not isinstance(dates, list) or len(dates) != n_texts:
        raise ApiError(422, f'"dates" must be a list with one date (YYYY-MM-DD or null) per text, {n_texts} in all')
    for number, date in enumerate(dates):
        problem = article_date_problem(date) if date is not None else None
        if problem:
            raise ApiError(422, f'{key if single else f"dates[{number}]"} {problem}')
    return dates


def create_app(tagger, limits: Limits | None = None, api_key: str | None = None) -> FastAPI:
    """The service around a loaded Tagger. `api_key`: when set, every API call must send it
    (`X-API-Key: KEY` or `Authorization: Bearer KEY`)."""
    limits = limits or Limits()
    batcher = MicroBatcher(tagger, limits.max_batch, limits.max_wait_ms, limits.batch_size)
    info = model_info(tagger, limits)

    @asynccontextmanager
    async def lifespan(app):
        await batcher.start()
        yield
        await batcher.stop()

    app = FastAPI(title="arabic-ie", version=str(info["version"]), lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.batcher = batcher
    app.state.limits = limits

    @app.middleware("http")
    async def check_key(request: Request, call_next):
        path = request.url.path
        if api_key and path not in OPEN_PATHS and not path.startswith("/static/"):
            given = request.headers.get("x-api-key")
            auth = request.headers.get("authorization", "")
            if given is None and auth.lower().startswith("bearer "):
                given = auth[7:].strip()
            if not given:
                return _error(401, "missing API key: send it as 'X-API-Key: KEY' or 'Authorization: Bearer KEY'")
            if not secrets.compare_digest(given.encode("utf-8"), api_key.encode("utf-8")):
                return _error(401, "wrong API key")
        try:
            return await call_next(request)
        except Exception as err:  # never a bare 500 page: say what failed
            return _error(500, f"internal error: {type(err).__name__}: {err}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, exc):
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(ApiError)
    async def api_error(request, exc):
        return _error(exc.status, exc.message)

    @app.get("/health")
    async def health():
        return {"status": "ok", "model": info["name"], "queued": batcher.queue.qsize() if batcher.queue else 0,
                "batches": batcher.batches, "texts": batcher.texts}

    @app.get("/v1/model")
    async def model():
        return info

    @app.post("/v1/tag")
    async def tag(request: Request):
        texts, dates, single = parse_texts(await _read_body(request, limits.max_body_bytes), limits)
        if batcher.queue is not None and batcher.queue.qsize() >= limits.max_queue:
            raise ApiError(503, f"the server is busy ({batcher.queue.qsize()} requests queued, --max-queue {limits.max_queue}); retry later")
        results = await batcher.tag(texts, dates)
        if single:
            return {"model": info["name"], "result": results[0]}
        return {"model": info["name"], "results": results}

    @app.get("/")
    async def index():
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def serve(tagger, host: str = "127.0.0.1", port: int = 8000, limits: Limits | None = None, api_key: str | None = None,
          log_level: str = "info") -> None:
    """Run the service with uvicorn (one process; the model runs in one thread, fed by the batcher)."""
    import uvicorn

    uvicorn.run(create_app(tagger, limits, api_key), host=host, port=port, log_level=log_level, access_log=False)
