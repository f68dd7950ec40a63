"""Signing keys of JWT issuers: OIDC discovery, then the JWKS, cached, with AWS's fetch bounds.

Hand-written instead of PyJWKClient because API Gateway's contract is specific: discovery first
(`{issuer}/.well-known/openid-configuration` -> `jwks_uri`), 1.5 s per fetch, 150 kB at most, RSA keys
only, keys cached (up to two hours). The twin has no DNS for amazonaws.com, so issuers are mapped to local
discovery bases by a small explicit table, and every fetch must stay on loopback.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, RSAPublicNumbers

log = logging.getLogger("twin.gateway")

FETCH_TIMEOUT_S = 1.5  # HTTP API quota: OIDC discovery and JWKS endpoint timeouts
MAX_JWKS_BYTES = 150_000  # HTTP API quota: response size from the JWKS endpoint
KEY_TTL_S = 7200.0  # "API Gateway can cache the public key for two hours"
UNKNOWN_KID_REFETCH_S = 10.0  # at most one re-fetch per issuer this often when a token names an unknown kid
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
COGNITO_ISSUER = re.compile(r"^https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com/(?P<pool>[\w-]+)$")
# A user pool on the UPDATED issuer type; the control plane serves it under /issuer-cognito-idp/{pool}.
COGNITO_UPDATED_ISSUER = re.compile(r"^https://issuer-cognito-idp\.[a-z0-9-]+\.amazonaws\.com/(?P<pool>[\w-]+)$")


class IssuerMap:
    """Where to find an issuer's discovery document: an explicit table, then the Cognito rules (ORIGINAL
    `https://cognito-idp.R.amazonaws.com/P` -> `{control}/P`, UPDATED `https://issuer-cognito-idp.R.amazonaws.com/P`
    -> `{control}/issuer-cognito-idp/P`), then the issuer itself when it is already a loopback URL. Anything else
    has no reachable keys (tokens are refused)."""

    def __init__(self, control_url: str, explicit: dict[str, str] | None = None) -> None:
        self._control_url = control_url.rstrip("/")
        self._explicit = {k: v.rstrip("/") for k, v in (explicit or {}).items()}

    def discovery_base(self, issuer: str) -> str | None:
        if issuer in self._explicit:
            return self._explicit[issuer]
        m = COGNITO_ISSUER.match(issuer)
        if m:
            return f"{self._control_url}/{m.group('pool')}"
        m = COGNITO_UPDATED_ISSUER.match(issuer)
        if m:
            return f"{self._control_url}/issuer-cognito-idp/{m.group('pool')}"
        if is_loopback_url(issuer):
            return issuer.rstrip("/")
        return None


def is_loopback_url(url: str) -> bool:
    parsed = urllib.parse.urlsplit(url)
    return parsed.scheme in ("http", "https") and (parsed.hostname or "") in LOOPBACK_HOSTS


@dataclass(frozen=True)
class KeySet:
    """Keys of one issuer at one fetch; `version` changes at every fetch (verification caches key on it)."""

    version: int
    keys: dict[str, tuple[RSAPublicKey, str | None]]  # kid -> (key, the JWK's alg if it names one)
    fetched_at: float


class KeysUnavailable(Exception):
    """Discovery or JWKS could not be read within the bounds."""


_versions = itertools.count(1)


def _fetch_json(url: str, limit: int) -> object:
    if not is_loopback_url(url):
        raise KeysUnavailable(f"{url} is not on loopback")
    req = urllib.request.Request(url, headers={"accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=FETCH_TIMEOUT_S) as resp:
            data = resp.read(limit + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise KeysUnavailable(f"{url}: {exc}") from exc
    if len(data) > limit:
        raise KeysUnavailable(f"{url}: larger than {limit} bytes")
    try:
        return json.loads(data)
    except ValueError as exc:
        raise KeysUnavailable(f"{url}: not JSON") from exc


def _b64int(value: object) -> int:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def parse_jwks(document: object) -> dict[str, tuple[RSAPublicKey, str | None]]:
    """RSA keys with a kid from a JWKS document; other keys are skipped (HTTP API only supports RSA)."""
    keys: dict[str, tuple[RSAPublicKey, str | None]] = {}
    raw_keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(raw_keys, list):
        raise KeysUnavailable("JWKS has no keys list")
    for jwk in raw_keys:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not isinstance(jwk.get("kid"), str):
            continue
        if jwk.get("use") not in (None, "sig"):
            continue
        try:
            key = RSAPublicNumbers(_b64int(jwk.get("e")), _b64int(jwk.get("n"))).public_key()
        except (ValueError, TypeError):
            continue
        alg = jwk.get("alg")
        keys[jwk["kid"]] = (key, alg if isinstance(alg, str) else None)
    return keys


class KeyStore:
    """Cached key sets per issuer; fetches run off the event loop and are coalesced per issuer."""

    def __init__(self, issuers: IssuerMap) -> None:
        self._issuers = issuers
        self._sets: dict[str, KeySet] = {}
        self._last_attempt: dict[str, float] = {}
        self._lock = threading.Lock()
        self._inflight: dict[str, asyncio.Future[KeySet | None]] = {}

    def cached(self, issuer: str) -> KeySet | None:
        """The key set in cache, if still fresh; never does I/O."""
        ks = self._sets.get(issuer)
        if ks is not None and time.monotonic() - ks.fetched_at < KEY_TTL_S:
            return ks
        return None

    def fetch(self, issuer: str) -> KeySet:
        """Blocking: discovery then JWKS for `issuer`; the result replaces the cached set."""
        with self._lock:
            self._last_attempt[issuer] = time.monotonic()
        base = self._issuers.discovery_base(issuer)
        if base is None:
            raise KeysUnavailable(f"no local discovery for issuer {issuer}")
        discovery = _fetch_json(f"{base}/.well-known/openid-configuration", MAX_JWKS_BYTES)
        jwks_uri = discovery.get("jwks_uri") if isinstance(discovery, dict) else None
        if not isinstance(jwks_uri, str):
            raise KeysUnavailable(f"discovery of {issuer} has no jwks_uri")
        keys = parse_jwks(_fetch_json(jwks_uri, MAX_JWKS_BYTES))
        ks = KeySet(version=next(_versions), keys=keys, fetched_at=time.monotonic())
        with self._lock:
            self._sets[issuer] = ks
        return ks

    def prefetch(self, issuer: str) -> None:
        """Blocking, for the background refresher: fetch when missing or stale; failures are only logged."""
        if self.cached(issuer) is not None:
            return
        if time.monotonic() - self._last_attempt.get(issuer, -1e9) < UNKNOWN_KID_REFETCH_S:
            return
        try:
            self.fetch(issuer)
        except KeysUnavailable as exc:
            log.warning("keys of %s unavailable: %s", issuer, exc)

    async def key_for(self, issuer: str, kid: str) -> tuple[KeySet | None, tuple[RSAPublicKey, str | None] | None]:
        """(key set, key) for a token's kid; fetches (off the loop) when nothing is cached or the kid is new,
        at most once per UNKNOWN_KID_REFETCH_S per issuer for unknown kids."""
        ks = self.cached(issuer)
        if ks is not None and kid in ks.keys:
            return ks, ks.keys[kid]
        if ks is not None and time.monotonic() - self._last_attempt.get(issuer, -1e9) < UNKNOWN_KID_REFETCH_S:
            return ks, None
        ks = await self._fetch_coalesced(issuer)
        if ks is None:
            return None, None
        return ks, ks.keys.get(kid)

    async def _fetch_coalesced(self, issuer: str) -> KeySet | None:
        future = self._inflight.get(issuer)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._inflight[issuer] = future
            try:
                result: KeySet | None = await asyncio.to_thread(self.fetch, issuer)
            except Exception as exc:  # any failure must still release the waiters below
                log.warning("keys of %s unavailable: %s", issuer, exc)
                result = self._sets.get(issuer)  # a stale set beats none while the issuer is down
            finally:
                del self._inflight[issuer]
            future.set_result(result)
            return result
        return await future
