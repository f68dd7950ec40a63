"""CORS of an HTTP API from its CorsConfiguration: origin matching, preflight answers, response headers.

Hand-written because API Gateway's rules are narrow and specific (no CORS library matches them): allowed
origins are exact strings, `*`, or a scheme prefix such as `https://*`; headers are added only when the request
has an allowed `Origin`; CORS headers returned by the integration are always dropped and replaced.
The caller passes no origin for an OPTIONS without `Access-Control-Request-Method`: AWS counts only an OPTIONS
with both headers as a preflight. Where AWS is not documented (status 204 for preflight, nothing for a
disallowed origin) the choices, and what public captures settled, are listed in twin/gateway/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Cors:
    """An API's CorsConfiguration."""

    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int | None
    allow_credentials: bool

    @classmethod
    def from_api(cls, raw: dict[str, Any] | None) -> Cors | None:
        """None when the API has no CorsConfiguration (no CORS handling at all)."""
        if not raw:
            return None
        return cls(
            allow_origins=tuple(raw.get("AllowOrigins") or ()),
            allow_methods=tuple(raw.get("AllowMethods") or ()),
            allow_headers=tuple(raw.get("AllowHeaders") or ()),
            expose_headers=tuple(raw.get("ExposeHeaders") or ()),
            max_age=(int(raw["MaxAge"]) if raw.get("MaxAge") is not None else None),
            allow_credentials=bool(raw.get("AllowCredentials")),
        )

    def allow_origin_value(self, origin: str | None) -> str | None:
        """The Access-Control-Allow-Origin value for `origin`, or None when it is absent or not allowed."""
        if not origin:
            return None
        for pattern in self.allow_origins:
            if pattern == "*":
                return "*"
            if pattern.endswith("://*") and origin.startswith(pattern[:-1]) and len(origin) > len(pattern) - 1:
                return origin
            if pattern == origin:
                return origin
        return None

    def preflight_headers(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        """Headers of the gateway's own answer to a preflight (empty for a disallowed origin)."""
        allowed = self.allow_origin_value(origin)
        if allowed is None:
            return []
        headers = [(b"access-control-allow-origin", allowed.encode())]
        if self.allow_methods:
            headers.append((b"access-control-allow-methods", ",".join(self.allow_methods).encode()))
        if self.allow_headers:
            headers.append((b"access-control-allow-headers", ",".join(self.allow_headers).encode()))
        if self.max_age is not None and self.max_age >= 0:
            headers.append((b"access-control-max-age", str(self.max_age).encode()))
        if self.allow_credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        return headers

    def response_headers(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        """Headers added to every other response for `origin` (empty for a disallowed origin)."""
        allowed = self.allow_origin_value(origin)
        if allowed is None:
            return []
        headers = [(b"access-control-allow-origin", allowed.encode())]
        if allowed != "*":  # an echoed origin varies with the request; AWS's answer had it, in this place
            headers.append((b"vary", b"origin"))
        if self.allow_credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        if self.expose_headers:
            headers.append((b"access-control-expose-headers", ",".join(self.expose_headers).encode()))
        return headers


def without_cors(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The integration's headers minus any Access-Control-* (API Gateway ignores them when CORS is configured)."""
    return [(name, value) for name, value in headers if not name.startswith(b"access-control-")]
