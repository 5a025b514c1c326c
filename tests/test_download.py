"""The download handler's close under a busy reactor: no AlreadyCalledError (issue 14)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from scrapy.settings import Settings

from crawler.addon import Blogarc
from tests.util import ROOT

STOCK = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"
OURS = "crawler.download.Http11Handler"


def errors_on_close(handler: str) -> list[str]:
    """The errors Twisted logged when ``handler`` was closed under a busy reactor (tests/closing_race.py)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.closing_race", handler], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    count, *texts = done.stdout.splitlines()
    assert int(count) == len(texts)
    return texts


def test_closing_under_a_busy_reactor_logs_no_error():
    assert errors_on_close(OURS) == []


def test_scrapys_own_handler_fires_twice_in_the_same_race():
    """The cause, shown: the same close with Scrapy's handler logs AlreadyCalledError from its timed call."""
    errors = errors_on_close(STOCK)
    if not errors:
        pytest.skip("this Scrapy's handler no longer fires twice: crawler.download.Http11Handler can go")
    assert any("AlreadyCalledError" in error for error in errors), errors


def test_blogarc_crawls_with_its_handler_unless_a_project_chose_one():
    settings = Settings()
    Blogarc().update_settings(settings)
    assert settings.getdict("DOWNLOAD_HANDLERS") == {"http": OURS, "https": OURS}
    project = Settings({"DOWNLOAD_HANDLERS": {"https": "project.Handler"}}, priority="project")
    Blogarc().update_settings(project)
    assert project.getdict("DOWNLOAD_HANDLERS") == {"http": OURS, "https": "project.Handler"}
