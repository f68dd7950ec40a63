"""Per-user-pool RSA signing keys (one for ID tokens, one for access tokens) and their JWKS.

Hand-written: moto signs every token of every pool with one key whose private half ships in the
moto wheel (kid "dummy"), so any moto token can be forged and a token of pool B verifies against
pool A. AWS signs ID and access tokens with two different keys per pool. No library keeps keys per
moto object, so this module hangs a lazily generated `PoolKeys` on each `CognitoIdpUserPool`
(a moto reset drops the pool and with it its keys). The dummy key is never used or served.
"""

from __future__ import annotations

import base64
import os
import threading
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.cognitoidp.models import CognitoIdpUserPool

from ._guard import require

require("keys", CognitoIdpUserPool, [("__init__", ("self", "account_id", "region", "name", "extended_config"))])

_ATTR = "_twin_keys"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey

    def jwk(self) -> dict[str, str]:
        numbers = self.private.public_key().public_numbers()
        return {
            "alg": "RS256",
            "e": _b64uint(numbers.e),
            "kid": self.kid,
            "kty": "RSA",
            "n": _b64uint(numbers.n),
            "use": "sig",
        }


@dataclass(frozen=True)
class PoolKeys:
    id: SigningKey
    access: SigningKey

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [self.id.jwk(), self.access.jwk()]}

    def for_use(self, token_use: str) -> SigningKey:
        return self.access if token_use == "access" else self.id

    def by_kid(self, kid: str) -> SigningKey | None:
        return next((k for k in (self.id, self.access) if k.kid == kid), None)


def pool_keys(pool: CognitoIdpUserPool) -> PoolKeys:
    """The pool's keys, generated on first use (RSA-2048 costs ~50 ms, so not at pool creation)."""
    keys = getattr(pool, _ATTR, None)
    if keys is None:
        with _LOCK:
            keys = getattr(pool, _ATTR, None)
            if keys is None:
                keys = PoolKeys(id=_new_key(), access=_new_key())
                setattr(pool, _ATTR, keys)
    return keys


def sign(pool: CognitoIdpUserPool, token_use: str, claims: dict[str, Any]) -> str:
    key = pool_keys(pool).for_use(token_use)
    # Cognito's header is {"kid", "alg"} only; an empty typ makes PyJWT leave it out.
    return jwt.encode(claims, key.private, algorithm="RS256", headers={"kid": key.kid, "typ": ""})


def verify(pool: CognitoIdpUserPool, token: str, **options: Any) -> dict[str, Any]:
    """Verify a token against this pool's keys only (raises jwt.InvalidTokenError)."""
    kid = jwt.get_unverified_header(token).get("kid", "")
    key = pool_keys(pool).by_kid(kid)
    if key is None:
        raise jwt.InvalidSignatureError("token not signed by a key of this pool")
    return jwt.decode(token, key.private.public_key(), algorithms=["RS256"], **options)


def _new_key() -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # AWS kids are base64 of a key hash; a random 32-byte value rendered the same way looks alike.
    kid = base64.b64encode(os.urandom(32)).decode()
    return SigningKey(kid=kid, private=private)


def _b64uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
