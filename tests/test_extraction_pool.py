"""The extraction worker pool: a page costs at most itself, whatever happens to the worker that reads it."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from pipelines.extract.options import ExtractOptions
from pipelines.extract.pool import ExtractionError, ExtractionPool

POST = (
    "<html><head><title>Low tide</title></head><body><article><h1>Low tide</h1>"
    + "<p>The ferry left at dawn, and for once the harbour was quiet enough to hear the gulls.</p>" * 30
    + "</article></body></html>"
).encode()
URL = "https://blog.example.org/low-tide/"


def worker_pids(pool: ExtractionPool) -> list[int]:
    return list(pool._executor._processes) if pool._executor is not None else []


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture
def pool():
    pool = ExtractionPool(1, ExtractOptions(worker_max_memory=700 * 1024**2))
    yield pool
    pool.shutdown()


def test_a_killed_worker_is_replaced_and_its_page_read_again(pool):
    assert "harbour was quiet" in run(pool.extract(POST, "utf-8", URL)).text
    (pid,) = worker_pids(pool)
    os.kill(pid, signal.SIGKILL)  # the OOM killer, a crash in C code, an operator
    extracted = run(pool.extract(POST, "utf-8", URL))
    assert "harbour was quiet" in extracted.text
    assert pool.restarts == 1 and worker_pids(pool) != [pid]


def test_a_page_beyond_the_memory_cap_fails_alone(pool):
    run(pool.extract(POST, "utf-8", URL))
    (pid,) = worker_pids(pool)
    block = b"<div><p>The ferry left at dawn and the harbour was quiet.</p></div>"
    huge = b"<html><body><article>" + block * 1_500_000 + b"</article></body></html>"  # ~100 MB of markup
    with pytest.raises(ExtractionError):
        run(pool.extract(huge, "utf-8", "https://blog.example.org/huge/"))
    assert "harbour was quiet" in run(pool.extract(POST, "utf-8", URL)).text
    assert worker_pids(pool) == [pid] and pool.restarts == 0  # the same worker, alive and well


def test_workers_extract_with_the_pools_options():
    pool = ExtractionPool(1, ExtractOptions(max_elements=20))  # the post has more elements than that: no text
    try:
        assert run(pool.extract(POST, "utf-8", URL)) is None
    finally:
        pool.shutdown()
    pool = ExtractionPool(1, ExtractOptions(worker_max_memory=700 * 1024**2))
    try:
        assert "harbour was quiet" in run(pool.extract(POST, "utf-8", URL)).text
    finally:
        pool.shutdown()


def test_a_crawl_without_extraction_does_not_import_trafilatura():
    """The crawl's own modules do not import trafilatura (a tenth of its start-up): extraction imports it."""
    import subprocess
    import sys

    from tests.util import ROOT

    code = (
        "import sys, crawler.spiders.blog, crawler.recorder, pipelines.extract.pool; "
        "print(sorted(m for m in ('trafilatura', 'htmldate', 'pipelines.extract.core') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
