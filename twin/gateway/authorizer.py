"""The HTTP API JWT authorizer: token from the identity source, RSA signature, claims, route scopes.

Hand-written rather than PyJWT's decode because the order of checks, the accepted algorithms (RSA only), the
aud-else-client_id rule, the zero default leeway and the 401/403 answers with their `www-authenticate` forms
are API Gateway's, documented in /work/shared/reference/aws-semantics.md section 1; signatures are verified
with `cryptography`. A verified (key set, token) pair is cached, but time claims are checked on every request.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass
from typing import Any, TypeGuard

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from twin.gateway.jwks import KeyStore

_HASHES: dict[str, tuple[type[hashes.HashAlgorithm], bool]] = {
    "RS256": (hashes.SHA256, False),
    "RS384": (hashes.SHA384, False),
    "RS512": (hashes.SHA512, False),
    "PS256": (hashes.SHA256, True),
    "PS384": (hashes.SHA384, True),
    "PS512": (hashes.SHA512, True),
}
CACHE_SIZE = 4096


@dataclass(frozen=True)
class AuthorizerConfig:
    """An authorizer as get_authorizer returns it."""

    authorizer_id: str
    authorizer_type: str
    identity_source: tuple[str, ...]
    issuer: str | None
    audience: tuple[str, ...]

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> AuthorizerConfig:
        jwt_cfg = raw.get("JwtConfiguration") or {}
        return cls(
            authorizer_id=str(raw.get("AuthorizerId") or ""),
            authorizer_type=str(raw.get("AuthorizerType") or ""),
            identity_source=tuple(raw.get("IdentitySource") or ()),
            issuer=jwt_cfg.get("Issuer"),
            audience=tuple(jwt_cfg.get("Audience") or ()),
        )


@dataclass(frozen=True)
class AuthOutcome:
    """status 0: allowed, with claims and scopes (None on an unscoped route); otherwise the answer to send."""

    status: int
    claims: dict[str, Any] | None = None
    scopes: list[str] | None = None
    www_authenticate: str | None = None


class _Reject(Exception):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


def _b64json(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def token_scopes(claims: dict[str, Any]) -> list[str]:
    """Scopes from `scope` (space-separated) and `scp` (list or space-separated), in order, without repeats."""
    found: list[str] = []
    for name in ("scope", "scp"):
        value = claims.get(name)
        items = value.split() if isinstance(value, str) else value if isinstance(value, list) else []
        found.extend(str(s) for s in items if str(s) not in found)
    return found


class JwtValidator:
    """Runs JWT authorizers against requests."""

    def __init__(self, keys: KeyStore, leeway_s: float = 0.0) -> None:
        self._keys = keys
        self._leeway = leeway_s
        self._verified: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}  # (issuer, token) -> (keys, claims)

    async def authorize(
        self,
        cfg: AuthorizerConfig | None,
        route_scopes: tuple[str, ...],
        headers: dict[str, str],
        query: dict[str, str],
    ) -> AuthOutcome:
        """Decide on one request. `headers` have lower-case names; `query` holds decoded parameters."""
        if cfg is None or cfg.authorizer_type != "JWT" or not cfg.issuer or len(cfg.identity_source) != 1:
            return AuthOutcome(500)  # a route whose authorizer cannot be resolved: see README (deny, 500)
        source = cfg.identity_source[0]
        if source.lower().startswith("$request.header."):
            raw = headers.get(source[len("$request.header.") :].lower())
        elif source.startswith("$request.querystring."):
            raw = query.get(source[len("$request.querystring.") :])
        else:
            return AuthOutcome(500)
        token = raw[len("Bearer ") :] if raw and raw.startswith("Bearer ") else raw
        if not token:
            return AuthOutcome(401, www_authenticate="Bearer")
        scope_text = " ".join(route_scopes)
        try:
            claims = await self._verify(cfg, token)
        except _Reject as rej:
            return AuthOutcome(
                401,
                www_authenticate=(
                    f'Bearer scope="{scope_text}" error="invalid_token" error_description="{rej.description}"'
                ),
            )
        if not route_scopes:
            return AuthOutcome(0, claims=claims, scopes=None)
        scopes = token_scopes(claims)
        if not set(scopes) & set(route_scopes):
            return AuthOutcome(
                403,
                www_authenticate=(
                    f'Bearer scope="{scope_text}" error="insufficient_scope" '
                    'error_description="the token does not have the required scopes"'
                ),
            )
        return AuthOutcome(0, claims=claims, scopes=scopes)

    async def _verify(self, cfg: AuthorizerConfig, token: str) -> dict[str, Any]:
        assert cfg.issuer is not None
        # Fast path: this exact token was verified against the issuer's current key set; claims still checked.
        hit = self._verified.get((cfg.issuer, token))
        current = self._keys.cached(cfg.issuer)
        if hit is not None and current is not None and hit[0] == current.version:
            self._check_claims(cfg, hit[1])
            return hit[1]
        parts = token.split(".")
        if len(parts) != 3:
            raise _Reject("token contains an invalid number of segments")
        try:
            header = _b64json(parts[0])
            claims = _b64json(parts[1])
            signature = base64.urlsafe_b64decode(parts[2] + "=" * (-len(parts[2]) % 4))
        except (ValueError, binascii.Error) as exc:
            raise _Reject("token is malformed: could not base64 decode or parse JSON") from exc
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise _Reject("token is malformed: header and payload must be JSON objects")
        alg = header.get("alg")
        if alg not in _HASHES:
            raise _Reject(f"signing method {alg} is invalid")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise _Reject("token has no kid header")
        keyset, entry = await self._keys.key_for(cfg.issuer, kid)
        if keyset is None:
            raise _Reject("unable to fetch the signing keys of the issuer")
        if entry is None:
            raise _Reject(f"no key in the issuer's jwks_uri matches kid {kid}")
        key, key_alg = entry
        if key_alg is not None and key_alg != alg:
            raise _Reject(f"signing method {alg} does not match the key's algorithm")
        hash_cls, pss = _HASHES[alg]
        digest = hash_cls()
        pad = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size) if pss else padding.PKCS1v15()
        try:
            key.verify(signature, f"{parts[0]}.{parts[1]}".encode(), pad, digest)
        except InvalidSignature as exc:
            raise _Reject("crypto/rsa: verification error") from exc
        self._check_claims(cfg, claims)
        if len(self._verified) >= CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        self._verified[(cfg.issuer, token)] = (keyset.version, claims)
        return claims

    def _check_claims(self, cfg: AuthorizerConfig, claims: dict[str, Any]) -> None:
        if claims.get("iss") != cfg.issuer:
            raise _Reject("the token does not have a valid issuer")
        if "aud" in claims:
            aud = claims["aud"]
            audiences = aud if isinstance(aud, list) else [aud]
            if not any(isinstance(a, str) and a in cfg.audience for a in audiences):
                raise _Reject("the token does not have a valid audience")
        elif not (isinstance(claims.get("client_id"), str) and claims["client_id"] in cfg.audience):
            raise _Reject("the token does not have a valid audience")
        now = time.time()
        exp = claims.get("exp")
        if not _is_number(exp):
            raise _Reject("token has no valid exp claim")
        if now >= exp + self._leeway:
            raise _Reject("the token has expired")  # AWS's text, captured (twin/gateway/README.md)
        nbf = claims.get("nbf")
        if nbf is not None and (not _is_number(nbf) or now < nbf - self._leeway):
            raise _Reject("token is not valid yet")
        iat = claims.get("iat")
        if iat is not None and (not _is_number(iat) or now < iat - self._leeway):
            raise _Reject("token used before issued")


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
