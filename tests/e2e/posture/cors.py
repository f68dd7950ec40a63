"""CORS expectations and findings: CORScanner's hostile origin classes and header rules for HTTP API CORS.

Hand-written because CORScanner (chenjj/CORScanner) is a Python 2 command-line scanner that stops at
the first hit and only sends GETs; here every origin class is derived from each allowed origin and
checked on preflights and real requests, and the expected headers come from the env file. The rules
follow aws-semantics.md §2: API Gateway answers preflights itself, adds the configured headers to
real responses and drops the integration's own CORS headers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from tests.e2e.posture.policy import glob_match

ACAO = "access-control-allow-origin"
ACAC = "access-control-allow-credentials"
ACAM = "access-control-allow-methods"
ACAH = "access-control-allow-headers"
ACMA = "access-control-max-age"
ACEH = "access-control-expose-headers"

# CORScanner's origins.json: hosting services where anyone can publish a page.
THIRD_PARTY_ORIGINS = (
    "https://github.com",
    "https://gitlab.com",
    "https://pastebin.com",
    "http://jsbin.com",
    "https://codepen.io",
    "https://jsfiddle.net",
    "http://whatever.s3.amazonaws.com",
    "https://whatever.github.io",
)
# CORScanner's special_characters_bypass list (characters some origin parsers stop at).
SPECIAL_CHARACTERS = ("_", "-", '"', "{", "}", "+", "^", "%60", "!", "~", "`", ";", "|", "&", "'", "(", ")",
                      "*", ",", "$", "=", "%0b")
ATTACKER = "evil.com"
DEFAULT_PORTS = {"http": 80, "https": 443}
# Origins of developers' local front ends (React/Next, Vite, Angular, Vue CLI/webpack, Django/Flask, bare):
# left in AllowOrigins, they let any page a developer serves locally, or malware on a laptop, read the API.
LOCAL_DEV_ORIGINS = (
    "http://localhost:3000", "http://localhost:5173", "http://localhost:4200", "http://localhost:8080",
    "http://localhost:8000", "http://localhost", "http://127.0.0.1:3000", "http://127.0.0.1:5173",
    "https://localhost:3000",
)  # fmt: skip


class HostileKind(StrEnum):
    """The origin classes `hostile_origins` builds (CORScanner's, plus port, parent-domain, local dev)."""

    REFLECT_ORIGIN = "reflect_origin"
    PREFIX_MATCH = "prefix_match"
    SUFFIX_MATCH = "suffix_match"
    TRUST_NULL = "trust_null"
    INCLUDE_MATCH = "include_match"
    NOT_ESCAPE_DOT = "not_escape_dot"
    SPECIAL_CHARACTERS_BYPASS = "special_characters_bypass"
    TRUST_ANY_SUBDOMAIN = "trust_any_subdomain"
    HTTPS_TRUST_HTTP = "https_trust_http"
    CUSTOM_THIRD_PARTIES = "custom_third_parties"
    OTHER_PORT = "other_port"
    PARENT_DOMAIN = "parent_domain"
    LOCAL_DEV_SERVER = "local_dev_server"


@dataclass(frozen=True)
class HostileOrigin:
    kind: HostileKind
    origin: str


def _registrable(host: str) -> str | None:
    """Last two labels: a stand-in for the public-suffix lookup CORScanner does with `tld`."""
    labels = host.split(".")
    if len(labels) < 2 or _is_ip(host):
        return None
    return ".".join(labels[-2:])


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def hostile_origins(allowed: str) -> list[HostileOrigin]:
    """Every CORScanner origin class derived from one allowed origin, plus port and parent-domain variants."""
    parts = urlsplit(allowed)
    scheme, netloc, host = parts.scheme, parts.netloc, parts.hostname or ""
    kind = HostileKind
    out = [
        HostileOrigin(kind.REFLECT_ORIGIN, f"{scheme}://{ATTACKER}"),
        HostileOrigin(kind.PREFIX_MATCH, f"{scheme}://{netloc}.{ATTACKER}"),
        HostileOrigin(kind.TRUST_NULL, "null"),
        HostileOrigin(kind.TRUST_ANY_SUBDOMAIN, f"{scheme}://evil.{netloc}"),
    ]
    if scheme == "https":
        out.append(HostileOrigin(kind.HTTPS_TRUST_HTTP, f"http://{netloc}"))
    port = f":{parts.port}" if parts.port else ""
    own_port = parts.port or DEFAULT_PORTS.get(scheme, 443)
    bracketed = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets in an origin
    out.append(HostileOrigin(kind.OTHER_PORT, f"{scheme}://{bracketed}:{own_port + 1}"))
    if not _is_ip(host):
        for target in dict.fromkeys(filter(None, [_registrable(host), host])):
            out.append(HostileOrigin(kind.SUFFIX_MATCH, f"{scheme}://evil{target}{port}"))
            out.append(HostileOrigin(kind.INCLUDE_MATCH, f"{scheme}://{target[1:]}{port}"))
        for i, ch in enumerate(host):
            if ch == ".":
                out.append(HostileOrigin(kind.NOT_ESCAPE_DOT, f"{scheme}://{host[:i]}a{host[i + 1:]}{port}"))
        parent = _registrable(host)
        if parent and parent != host:
            out.append(HostileOrigin(kind.PARENT_DOMAIN, f"{scheme}://{parent}{port}"))
    for ch in SPECIAL_CHARACTERS:
        out.append(HostileOrigin(kind.SPECIAL_CHARACTERS_BYPASS, f"{scheme}://{netloc}{ch}.{ATTACKER}"))
    out.extend(HostileOrigin(kind.CUSTOM_THIRD_PARTIES, o) for o in THIRD_PARTY_ORIGINS)
    out.extend(HostileOrigin(kind.LOCAL_DEV_SERVER, o) for o in LOCAL_DEV_ORIGINS)
    seen: set[str] = set()
    unique = []
    for h in out:
        if h.origin != allowed and h.origin not in seen:
            seen.add(h.origin)
            unique.append(h)
    return unique


def origin_allowed(origin: str, patterns: Iterable[str]) -> bool:
    """Whether the configured AllowOrigins admit `origin` (exact, or a `*` pattern such as https://*)."""
    return any(origin == p or ("*" in p and glob_match(p, origin)) for p in patterns)


def concrete_origins(patterns: Iterable[str]) -> list[str]:
    return [p for p in patterns if "*" not in p]


def header_list(value: str | None) -> set[str]:
    return {item.strip().lower() for item in (value or "").split(",") if item.strip()}


@dataclass(frozen=True)
class CorsExpectation:
    """What the env file says the API's CorsConfiguration is."""

    origins: tuple[str, ...]
    methods: tuple[str, ...]
    headers: tuple[str, ...]
    max_age: int
    credentials: bool
    expose_headers: tuple[str, ...] | None = None  # None: the env file does not say

    @property
    def any_origin(self) -> bool:
        return "*" in self.origins

    @property
    def request_headers(self) -> list[str]:
        """Headers a browser preflight asks for: the app's bearer token and JSON body, plus the configured ones."""
        return sorted({"authorization", "content-type", *(h.lower() for h in self.headers)} - {"*"})


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def allowed_origin_value_ok(value: str | None, origin: str, expect: CorsExpectation) -> bool:
    return value == origin or (value == "*" and expect.any_origin and not expect.credentials)


def _origin_mismatch(where: str, value: str | None, origin: str) -> str:
    if value is None:
        return (f"{where} has no Access-Control-Allow-Origin, so the browser hides the answer from the app; add "
                f"{origin} to the API's CorsConfiguration AllowOrigins (CORS belongs on the API, not the backend).")
    if value.strip() == "*":
        return (f"{where} answers Access-Control-Allow-Origin '*' although the env file lists exact origins; "
                f"replace '*' in CorsConfiguration AllowOrigins with {origin} and the other app origins.")
    return (f"{where} answers Access-Control-Allow-Origin {value!r} instead of {origin!r}; configure CORS on the "
            "API with the app's origins and remove the backend's own CORS headers.")


def preflight_findings(status: int, headers: Mapping[str, str], *, where: str, origin: str, method: str,
                       expect: CorsExpectation) -> list[str]:
    """Problems with a preflight answer for an allowed origin (`where` names the request)."""
    h = _lower(headers)
    out: list[str] = []
    if status in (401, 403):
        return [f"{where} answered {status}: a route that matches OPTIONS ($default, ANY or an OPTIONS route) "
                "carries the JWT authorizer, so browsers can never send the real request; declare routes per "
                "method or add an OPTIONS /{proxy+} route without authorization."]
    if not 200 <= status < 300:
        return [f"{where} answered {status} instead of 2xx: browsers reject the preflight; configure "
                "CorsConfiguration on the API so API Gateway answers OPTIONS itself."]
    if not allowed_origin_value_ok(h.get(ACAO), origin, expect):
        out.append(_origin_mismatch(where, h.get(ACAO), origin))
    methods = {m.upper() for m in header_list(h.get(ACAM))}
    if method.upper() not in methods and "*" not in methods:
        out.append(f"{where} has Access-Control-Allow-Methods {h.get(ACAM)!r}, which lacks {method}; "
                   f"add {method} to CorsConfiguration AllowMethods.")
    allowed_headers = header_list(h.get(ACAH))
    missing = [x for x in expect.request_headers if x not in allowed_headers and "*" not in allowed_headers]
    if missing:
        out.append(f"{where} has Access-Control-Allow-Headers {h.get(ACAH)!r}, which lacks {missing}; "
                   "add them to CorsConfiguration AllowHeaders.")
    if expect.max_age > 0 and h.get(ACMA) != str(expect.max_age):
        out.append(f"{where} has Access-Control-Max-Age {h.get(ACMA)!r} instead of '{expect.max_age}'; "
                   f"set CorsConfiguration MaxAge to {expect.max_age}.")
    out.extend(_credentials_findings(h, where, expect))
    out.extend(_excess_findings(h, where, expect))
    return out


def _credentials_findings(h: Mapping[str, str], where: str, expect: CorsExpectation) -> list[str]:
    value = h.get(ACAC)
    if expect.credentials and value != "true":
        return [f"{where} has Access-Control-Allow-Credentials {value!r} instead of 'true'; "
                "set CorsConfiguration AllowCredentials to true or fix allow_credentials in the env file."]
    if not expect.credentials and value is not None and value.lower() == "true":
        return [f"{where} allows credentials although the env file says allow_credentials = false; "
                "set CorsConfiguration AllowCredentials to false."]
    return []


def _excess_findings(h: Mapping[str, str], where: str, expect: CorsExpectation) -> list[str]:
    """Grants wider than configured: extra methods or headers, or `*` where it is not configured."""
    out: list[str] = []
    configured_methods = {m.upper() for m in expect.methods}
    if "*" not in configured_methods:
        extra = sorted({m.upper() for m in header_list(h.get(ACAM))} - configured_methods)
        if extra:
            out.append(f"{where} allows methods {extra} that the env file does not list; "
                       "remove them from CorsConfiguration AllowMethods (or from the backend's own CORS headers).")
    configured_headers = {x.lower() for x in expect.headers}
    if "*" not in configured_headers:
        extra = sorted(header_list(h.get(ACAH)) - configured_headers)
        if extra:
            out.append(f"{where} allows request headers {extra} that the env file does not list; "
                       "remove them from CorsConfiguration AllowHeaders (or from the backend's own CORS headers).")
    if expect.expose_headers is not None:
        extra = sorted(header_list(h.get(ACEH)) - {x.lower() for x in expect.expose_headers})
        if extra:
            out.append(f"{where} exposes headers {extra} that the env file does not list; "
                       "remove them from CorsConfiguration ExposeHeaders (or from the backend's own CORS headers).")
    if h.get(ACMA) is not None and expect.max_age > 0 and h.get(ACMA) != str(expect.max_age):
        out.append(f"{where} has Access-Control-Max-Age {h.get(ACMA)!r} where {expect.max_age} is configured; "
                   "remove CORS headers from the backend so API Gateway's configuration applies.")
    return out


def actual_findings(headers: Mapping[str, str], *, where: str, origin: str, expect: CorsExpectation) -> list[str]:
    """Problems with the CORS headers of a real (non-preflight) response to an allowed origin."""
    h = _lower(headers)
    out: list[str] = []
    if not allowed_origin_value_ok(h.get(ACAO), origin, expect):
        out.append(_origin_mismatch(where, h.get(ACAO), origin))
    out.extend(_credentials_findings(h, where, expect))
    out.extend(_excess_findings(h, where, expect))
    return out


def hostile_findings(headers: Mapping[str, str], *, where: str, origin: str) -> list[str]:
    """A disallowed origin must get no Access-Control-Allow-Origin (nor credentials) at all."""
    h = _lower(headers)
    out: list[str] = []
    if h.get(ACAO) is not None:
        what = "reflects it" if h[ACAO].lower() == origin.lower() else f"answers {h[ACAO]!r}"
        out.append(f"{where} from the disallowed origin {origin!r} {what} in Access-Control-Allow-Origin; "
                   "list only the app's exact origins in CorsConfiguration AllowOrigins and remove CORS "
                   "headers from the backend.")
    if h.get(ACAC, "").lower() == "true":
        out.append(f"{where} from the disallowed origin {origin!r} has Access-Control-Allow-Credentials true; "
                   "remove credentials support for origins that are not allowed.")
    return out


def wildcard_findings(headers: Mapping[str, str], *, where: str, why: str) -> list[str]:
    """`*` is refused where credentials are allowed or the environment is production."""
    value = _lower(headers).get(ACAO)
    if value is not None and value.strip() == "*":
        return [f"{where} answers Access-Control-Allow-Origin '*' although {why}; list the app's exact origins "
                "in CorsConfiguration AllowOrigins instead of '*'."]
    return []
