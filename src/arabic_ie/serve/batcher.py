"""Micro-batching for the server: concurrent requests' texts are queued and tagged together in one model call.

One asyncio task takes the first waiting request, then gathers more for at most `max_wait_ms`
milliseconds or until `max_batch` texts, and tags them all with one `Tagger.tag_batch` call in a
single worker thread (the event loop stays free to accept requests meanwhile, which is when the
next batch fills up). Since a window's numbers never depend on its batch mates, a text gets the
same spans alone or batched with others.
"""

from __future__ import annotations

import asyncio
import functools
import time
from concurrent.futures import ThreadPoolExecutor


class MicroBatcher:
    """`await batcher.tag(texts, dates)` -> one result dict per text, computed together with other callers' texts."""

    def __init__(self, tagger, max_batch: int = 64, max_wait_ms: float = 5.0, batch_size: int = 32):
        if max_batch < 1 or max_wait_ms < 0 or batch_size < 1:
            raise ValueError("max_batch and batch_size must be at least 1, max_wait_ms at least 0")
        self.tagger = tagger
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self.batch_size = batch_size
        self.queue: asyncio.Queue | None = None
        self.task: asyncio.Task | None = None
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="tagger")
        self.batches = 0  # model calls made
        self.texts = 0  # texts tagged

    async def start(self) -> None:
        self.queue = asyncio.Queue()
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
        self.executor.shutdown(wait=True)

    async def tag(self, texts: list[str], dates: list | None = None) -> list[dict]:
        """`dates`: the article date (YYYY-MM-DD) or None of each text."""
        if self.queue is None:
            raise RuntimeError("MicroBatcher.start() was not awaited")
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((texts, list(dates) if dates is not None else [None] * len(texts), future))
        return await future

    async def _collect(self) -> list:
        first = await self.queue.get()
        items, count = [first], len(first[0])
        deadline = time.monotonic() + self.max_wait
        while count < self.max_batch:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                break
            try:
                item = await asyncio.wait_for(self.queue.get(), timeout)
            except asyncio.TimeoutError:
                break
            items.append(item)
            count += len(item[0])
        return items

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            items = await self._collect()
            items = [item for item in items if not item[2].cancelled()]  # client gone
            if not items:
                continue
            texts = [text for item_texts, _, _ in items for text in item_texts]
            dates = [date for _, item_dates, _ in items for date in item_dates]
            call = functools.partial(self.tagger.tag_batch, texts, self.batch_size, dates=dates)
            try:
                results = await loop.run_in_executor(self.executor, call)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # handed to each caller, who answers 500 with the message
                for _, _, future in items:
                    if not future.done():
                        future.set_exception(err)
                continue
            self.batches += 1
            self.texts += len(texts)
            begin = 0
            for item_texts, _, future in items:
                if not future.done():
                    future.set_result(results[begin : begin + len(item_texts)])
                begin += len(item_texts)
