"""``blogarc crawl --explain URL``: whether and why a crawl would fetch a URL, by the rules the crawl applies.

The admission rules (``crawler.admission``: scope, trap rules, limits), the target rule (``crawler.targets``: no
internal address a public blog points at) and the site's robots.txt (RFC 9309, as ``crawler.robots`` reads it).
It never contacts a host the rules refuse: robots.txt is asked for only when the URL would be fetched, by a
request that follows no redirect to a refused target. Names are resolved with the system's resolver (only when a
URL would be fetched), then again when the robots.txt request connects: the crawl itself checks the address it
connects to (``crawler.safety``).
"""

from __future__ import annotations

import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

from protego import Protego

from crawler.admission import redacted
from crawler.robots import robots_rules
from crawler.spiders.blog import admission_for
from crawler.targets import INTERNAL, Refusal, Resolver, TargetPolicy, literal_address, system_resolver
from crawler.wordpress import is_post_part
from pipelines.layout import site_key

if TYPE_CHECKING:
    from scrapy.settings import Settings


def target_refusal(url: str, seed: str, allow_private: bool, resolve: Resolver) -> Refusal | None:
    """The target rule for ``url`` in a crawl of ``seed``; the seed's own name is resolved only if that decides."""
    refusal = TargetPolicy.for_seed(seed, None, allow_private).check(url, resolve)
    if refusal is None or refusal.kind != INTERNAL or literal_address(urlsplit(seed).hostname or "") is not None:
        return refusal
    return TargetPolicy.for_seed(seed, resolve, allow_private).check(url, resolve)  # is it the seed's address?


def explain(url: str, site_url: str, settings: Settings, resolve: Resolver = system_resolver) -> str:
    """Why ``url`` would or would not be fetched in a crawl of ``site_url``, as the crawl decides it."""
    admission = admission_for(site_url if "://" in site_url else f"https://{site_url}", settings)
    canonical = admission.rules.canonical(url)
    lines = [f"URL:        {redacted(url)}", f"canonical:  {redacted(canonical)}"]
    lines.append(f"site:       {site_key(admission.start_url)}")
    page_reason = admission.refusal(canonical)
    requisite_reason = admission.refusal(canonical, requisite=True)
    target = None
    if page_reason is None or requisite_reason is None:
        allow_private = settings.getbool("ARCHIVE_ALLOW_PRIVATE")
        target = target_refusal(canonical, admission.start_url, allow_private, resolve)
        if target is None:
            lines.append("target:     allowed")
        else:
            hint = " (--allow-private fetches it)" if target.kind == INTERNAL else ""
            lines.append(f"target:     refused ({target.kind}): {target.detail}{hint}")
            page_reason = page_reason or target.kind
            requisite_reason = requisite_reason or target.kind
    lines.append(f"as a page:  {'refused: ' + page_reason if page_reason else 'fetched (if linked or listed)'}")
    lines.append(f"as a page requisite: {'refused: ' + requisite_reason if requisite_reason else 'fetched'}")
    if is_post_part(canonical):
        lines.append("kind:       part of a post (archived, no text record of its own)")
    if page_reason and requisite_reason:
        lines.append("robots.txt: not asked (the rules refuse this URL)")
    else:
        lines.append(f"robots.txt: {robots_decision(canonical, admission.start_url, settings, resolve)}")
    return "\n".join(lines)


def robots_decision(url: str, seed: str, settings: Settings, resolve: Resolver = system_resolver) -> str:
    """What the site's robots.txt says about ``url`` for our User-Agent (one request to the site, RFC 9309)."""
    if not settings.getbool("ROBOTSTXT_OBEY"):
        return "not obeyed (ROBOTSTXT_OBEY is off)"
    parts = urlsplit(url)
    robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
    agent = settings.get("USER_AGENT")
    max_size = settings.getint("ARCHIVE_ROBOTS_MAX_SIZE")
    opener = urllib.request.build_opener(CheckedRedirects(seed, settings.getbool("ARCHIVE_ALLOW_PRIVATE"), resolve))
    request = urllib.request.Request(robots_url, headers={"User-Agent": agent})
    try:
        with opener.open(request, timeout=settings.getfloat("ARCHIVE_ROBOTS_TIMEOUT")) as reply:
            status, body = reply.status, reply.read(max_size + 1)
            complete = len(body) <= max_size
    except HTTPError as exc:
        status, body, complete = exc.code, b"", True
    except RefusedRedirect as exc:
        return f"allowed (unavailable: {robots_url} redirects to a refused target, {exc.reason})"
    except (URLError, OSError) as exc:
        return f"disallowed ({robots_url} unreachable: {getattr(exc, 'reason', exc)}; everything disallowed)"
    rules, policy = robots_rules(status, body, max_size, complete)
    if policy.startswith(("unavailable", "unreachable")):
        return f"{'disallowed' if rules else 'allowed'} ({robots_url}: {policy})"
    allowed = Protego.parse(rules.decode("utf-8", errors="replace")).can_fetch(url, agent.split("/", 1)[0])
    return "allowed" if allowed else f"disallowed by {robots_url}"


class RefusedRedirect(URLError):
    """A robots.txt redirect to a target the rules refuse (never followed)."""


class CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """urllib's redirects, each checked by the target rule before it is followed."""

    def __init__(self, seed: str, allow_private: bool, resolve: Resolver):
        super().__init__()
        self.seed, self.allow_private, self.resolve = seed, allow_private, resolve

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        refusal = target_refusal(newurl, self.seed, self.allow_private, self.resolve)
        if refusal is not None:
            raise RefusedRedirect(f"{refusal.kind}: {refusal.detail}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)
