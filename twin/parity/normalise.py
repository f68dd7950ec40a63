"""Turns one probe's raw answer into values that compare across accounts, regions, runs and days.

Hand-written because the volatile values are this stack's: the deployment's own ids (pool, app
client, API, region, origin) become named placeholders taken from the env file, so an answer
recorded on AWS and one replayed on the twin say `{client_id}` alike; values that change on every
call (tokens, request ids, dates, epoch claims, key ids and moduli, UUIDs) become kind
placeholders. Any token or password left over after that is scrubbed by `fixtures.redaction`, so
a snapshot never holds a credential even when a probe's answer echoes one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from fixtures.config import EnvConfig
from fixtures.oidc import discovery_base
from fixtures.redaction import redact

UUID_RE = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
HTTP_DATE_RE = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){1,4}")
REDACTED_RE = re.compile(r"<(?:jwt|secret) sha256:[0-9a-f]{8}>")
# Members whose values are volatile by name, wherever they appear in an answer.
EPOCH_KEYS = frozenset({"iat", "exp", "auth_time", "nbf"})
KEY_ID_KEYS = frozenset({"kid"})
MODULUS_KEYS = frozenset({"n"})
VOLATILE_HEADERS = {
    "date": "{http-date}",
    "apigw-requestid": "{request-id}",
    "x-amzn-requestid": "{request-id}",
    "x-amz-apigw-id": "{request-id}",
    "x-amzn-trace-id": "{trace-id}",
}


class Placeholders:
    """Literal values of one deployment (and of the probe's test user) -> `{name}`, longest first."""

    def __init__(self, literals: Iterable[tuple[str, str | None]]) -> None:
        # Short literals ("1", "us") would rewrite unrelated text; the shortest real id is a region (9 chars).
        self._pairs = sorted(
            ((v, f"{{{k}}}") for k, v in literals if v and len(v) >= 6), key=lambda pair: len(pair[0]), reverse=True
        )

    @classmethod
    def of(cls, config: EnvConfig, **extra: str) -> Placeholders:
        origins = [o for o in config.api.allowed_origins if "*" not in o]
        return cls(
            [
                ("issuer", config.issuer),
                # Where the issuer's documents are served: the issuer itself on AWS, the control plane on a twin
                # (fixtures.oidc), so a twin's jwks_uri compares equal to AWS's when it points at its own copy.
                ("issuer", discovery_base(config)),
                ("base_url", config.api.base_url.rstrip("/")),
                ("user_pool_id", config.cognito.user_pool_id),
                ("client_id", config.cognito.client_id),
                ("api_id", config.api.api_id),
                ("region", config.aws.region),
                *((f"allowed_origin_{i}" if i else "allowed_origin", o) for i, o in enumerate(origins)),
                ("endpoint", (config.aws.endpoint_url or "").rstrip("/")),
                *extra.items(),
            ]
        )

    def text(self, value: str) -> str:
        for literal, name in self._pairs:
            value = value.replace(literal, name)
        value = JWT_RE.sub("{jwt}", value)
        value = UUID_RE.sub("{uuid}", value)
        return REDACTED_RE.sub("{secret}", redact(value))

    def value(self, value: Any, key: str = "") -> Any:
        """The normalised form of a JSON-like value; `key` is the member name it sits under."""
        if isinstance(value, dict):
            return {k: self.value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, key) for v in value]
        if key in EPOCH_KEYS and isinstance(value, int | float) and not isinstance(value, bool):
            return "{epoch}"
        if isinstance(value, str):
            if key in KEY_ID_KEYS:
                return "{kid}"
            if key in MODULUS_KEYS:
                return "{modulus}"
            return self.text(value)
        return value

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Response headers by lower-case name (sorted), volatile ones as placeholders."""
        out: dict[str, str] = {}
        for name, value in sorted((k.lower(), v) for k, v in headers.items()):
            if name in VOLATILE_HEADERS:
                out[name] = VOLATILE_HEADERS[name]
            elif HTTP_DATE_RE.match(value):  # last-modified, expires
                out[name] = "{http-date}"
            else:
                out[name] = self.text(value)
        return out
