"""The log output of ``blogarc crawl``: one handler for the process, the live progress line kept below log lines.

Scrapy would install a root handler of its own and replace it with each crawler it creates; ``blogarc crawl`` sets
``LOG_INSTALL_ROOT_HANDLER = False`` for its crawlers and installs ``LogHandler`` once (``install``), from Scrapy's
settings (``LOG_LEVEL``, ``LOG_FILE``, ``LOG_FILE_APPEND``, ``LOG_FORMAT``, ``LOG_DATEFORMAT``) and two of
blogarc's:

- ``LOG_SCRAPY_INFO``: Scrapy's own INFO lines (versions, enabled components, overridden settings, the stats dump,
  a hundred lines a crawl) are dropped unless it is on (``-v``, or ``-L INFO``/``-L DEBUG`` given explicitly);
  Scrapy's warnings and errors always pass, and Scrapy's stats still count every line.
- ``LOG_JSON``: one JSON object a line (``time`` in ISO 8601 UTC, ``level``, ``logger``, ``message``,
  ``exception``), for log collectors (``--log-format json``).

On a terminal (standard error, no ``LOG_FILE``) the handler also holds the live progress line (``status``): a
``rich`` live display, cut to the terminal's width, that log lines are printed above, never into. Elsewhere there
is no live line; ``crawler.progress`` logs its figures every ``PROGRESS_INTERVAL`` seconds instead.

A job of many blogs adds ``OneLinePerProblem`` (``crawler.runner``) on Scrapy's download and start-up loggers.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from scrapy.settings import Settings

# loggers whose INFO lines are Scrapy's start-up and closing dump (the stats dump included)
SCRAPY_LOGGERS = ("scrapy", "py.warnings")


class DropScrapyInfo(logging.Filter):
    """Let Scrapy's warnings and errors through, not its INFO and DEBUG lines (``LOG_SCRAPY_INFO`` off)."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrapy = record.name.split(".", 1)[0] in SCRAPY_LOGGERS
        return not scrapy or record.levelno >= logging.WARNING


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time`` (ISO 8601 UTC, milliseconds), ``level``, ``logger``, ``message``."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, Any] = {
            "time": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class LogHandler(logging.Handler):
    """Write log records to a stream; on a terminal, keep a live status line below them.

    Args:
        stream: where records go (standard error, or the ``LOG_FILE``).
        live: whether a status line may be shown (a terminal).
    """

    def __init__(self, stream: IO[str], live: bool):
        super().__init__()
        self.stream = stream
        self.console: Any = None
        self.display: Any = None
        if live:
            from rich.console import Console  # noqa: PLC0415 - only on a terminal

            self.console = Console(file=stream, highlight=False, soft_wrap=True)

    @classmethod
    def installed(cls) -> LogHandler | None:
        """The handler ``install`` put on the root logger, if any."""
        return next((h for h in logging.getLogger().handlers if isinstance(h, cls)), None)

    @property
    def live(self) -> bool:
        """Whether a status line can be shown."""
        return self.console is not None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            if self.console is not None:
                from rich.text import Text  # noqa: PLC0415

                self.console.print(Text(text))  # above the live line, if one is shown
            else:
                self.stream.write(text + "\n")
                self.stream.flush()
        except Exception:  # noqa: BLE001 - logging must never stop the crawl (logging's own convention)
            self.handleError(record)

    def status(self, text: str) -> None:
        """Show (or replace) the live status line: one line, cut to the terminal's width."""
        if self.console is None:
            return
        from rich.live import Live  # noqa: PLC0415
        from rich.text import Text  # noqa: PLC0415

        line = Text(text, no_wrap=True, overflow="ellipsis")
        with self.lock:  # type: ignore[union-attr]
            if self.display is None:
                self.display = Live(line, console=self.console, auto_refresh=False, transient=True)
                self.display.start()
            self.display.update(line, refresh=True)

    def clear_status(self) -> None:
        """Remove the live status line."""
        with self.lock:  # type: ignore[union-attr]
            if self.display is not None:
                self.display.stop()
                self.display = None

    def close(self) -> None:
        self.clear_status()
        if self.stream not in (sys.stderr, sys.stdout):
            self.stream.close()
        super().close()


def install(settings: Settings) -> LogHandler:
    """Install blogarc's log handler on the root logger (once per process), as the settings say."""
    if (handler := LogHandler.installed()) is not None:
        return handler
    filename = settings.get("LOG_FILE")
    if filename:
        mode = "a" if settings.getbool("LOG_FILE_APPEND") else "w"
        handler = LogHandler(open(filename, mode, encoding=settings.get("LOG_ENCODING") or "utf-8"), live=False)  # noqa: SIM115
    else:
        handler = LogHandler(sys.stderr, live=sys.stderr.isatty())
    if settings.getbool("LOG_JSON"):
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT")))
    handler.setLevel(settings.get("LOG_LEVEL"))
    if not settings.getbool("LOG_SCRAPY_INFO"):
        handler.addFilter(DropScrapyInfo())
    root = logging.getLogger()
    root.setLevel(logging.NOTSET)  # the handler's level decides, as with Scrapy's own root handler
    root.addHandler(handler)
    return handler


def uninstall() -> None:
    """Remove and close blogarc's handler (the end of the command)."""
    if (handler := LogHandler.installed()) is not None:
        logging.getLogger().removeHandler(handler)
        handler.close()


# Start-up lines every crawler would log again (its settings, components): the first blog's are enough.
ONCE_PER_JOB_LOGGERS = ("scrapy.middleware", "scrapy.crawler", "scrapy.addons", "scrapy.utils.log")
# Where Scrapy logs a failed request (with a traceback, most of them).
DOWNLOAD_LOGGERS = (
    "scrapy.downloadermiddlewares.retry",
    "scrapy.downloadermiddlewares.robotstxt",
    "scrapy.core.scraper",
)


class OneLinePerProblem(logging.Filter):
    """Log each problem of a job once, in one line.

    A blog that cannot be reached fails every request the same way, and Scrapy logs each failure (retry, robots.txt,
    scraper) with a traceback. The first failure of a kind on a host is logged as one line (the error text instead
    of the traceback); the same failure on the same host again is dropped (the crawl's stats still count every one:
    Scrapy's counter is another handler). Start-up lines each crawler repeats are logged for the first blog only.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[str, ...]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name in ONCE_PER_JOB_LOGGERS and record.levelno <= logging.INFO:
            key = (record.name, str(record.msg))
        elif (problem := _download_problem(record)) is not None:
            key = problem
            if record.exc_info:
                record.msg = f"{record.msg}: {problem[-1].replace('%', '%%')}" if problem[-1] else record.msg
                record.exc_info, record.exc_text = None, None
        else:
            return True
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def _download_problem(record: logging.LogRecord) -> tuple[str, str, str] | None:
    """("download", host, error text) for a log record about a failed request; None for any other."""
    args = record.args if isinstance(record.args, dict) else {}
    request = args.get("request")
    if record.levelno < logging.WARNING or not hasattr(request, "url"):
        return None
    error = record.exc_info[1] if record.exc_info else args.get("reason") or args.get("f_exception")
    if error is None:
        return None
    return ("download", urlsplit(request.url).netloc, str(error)[:300])
