"""Throwaway signed JWTs for tests that need a token-shaped string: made at run time with a random key,
so no signed token ever sits in the repository."""

from __future__ import annotations

import secrets
from typing import Any

import jwt


def throwaway_jwt(claims: dict[str, Any] | None = None, **headers: str) -> str:
    """A JWT signed (HS256) with a key nobody keeps: its shape is real, nothing can verify it."""
    return jwt.encode(claims or {"sub": "x"}, secrets.token_hex(32), algorithm="HS256", headers=headers or None)
