"""`arabic-ie serve`: 4xx JSON errors for oversize, malformed and unauthorised requests (never a 500), the
model description, and micro-batching across concurrent clients giving the same spans as single calls."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from arabic_ie.infer.tagger import load
from arabic_ie.serve.app import Limits, create_app
from arabic_ie.serve.background import BackgroundServer

TEXT = "وقالَ مصدرٌ محلي إنّ قوات الفرقة الرابعة اعتقلت أحمد الحريري في مدينة درعـــا يوم الأحد، وفرضت حصاراً على بلدة نوى."
KEY = "s3cret-key"


@pytest.fixture(scope="module")
def tagger(serve_package):
    return load(serve_package)


@pytest.fixture(scope="module")
def server(tagger):
    limits = Limits(max_chars=200, max_request_chars=300, max_texts=4, max_batch=64, max_wait_ms=50)
    with BackgroundServer(create_app(tagger, limits, api_key=KEY)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, headers={"X-API-Key": KEY}, timeout=60) as http:
        yield http


@pytest.mark.parametrize("body, status, message", [
    (b'{"text": "abc"', 400, "invalid JSON: Expecting ',' delimiter (line 1, column 15)"),
    (b"", 400, 'empty body; send {"text": "..."} or {"texts": ["...", ...]}'),
    (b"\xff\xfe", 400, "the body is not UTF-8 (byte 0)"),
    (b'["a"]', 422, 'the body must be a JSON object, not list; send {"text": "..."} or {"texts": [...]}'),
    (b'{"text": "a", "texts": ["b"]}', 422, 'give exactly one of "text" (a string) and "texts" (a list of strings)'),
    (b'{"texts": "a"}', 422, '"texts" must be a list of strings, not str'),
    (b'{"texts": []}', 422, '"texts" is empty'),
    (b'{"texts": ["a", 3]}', 422, "texts[1] must be a string, not int"),
    (b'{"text": null}', 422, '"text" must be a string, not NoneType'),
    (json.dumps({"text": "ب" * 201}).encode(), 413, '"text" has 201 characters; the limit is 200 (--max-chars)'),
    (json.dumps({"texts": ["ب" * 150, "ب" * 151]}).encode(), 413,
     "the request holds 301 characters of text; the limit is 300 (--max-request-chars)"),
    (json.dumps({"texts": ["a"] * 5}).encode(), 413, "5 texts in one request; the limit is 4 (--max-texts)"),
    (b'{"text": "a", "date": "2026-02-30"}', 422, "date is not a calendar day: '2026-02-30'"),
    (b'{"text": "a", "dates": ["2026-01-01"]}', 422, '"dates" does not go with "text"; use "date"'),
    (b'{"texts": ["a"], "dates": ["2026-01-01", null]}', 422,
     '"dates" must be a list with one date (YYYY-MM-DD or null) per text, 1 in all'),
    (b'{"texts": ["a", "b"], "dates": [null, "01/02/2026"]}', 422, "dates[1] must be YYYY-MM-DD, got '01/02/2026'"),
    (b'{"text": "' + b"a" * 2_000_000 + b'"}', 413,
     "the request body has 2000012 bytes; the limit is 67336 (from --max-request-chars)"),
])
def test_bad_requests_get_a_4xx_json_error_naming_the_problem(client, body, status, message):
    response = client.post("/v1/tag", content=body, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (status, {"error": message})


def test_the_api_key_is_required_on_every_call_but_the_viewer_page(server):
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        for method, path in (("GET", "/health"), ("GET", "/v1/model"), ("POST", "/v1/tag")):
            response = anonymous.request(method, path, json={"text": TEXT})
            assert (response.status_code, response.json()) == (401, {"error": "missing API key: send it as 'X-API-Key: KEY' or 'Authorization: Bearer KEY'"})
        response = anonymous.get("/health", headers={"X-API-Key": "wrong"})
        assert (response.status_code, response.json()) == (401, {"error": "wrong API key"})
        assert anonymous.get("/health", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
        page = anonymous.get("/")
        assert page.status_code == 200 and 'dir="rtl"' in page.text
        assert anonymous.get("/static/viewer.js").status_code == 200


def test_unknown_paths_and_methods_are_json_errors(client):
    assert (client.get("/nope").status_code, client.get("/nope").json()) == (404, {"error": "Not Found"})
    response = client.get("/v1/tag")
    assert (response.status_code, response.json()) == (405, {"error": "Method Not Allowed"})


def test_health_and_model_describe_the_package(client, tagger):
    assert client.get("/health").json()["status"] == "ok"
    info = client.get("/v1/model").json()
    assert info["name"] == "test_serve" and info["version"] == "0.1.0"
    assert info["types"] == {"entities": ["PER", "ORG", "LOC", "DATE"], "triggers": ["ATTACK", "KILL", "ARREST", "SIEGE"]}
    assert info["license"] == tagger.manifest["license"] and info["limits"]["max_chars"] == 200


def test_one_text_and_many_texts_give_the_taggers_spans(client, tagger):
    assert client.post("/v1/tag", json={"text": TEXT}).json() == {"model": "test_serve", "result": tagger(TEXT)}
    texts = [TEXT, "", TEXT[:60]]
    assert client.post("/v1/tag", json={"texts": texts}).json() == {"model": "test_serve", "results": tagger.tag_batch(texts)}


class _Recording:
    """The fixture tagger, remembering the article dates each tag_batch call was given."""

    def __init__(self, tagger):
        self.tagger, self.calls = tagger, []

    def __getattr__(self, name):
        return getattr(self.tagger, name)

    def tag_batch(self, texts, batch_size=32, dates=None):
        self.calls.append(list(dates) if dates is not None else None)
        return self.tagger.tag_batch(texts, batch_size, dates=dates)


def test_article_dates_reach_the_tagger_with_their_texts(tagger):
    recording = _Recording(tagger)
    with BackgroundServer(create_app(recording)) as running, httpx.Client(base_url=running.url, timeout=60) as http:
        one = http.post("/v1/tag", json={"text": TEXT, "date": "2026-01-06"}).json()
        many = http.post("/v1/tag", json={"texts": [TEXT, TEXT[:60]], "dates": [None, "2025-12-31"]}).json()
        plain = http.post("/v1/tag", json={"texts": [TEXT]}).json()
    assert recording.calls == [["2026-01-06"], [None, "2025-12-31"], [None]]
    assert one["result"] == tagger(TEXT, date="2026-01-06")
    assert many["results"] == tagger.tag_batch([TEXT, TEXT[:60]], dates=[None, "2025-12-31"])
    assert plain["results"] == tagger.tag_batch([TEXT])


def test_concurrent_clients_are_batched_together_and_get_the_same_spans_as_single_calls(server, tagger):
    words = TEXT.split()
    texts = [" ".join(words[i % len(words):] + words[: i % len(words)]) for i in range(24)]  # 24 different texts
    expected = [tagger(text) for text in texts]
    batcher = server.server.config.app.state.batcher
    before = batcher.batches

    def call(text):
        with httpx.Client(base_url=server.url, headers={"X-API-Key": KEY}, timeout=60) as http:
            return http.post("/v1/tag", json={"text": text}).json()["result"]

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(call, texts))
    assert results == expected
    assert batcher.batches - before < len(texts)  # several requests shared a model call
