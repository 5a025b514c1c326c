"""What a user types, checked before anything starts: every mistake is one line and exit status 2.

``blogarc`` parses with ``Parser`` (argparse whose errors are one line), converts option values with the types
below (``count``, ``seconds``, ``port``), and checks what argparse cannot: blog URLs (``blog_url``), ``-s``
settings typed by their default's type (``typed_setting``; an unknown name is a warning naming the closest known
one), dates (``iso_date``). A ``UsageError`` raised anywhere before the work starts ends the command with
``blogarc COMMAND: message`` and exit status 2 (``crawler.cli``); nothing has been written by then.

This module is imported by every command, so it imports nothing heavy (no Scrapy at module level).
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

EXIT_USAGE = 2
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)", re.IGNORECASE)
# Scrapy's getbool accepts exactly these (scrapy.settings.BaseSettings.getbool)
_BOOLEANS = {"1": True, "0": False, "true": True, "false": False}


class UsageError(Exception):
    """A mistake in what the user typed: ``blogarc`` prints ``blogarc COMMAND: message`` and exits 2."""


class Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line: ``blogarc crawl: argument --max-pages: ... (see --help)``.

    argparse's own errors print the whole usage first; a cron mail or a log wants the mistake alone. Subparsers
    are of the same class (argparse makes them with ``type(parent)``).
    """

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def count(minimum: int = 0) -> Any:
    """An argparse type: a whole number of at least ``minimum`` (``--max-pages -3`` is refused)."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number of at least {minimum}, got {text!r}")
        return value

    convert.__name__ = "count"  # argparse names the type in its messages
    return convert


def seconds(text: str) -> float:
    """An argparse type: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def port(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free port) to 65535."""
    value = count(0)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return value


def iso_date(text: str) -> str:
    """An argparse type: an ISO 8601 date or date-time (``2026-11-27``, ``2026-11-27T07:36:08Z``), as typed."""
    try:
        datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date: {text!r} (use an ISO 8601 date such as 2026-11-27 or 2026-11-27T07:36:08Z)"
        ) from None
    return text.strip()


def blog_url(text: str) -> str:
    """A blog's URL as typed, checked, with ``https://`` put before a bare host (``blog.example.org[:port][/path]``).

    Raises:
        UsageError: not an http(s) URL, no host, a host that cannot be a host name, or a bad port.
    """
    url = text.strip()
    if "://" not in url:
        url = f"https://{url}"
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise UsageError(f"{text}: unsupported scheme {parts.scheme!r} (a blog's URL starts with http:// or https://)")
    host = parts.hostname or ""
    if not host:
        raise UsageError(f"{text}: no host name in the URL")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        raise UsageError(f"{text}: the port is not a number from 1 to 65535") from None
    if not _valid_host(host):
        raise UsageError(f"{text}: {host!r} is not a host name")
    return url


def _valid_host(host: str) -> bool:
    import ipaddress  # noqa: PLC0415 - only when a URL is checked (start-up of the other commands)

    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return len(ascii_host) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels)


def split_setting(pair: str) -> tuple[str, str]:
    """``NAME=VALUE`` -> (NAME, VALUE).

    Raises:
        UsageError: no ``=``, or no name before it.
    """
    name, sep, value = pair.partition("=")
    name = name.strip()
    if not sep or not name:
        raise UsageError(f"-s expects NAME=VALUE, got {pair!r}")
    return name, value


def _json_of(value: str, kind: type, problem: str) -> Any:
    """``value`` parsed as JSON, which must give a ``kind``; a UsageError saying ``problem`` otherwise."""
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, kind):
        raise UsageError(problem)
    return parsed


def typed_setting(name: str, value: str, default: Any) -> Any:
    """``value`` (a string from the command line or a sites file) as the type of the setting's ``default``.

    Booleans take what Scrapy's ``getbool`` takes (``True``/``False``, ``true``/``false``, ``1``/``0``); numbers
    must parse (an int setting takes a float too: Scrapy reads some, like ``CLOSESPIDER_TIMEOUT``, with
    ``getfloat``); dicts are JSON objects; lists are JSON arrays or comma-separated; anything goes for strings and
    for settings without a default.

    Raises:
        UsageError: the value does not fit the type, naming the setting, the value and what it expects.
    """
    if isinstance(default, bool):
        if value.strip().lower() in _BOOLEANS:
            return _BOOLEANS[value.strip().lower()]
        raise UsageError(f"setting {name}={value!r}: expected True or False")
    if isinstance(default, int | float):
        for convert in (int, float) if isinstance(default, int) else (float,):
            try:
                return convert(value)
            except ValueError:
                continue
        raise UsageError(f"setting {name}={value!r}: expected a number (default {default!r})")
    if _is_mapping(default):
        return _json_of(value, dict, f"setting {name}={value!r}: expected a JSON object, e.g. {name}='{{\"key\": 1}}'")
    if isinstance(default, list | tuple) and value.lstrip().startswith("["):
        return _json_of(value, list, f"setting {name}={value!r}: expected a JSON array or comma-separated values")
    return value


def _is_mapping(value: Any) -> bool:
    # Scrapy keeps dict settings as BaseSettings objects (mappings without being dicts)
    return isinstance(value, dict) or (hasattr(value, "keys") and hasattr(value, "getpriority"))


def unknown_setting_warning(name: str, known: list[str]) -> str | None:
    """A one-line warning for a setting name nothing knows (None when it is known), naming the closest known name."""
    if name in known:
        return None
    import difflib  # noqa: PLC0415 - only for an unknown name

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"warning: unknown setting {name}{hint}; it is passed on as given"


def typed_settings(pairs: dict[str, str], defaults: Any, where: str = "") -> tuple[dict[str, Any], list[str]]:
    """Settings given as strings, typed by their defaults in ``defaults`` (Scrapy ``Settings``), and warnings.

    Args:
        pairs: NAME -> VALUE as typed.
        defaults: the settings the values override (their current values give the types).
        where: put before each message (``sites.txt:3: ``).

    Raises:
        UsageError: a value that does not fit its setting's type.
    """
    known = sorted(defaults)
    typed, warnings = {}, []
    for name, value in pairs.items():
        if (warning := unknown_setting_warning(name, known)) is not None:
            warnings.append(where + warning)
        try:
            typed[name] = typed_setting(name, value, defaults.get(name))
        except UsageError as exc:
            raise UsageError(f"{where}{exc}") from None
    return typed, warnings
