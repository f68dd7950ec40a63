"""CORS in a real browser: headless Chromium calls the API with a bearer token from a page on the allowed
origin (and succeeds) and from a page on a disallowed origin (and the browser blocks it).

How an origin like https://app.learninghub.test is served without owning it: a local HTTPS server on
127.0.0.1:<free port> answers for that host name with a throwaway self-signed certificate, and
Chromium is started with --host-resolver-rules "MAP app.learninghub.test 127.0.0.1:<port>" and
--ignore-certificate-errors-spki-list set to that certificate's key only. So the page really is
loaded over TLS from the origin `https://app.learninghub.test` (that is what the browser puts in the
Origin header and enforces CORS for), nothing outside this machine is contacted for it, and the API's
own certificate is still verified on AWS. When the API is on loopback (the twin), every other host
name is made unresolvable, so the browser talks to 127.0.0.1 only. The page runs fetch() exactly
as the SPA would: Authorization: Bearer <ID token>, mode cors.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import allure
import pytest

from fixtures.config import EnvConfig
from fixtures.posture.cors import concrete_origins, origin_allowed
from fixtures.posture.routes import Route, concrete_routes
from fixtures.posture.verdict import fail
from tests.e2e.browser.chromium import (
    browser_context,
    chromium_missing,
    is_ip_literal,
    is_loopback,
    resolver_rules,
)
from tests.e2e.browser.origin_server import serve_origins

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = [pytest.mark.cors, pytest.mark.browser]

DISALLOWED_HOST = "attacker.learninghub-e2e.test"
PAGE_TIMEOUT_MS = 15_000
FETCH_JS = """
async ([url, token, timeoutMs]) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const headers = token === null ? {} : {Authorization: 'Bearer ' + token};
  try {
    const r = await fetch(url, {mode: 'cors', headers, signal: controller.signal});
    return {ok: true, status: r.status, body: (await r.text()).slice(0, 2000)};
  } catch (e) {
    return {ok: false, error: String(e)};
  } finally {
    clearTimeout(timer);
  }
}
"""


@pytest.fixture(scope="module")
def origins(env_config: EnvConfig) -> tuple[str, str]:
    """(allowed origin, disallowed origin with the same scheme)."""
    missing = chromium_missing()
    if missing:
        pytest.skip(f"browser check skipped: {missing}")
    allowed = [
        o
        for o in concrete_origins(env_config.api.allowed_origins)
        if urlsplit(o).scheme in ("http", "https")
        and not is_loopback(urlsplit(o).hostname or "")
        and not is_ip_literal(urlsplit(o).hostname or "")
    ]
    if not allowed:
        pytest.skip("the env file lists no allowed origin with a host name a browser page can be served from")
    scheme = urlsplit(allowed[0]).scheme
    disallowed = f"{scheme}://{DISALLOWED_HOST}"
    return allowed[0], disallowed


@pytest.fixture(scope="module")
def browser(
    origins: tuple[str, str], env_config: EnvConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserContext]:
    allowed = origins[0]
    hosts = [urlsplit(allowed).hostname or "", DISALLOWED_HOST]
    api_host = urlsplit(env_config.api.base_url).hostname or ""
    with serve_origins(hosts, tls=urlsplit(allowed).scheme == "https") as server:
        rules = resolver_rules(hosts, server.port, loopback_only=is_loopback(api_host))
        profile = tmp_path_factory.mktemp("chromium-profile")
        with browser_context(Path(profile), rules, server.spki_sha256) as context:
            yield context


@pytest.fixture(scope="module")
def protected_get(env_config: EnvConfig) -> Route:
    api = env_config.api
    gets = [r for r in concrete_routes(api.protected_routes, api.path_values) if r.method == "GET"]
    if not gets:
        pytest.skip("the env file lists no protected GET route to call from the page")
    return next((r for r in gets if r.key == "GET /me"), gets[0])


def call_from(context: BrowserContext, origin: str, url: str, token: str | None) -> tuple[dict[str, Any], list[str]]:
    """Open the origin's page, run fetch(url) in it; returns (result, console messages)."""
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        page.goto(origin + "/", timeout=PAGE_TIMEOUT_MS)
        result = page.evaluate(FETCH_JS, [url, token, PAGE_TIMEOUT_MS - 2000])
        page.wait_for_timeout(200)  # console errors of a blocked request arrive just after the rejection
    finally:
        page.close()
    return result, console


def api_url(env_config: EnvConfig, route: Route) -> str:
    return env_config.api.base_url.rstrip("/") + route.path


@allure.title("A page on the allowed origin calls the API with a bearer token (real browser)")
def test_allowed_origin_page_calls_the_api(
    browser: BrowserContext, origins: tuple[str, str], env_config: EnvConfig, protected_get: Route, id_token: str
) -> None:
    """The SPA's origin gets the answer: the preflight passes and the response is readable."""
    allowed, _ = origins
    result, console = call_from(browser, allowed, api_url(env_config, protected_get), id_token)
    if not result["ok"]:
        fail(
            f"a page on the allowed origin {allowed} could not call {protected_get.key} with a bearer token "
            f"({result.get('error')}; browser said: {' | '.join(console) or 'nothing'}); fix the API's "
            "CorsConfiguration so the preflight and the response allow this origin."
        )
    if result["status"] != 200:
        fail(
            f"a page on {allowed} called {protected_get.key} and got {result['status']} instead of 200; the "
            "token was refused or the route is broken (see the authorizer checks)."
        )


@allure.title("A page on the allowed origin reads the authorizer's 401 (real browser)")
def test_allowed_origin_page_reads_the_authorizer_401(
    browser: BrowserContext, origins: tuple[str, str], env_config: EnvConfig, protected_get: Route
) -> None:
    """Without a token the app still sees the 401 (and can send the user to sign in), not a CORS error."""
    allowed, _ = origins
    result, console = call_from(browser, allowed, api_url(env_config, protected_get), None)
    if not (result["ok"] and result["status"] == 401):
        fail(
            f"a page on {allowed} calling {protected_get.key} without a token got "
            f"{result.get('status') or result.get('error')} (browser said: {' | '.join(console) or 'nothing'}) "
            "instead of a readable 401; the authorizer's 401 must carry the CORS headers of the allowed origin."
        )


@allure.title("The browser blocks a page on a disallowed origin from reading the API")
def test_disallowed_origin_page_is_blocked(
    browser: BrowserContext, origins: tuple[str, str], env_config: EnvConfig, protected_get: Route, id_token: str
) -> None:
    """A page on any other origin cannot read the API, even holding a valid token: the browser blocks it."""
    _, disallowed = origins
    if origin_allowed(disallowed, env_config.api.allowed_origins):
        pytest.skip(f"the env file's allowed_origins admit {disallowed} (a wildcard): no origin is disallowed")
    result, console = call_from(browser, disallowed, api_url(env_config, protected_get), id_token)
    if result["ok"]:
        fail(
            f"a page on the disallowed origin {disallowed} read {protected_get.key} (status "
            f"{result.get('status')}); list only the app's exact origins in the API's CorsConfiguration "
            "AllowOrigins."
        )
    if not any("CORS policy" in line for line in console):
        fail(
            f"the call from {disallowed} failed ({result.get('error')}) but not because of CORS (browser said: "
            f"{' | '.join(console) or 'nothing'}), so the API was unreachable from the browser; check base_url."
        )
