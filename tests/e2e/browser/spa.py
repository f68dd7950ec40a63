"""A Chromium context on which one SPA origin (say https://app.learninghub.test) is served locally: the pieces of
the CORS browser check (origin_server.serve_origins, chromium.browser_context) put together for a page that
leaves the origin and comes back to it, as the hosted sign-in does (authorize on the pool's domain, then the
callback URL on the SPA's origin).

A host name is served by the local origin server over real TLS (its throwaway key the only one trusted); an
origin on loopback or an IP literal (a `http://localhost:3000/callback` callback) cannot be mapped by the
resolver, so there playwright answers the origin's requests itself with the same empty page (routing: nothing
is listened on). Everything else is reached for real: the pool's domain over the network, or, when
`loopback_only`, nothing but this machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tests.e2e.browser.chromium import browser_context, is_ip_literal, is_loopback, resolver_rules
from tests.e2e.browser.origin_server import PAGE, serve_origins

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Route


def _answer_page(route: Route) -> None:
    route.fulfill(status=200, content_type="text/html; charset=utf-8", body=PAGE)


@contextmanager
def browser_on_origin(origin: str, profile: Path, *, loopback_only: bool) -> Iterator[BrowserContext]:
    """A new Chromium context in which `origin` (scheme://host[:port]) answers the probe page on every path."""
    parts = urlsplit(origin)
    host = parts.hostname or ""
    if is_loopback(host) or is_ip_literal(host):
        with browser_context(profile, resolver_rules([], 0, loopback_only=loopback_only), None) as context:
            context.route(f"{parts.scheme}://{parts.netloc}/**", _answer_page)
            yield context
        return
    with serve_origins([host], tls=parts.scheme == "https") as server:
        rules = resolver_rules([host], server.port, loopback_only=loopback_only)
        with browser_context(profile, rules, server.spki_sha256) as context:
            yield context
