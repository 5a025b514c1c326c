"""The rules against hostile servers on their own (issue 17): targets, robots.txt statuses, losses, seeds, br.

The internal-target rule is decided for a *public* seed here, with a test resolver (a table: no DNS traffic at
all); the live crawl (``tests/test_hostile.py``) covers a private seed, 127.0.0.1, against 127.0.0.2.
"""

from __future__ import annotations

import brotli
import pytest
from scrapy.exceptions import CannotResolveHostError, DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from twisted.internet.error import ConnectionLost

from crawler.admission import Admission, redacted, seed_refusal
from crawler.explain import explain
from crawler.losses import loss_kind, wide_encoding_mismatch
from crawler.robots import DISALLOW_ALL, robots_rules
from crawler.targets import TargetPolicy, literal_address
from pipelines.warc import codecs

PUBLIC_SEED = "https://blog.example.org/"
# what the test resolver answers (documentation and private ranges only; nothing is ever looked up for real)
ADDRESSES = {
    "blog.example.org": ["93.184.216.34"],
    "static.example.net": ["151.101.1.1"],
    "cdn.example.net": ["10.1.2.3"],
    "rebind.example.net": ["93.184.216.35", "127.0.0.1"],  # one internal address is enough to refuse
    "metadata.example.net": ["169.254.169.254"],
    "v6.example.net": ["::1"],
    "mapped.example.net": ["::ffff:192.168.0.1"],
    "intranet.local": ["10.0.0.5"],
    "assets.local": ["10.0.0.5"],
    "db.local": ["10.0.0.9"],
}


class TableResolver:
    """A resolver that answers from ``ADDRESSES`` and writes down what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        if host not in ADDRESSES:
            raise OSError(f"{host}: no such name (test resolver)")
        return ADDRESSES[host]


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://169.254.169.254/wp-content/x.png", "internal"),  # the case: cloud metadata
        ("http://10.0.0.1/wp-content/x.png", "internal"),
        ("http://127.0.0.1:8080/wp-content/x.png", "internal"),
        ("http://[::1]/x", "internal"),
        ("http://[::ffff:127.0.0.1]/x", "internal"),
        ("http://[fe80::1]/x", "internal"),
        ("http://100.64.0.1/x", "internal"),  # shared address space (carrier-grade NAT)
        ("http://0.0.0.0/x", "internal"),
        ("http://2130706433/x", "internal"),  # 127.0.0.1, as inet_aton reads it
        ("http://0x7f.1/x", "internal"),
        ("http://224.0.0.1/x", "internal"),
        ("http://cdn.example.net/wp-content/x.png", "internal"),  # a public name, a private address
        ("http://rebind.example.net/x", "internal"),
        ("http://metadata.example.net/latest/meta-data/", "internal"),
        ("http://v6.example.net/x", "internal"),
        ("http://mapped.example.net/x", "internal"),
        ("http://nx.example.net/x", "dns"),  # does not resolve: what it would connect to is unknown
        ("file:///etc/passwd", "not_http"),
        ("gopher://blog.example.org/", "not_http"),
        ("http://8.8.8.8/x", None),
        ("http://static.example.net/wp-content/x.png", None),
        ("https://blog.example.org:8443/x", None),  # the seed's own host, any port
        ("https://www.blog.example.org/x", None),
    ],
)
def test_a_public_seed_never_reaches_inward(url, kind):
    resolver = TableResolver()
    policy = TargetPolicy.for_seed(PUBLIC_SEED, resolver)
    refusal = policy.check(url, resolver)
    assert (refusal.kind if refusal else None) == kind, refusal
    assert set(resolver.asked) <= set(ADDRESSES) | {"nx.example.net"}


def test_only_names_are_resolved_and_only_once_needed():
    resolver = TableResolver()
    policy = TargetPolicy.for_seed(PUBLIC_SEED, resolver)
    assert resolver.asked == ["blog.example.org"]
    for url in ("http://10.0.0.1/x", "https://blog.example.org/x", "http://www.blog.example.org/", "file:///x"):
        policy.check(url, resolver)
    assert resolver.asked == ["blog.example.org"]  # address literals, the seed's own host, other schemes: no look-up


def test_a_private_seed_may_reach_its_own_address_only():
    resolver = TableResolver()
    by_address = TargetPolicy.for_seed("http://10.0.0.5/", resolver)
    assert by_address.check("http://10.0.0.5:8080/wp-content/x.png", resolver) is None
    assert by_address.check("http://assets.local/x.png", resolver) is None  # resolves to the seed's address
    assert by_address.check("http://10.0.0.6/x", resolver).kind == "internal"
    assert by_address.check("http://db.local/x", resolver).kind == "internal"
    by_name = TargetPolicy.for_seed("http://intranet.local/", resolver)
    assert by_name.seed_addresses == frozenset({literal_address("10.0.0.5")})
    assert by_name.check("http://assets.local/x.png", resolver) is None
    assert by_name.check("http://169.254.169.254/x", resolver).kind == "internal"


def test_allow_private_lifts_the_address_rule_not_the_scheme_rule():
    resolver = TableResolver()
    policy = TargetPolicy.for_seed(PUBLIC_SEED, resolver, allow_private=True)
    assert resolver.asked == []
    assert policy.check("http://169.254.169.254/latest/meta-data/", resolver) is None
    assert policy.check("http://cdn.example.net/x", resolver) is None
    assert policy.check("file:///etc/passwd", resolver).kind == "not_http"


def test_explain_shows_the_target_rule_and_asks_no_robots_txt_for_a_refused_url():
    settings = Settings()
    settings.setmodule("crawler.settings")
    settings.set("ROBOTSTXT_OBEY", False)  # were the rule broken, still no request: the test would fail, not send
    resolver = TableResolver()
    text = explain("http://169.254.169.254/wp-content/x.png", PUBLIC_SEED, settings, resolve=resolver)
    assert "as a page:  refused: offsite" in text
    assert "as a page requisite: refused: internal" in text
    assert "target:     refused (internal): 169.254.169.254, a link-local address" in text
    assert "robots.txt: not asked" in text
    text = explain("http://cdn.example.net/wp-content/x.png", PUBLIC_SEED, settings, resolve=resolver)
    assert "cdn.example.net is 10.1.2.3, a private address" in text and "robots.txt: not asked" in text
    text = explain("http://static.example.net/wp-content/x.png", PUBLIC_SEED, settings, resolve=resolver)
    assert "as a page requisite: fetched" in text and "target:     allowed" in text
    assert "robots.txt: not obeyed" in text


@pytest.mark.parametrize(
    ("status", "body", "rules", "words"),
    [
        (200, b"User-agent: *\nDisallow: /x/\n", b"User-agent: *\nDisallow: /x/\n", "rules"),
        (404, b"<h1>Not found</h1>", b"", "unavailable (HTTP 404): everything allowed"),
        (403, b"", b"", "unavailable (HTTP 403): everything allowed"),
        (500, b"<h1>Oops</h1>", DISALLOW_ALL, "unreachable (HTTP 500): everything disallowed"),
        (503, b"", DISALLOW_ALL, "unreachable (HTTP 503): everything disallowed"),
    ],
)
def test_robots_txt_statuses_as_rfc_9309_says(status, body, rules, words):
    assert robots_rules(status, body, 500 * 1024) == (rules, words)


def test_robots_txt_is_read_up_to_its_limit_and_whole_lines_only():
    body = b"User-agent: *\nDisallow: /early/\n" + b"Disallow: /padding/\n" * 100
    rules, words = robots_rules(200, body, 40)
    assert rules == b"User-agent: *\nDisallow: /early/\n" and words.startswith("rules from its first 32 bytes")
    assert robots_rules(200, body[:60], 500, complete=False)[0] == body[: body.rfind(b"\n", 0, 60) + 1]


def test_download_failures_have_a_kind():
    assert loss_kind(DownloadTimeoutError("took longer")) == "timeout"
    assert loss_kind(CannotResolveHostError("nx")) == "dns"
    assert loss_kind(DownloadCancelledError("larger than download max size")) == "oversize"
    assert loss_kind(ConnectionLost()) == "connection"
    assert loss_kind(IgnoreRequest()) == "download_error"


def test_a_page_declaring_utf16_but_sending_latin1_is_a_decode_loss():
    latin1 = "<!DOCTYPE html><html><body><p>Café Müller</p></body></html>".encode("latin-1")
    lying = HtmlResponse(
        "http://blog.example.org/x/", body=latin1, headers={"Content-Type": "text/html; charset=utf-16"}
    )
    assert "declares utf-16" in wide_encoding_mismatch(lying)
    honest = lying.replace(body="<p>Café</p>".encode("utf-16"))
    assert wide_encoding_mismatch(honest) is None
    utf8 = HtmlResponse("http://blog.example.org/y/", body=latin1, headers={"Content-Type": "text/html; charset=utf-8"})
    assert wide_encoding_mismatch(utf8) is None  # a wrong UTF-8 is read as Windows-1252 by extraction instead


def test_a_seed_with_credentials_is_refused_without_its_password():
    url = "http://maren:s3cret@blog.example.org/"
    assert "maren:***@blog.example.org" in seed_refusal(url) and "s3cret" not in seed_refusal(url)
    assert redacted(url) == "http://maren:***@blog.example.org/"
    assert seed_refusal("https://blog.example.org/") is None
    with pytest.raises(ValueError, match=r"credentials") as raised:  # what `scrapy crawl blog -a url=...` meets
        Admission(url)
    assert "s3cret" not in str(raised.value)


def test_br_decoding_for_warcio_stops_at_its_bound(monkeypatch):
    codecs.use_brotli()
    monkeypatch.setattr(codecs, "MAX_OUTPUT", 1 << 20)
    compressor = brotli.Compressor(quality=1)
    bomb = b"".join(compressor.process(bytes(1 << 20)) for _ in range(64)) + compressor.finish()  # 64 MiB of zeros
    decompressor = codecs.BrotliDecompressor()
    first = decompressor.decompress(bomb)
    assert 0 < len(first) <= 4 << 20  # about MAX_OUTPUT, not 64 MiB
    assert decompressor.decompress(b"more") == b""  # the rest is left undecoded
    page = b"<p>The night ferry leaves at a quarter to eleven.</p>" * 1000
    assert codecs.BrotliDecompressor().decompress(brotli.compress(page)) == page
