"""Which hosts a crawl may connect to: never the crawling machine's own network because a blog points there.

A blog's pages name other hosts (requisites on CDNs, redirects, and the robots.txt of those hosts), and a hostile or
compromised blog can point them inward: at loopback, at private ranges, at link-local addresses (the cloud metadata
service at 169.254.169.254 hands out credentials) or at schemes other than HTTP(S). The rule, decided here for
every request before any connection:

* a URL whose scheme is not ``http`` or ``https`` is refused (``not_http``);
* a URL whose host is the seed's own host name (any port) is allowed: it is the blog;
* otherwise the host's address (an address literal, in any form ``inet_aton`` reads, or what the host name
  resolves to) is refused (``internal``) when it is not a global address (loopback, private, link-local, shared,
  reserved, multicast...), unless it is one of the seed's own addresses: a blog on a private network may be
  crawled, and so may its other ports and the names that resolve to its address, but nothing else there.

``allow_private`` (``blogarc crawl --allow-private``, setting ``ARCHIVE_ALLOW_PRIVATE``) lifts the address rule.
Pure: names are resolved by the ``Resolver`` the caller gives (the crawl uses Scrapy's caching resolver, so the
address checked is the one connected to; tests give a table).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host name -> its addresses (as text); raises OSError when the name does not resolve
Resolver = Callable[[str], Iterable[str]]
WEB_SCHEMES = ("http", "https")
NOT_HTTP, INTERNAL, UNRESOLVED = "not_http", "internal", "dns"
_LEGACY_IPV4 = re.compile(r"(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}", re.I)


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` spells, or None for a host name.

    Besides the usual forms, the legacy IPv4 forms every resolver accepts (``2130706433``, ``0x7f.1``, ``127.1``)
    count as the address they spell, so they cannot pass for a name.
    """
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def address_kind(address: IPAddress) -> str | None:
    """Why ``address`` is internal (``loopback``, ``link-local``, ``private``...), or None for a global address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    for kind in ("loopback", "link_local", "private", "multicast", "unspecified", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "not global"


def system_resolver(host: str) -> list[str]:
    """Every address ``host`` resolves to with the system's resolver (``getaddrinfo``)."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)})


@dataclass(frozen=True)
class Refusal:
    """A refused target: the loss kind (``not_http``, ``internal``, ``dns``) and what it was."""

    kind: str
    detail: str


@dataclass(frozen=True)
class TargetPolicy:
    """The rule of one crawl: its seed's host names and addresses, and whether private targets are allowed."""

    seed_hosts: frozenset[str]
    seed_addresses: frozenset[IPAddress]
    allow_private: bool = False

    @classmethod
    def for_seed(cls, seed_url: str, resolve: Resolver | None = None, allow_private: bool = False) -> TargetPolicy:
        """The policy of a crawl of ``seed_url``; ``resolve`` gives the seed's addresses when its host is a name.

        A seed host that does not resolve has no addresses: only its name is its own.
        """
        host = (urlsplit(seed_url).hostname or "").lower()
        bare = host.removeprefix("www.")
        literal = literal_address(host)
        addresses: set[IPAddress] = {literal} if literal is not None else set()
        if literal is None and resolve is not None and not allow_private:
            try:
                addresses = {ipaddress.ip_address(a) for a in resolve(host)}
            except (OSError, ValueError):
                addresses = set()
        return cls(frozenset({host, bare, f"www.{bare}"}), frozenset(addresses), allow_private)

    def needs_lookup(self, url: str) -> str | None:
        """The host name of ``url`` to resolve before deciding, or None when the URL alone decides."""
        host = (urlsplit(url).hostname or "").lower()
        if self.allow_private or not host or host in self.seed_hosts or literal_address(host) is not None:
            return None
        return host

    def refusal(self, url: str, addresses: Iterable[str] | None = None) -> Refusal | None:
        """Why ``url`` may not be fetched, or None; ``addresses``: what its host resolved to (``needs_lookup``)."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in WEB_SCHEMES:
            return Refusal(NOT_HTTP, f"scheme {parts.scheme or '(none)'}: only http and https are fetched")
        host = (parts.hostname or "").lower()
        if self.allow_private or host in self.seed_hosts:
            return None
        literal = literal_address(host)
        found = [literal] if literal is not None else [ipaddress.ip_address(a) for a in addresses or ()]
        for address in found:
            kind = address_kind(address)
            if kind is not None and address not in self.seed_addresses:
                name = "" if literal is not None else f"{host} is "
                return Refusal(INTERNAL, f"{name}{address}, a {kind} address that is not the seed's")
        return None

    def check(self, url: str, resolve: Resolver) -> Refusal | None:
        """``refusal``, with the host name resolved by ``resolve`` first when it must be.

        A name that does not resolve is refused: what it would resolve to at connection time is unknown.
        """
        if urlsplit(url).scheme.lower() not in WEB_SCHEMES:
            return self.refusal(url)
        host = self.needs_lookup(url)
        if host is None:
            return self.refusal(url)
        try:
            addresses = list(resolve(host))
        except OSError as exc:
            return Refusal(UNRESOLVED, f"{host} does not resolve ({exc})")
        return self.refusal(url, addresses)
