"""The Redis client of a worker (or of ``enqueue`` / ``jobs``), from a ``redis://`` URL.

The URL may carry credentials (``redis://:PASSWORD@host:6379/0``, ``rediss://user:PASSWORD@host/0``): they are
passed to redis-py and nowhere else. ``redact`` is the one way a URL reaches a log line or an error; the URL never
goes into Scrapy settings (which Scrapy logs), manifests or WARCs. ``BLOGARC_REDIS_URL`` in the environment keeps the
password off the command line (``ps`` shows arguments).

The client fails fast (short timeouts, one retry): a worker's calls on the reactor thread must not hang while Redis
is away; the worker notices the outage, goes on with what it has and reconnects (``crawler.distributed.frontier``).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from scrapy_redis.connection import get_redis

URL_ENV = "BLOGARC_REDIS_URL"
SCHEMES = ("redis", "rediss", "unix")
# socket timeouts (seconds): a reply from a live Redis takes milliseconds; anything longer is an outage
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0


class RedisUnavailable(Exception):
    """Redis cannot be reached (or refused our credentials)."""


def redis_url(given: str | None) -> str:
    """The Redis URL from ``--redis`` or ``BLOGARC_REDIS_URL``.

    Raises:
        ValueError: when neither is set or the URL is not a Redis URL.
    """
    url = given or os.environ.get(URL_ENV, "")
    if not url:
        raise ValueError(f"give the Redis URL with --redis redis://HOST:6379/0 (or {URL_ENV})")
    if urlsplit(url).scheme not in SCHEMES:
        raise ValueError(f"not a Redis URL (redis://, rediss:// or unix://): {redact(url)}")
    return url


def redact(url: str) -> str:
    """``url`` with its password (and user name) replaced by ``***``: the only form of it ever logged."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


def connect(url: str) -> redis.Redis:
    """A client for ``url`` that answers or fails within seconds, and has been checked with a ``PING``.

    Raises:
        RedisUnavailable: Redis cannot be reached, or refused the credentials.
    """
    client = get_redis(
        url=url,
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=READ_TIMEOUT,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.1), 1),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
        health_check_interval=30,
        decode_responses=False,
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        raise RedisUnavailable(f"cannot reach Redis at {redact(url)}: {describe(exc, url)}") from None
    return client


def describe(exc: BaseException, url: str = "") -> str:
    """A one-line description of a Redis error, with no credentials in it."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    password = urlsplit(url).password if url else None
    return text.replace(password, "***") if password else text
