"""``blogarc crawl --explain URL``: whether and why a URL would be fetched, as the spider decides it."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import Request as UrlRequest
from urllib.request import urlopen

from protego import Protego

from crawler.spiders.blog import admission_for
from crawler.wordpress import is_post_part
from pipelines.layout import site_key

if TYPE_CHECKING:
    from scrapy.settings import Settings


def explain(url: str, site_url: str, settings: Settings) -> str:
    """Why ``url`` would or would not be fetched in a crawl of ``site_url``, as the spider decides it."""
    admission = admission_for(site_url if "://" in site_url else f"https://{site_url}", settings)
    canonical = admission.rules.canonical(url)
    lines = [f"URL:        {url}", f"canonical:  {canonical}", f"site:       {site_key(admission.start_url)}"]
    page_reason = admission.refusal(canonical)
    requisite_reason = admission.refusal(canonical, requisite=True)
    lines.append(f"as a page:  {'refused: ' + page_reason if page_reason else 'fetched (if linked or listed)'}")
    lines.append(f"as a page requisite: {'refused: ' + requisite_reason if requisite_reason else 'fetched'}")
    if is_post_part(canonical):
        lines.append("kind:       part of a post (archived, no text record of its own)")
    lines.append(f"robots.txt: {robots_decision(canonical, settings)}")
    return "\n".join(lines)


def robots_decision(url: str, settings: Settings) -> str:
    """What the site's robots.txt says about ``url`` for our User-Agent (one request to the site)."""
    if not settings.getbool("ROBOTSTXT_OBEY"):
        return "not obeyed (ROBOTSTXT_OBEY is off)"
    parts = urlsplit(url)
    robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
    agent = settings.get("USER_AGENT")
    try:
        with urlopen(UrlRequest(robots_url, headers={"User-Agent": agent}), timeout=10) as reply:
            body = reply.read().decode("utf-8", errors="replace")
    except HTTPError as exc:
        return f"allowed ({robots_url} answered {exc.code})"
    except OSError as exc:
        return f"not checked ({robots_url} unreachable: {exc})"
    allowed = Protego.parse(body).can_fetch(url, agent.split("/", 1)[0])
    return "allowed" if allowed else f"disallowed by {robots_url}"
