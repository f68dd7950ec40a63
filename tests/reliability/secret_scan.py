"""Search every file a run wrote for credentials: signed JWT-shaped strings and the run's own secrets.

Hand-written because the question is specific: any compact JWS/JWE with a non-empty signature
(an unsigned `alg: none` token is no credential), plus each real password and token the run used,
in the forms a log or report would carry it (as is, JSON-escaped, URL-encoded). Files are read as
bytes, so binary outputs (PNG charts, archives of text) are searched too. A hit names the file,
the kind and a fingerprint, never the secret itself: the scanner's own output must not leak.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

# header.payload.signature (JWS) or five segments (JWE); the last segment must be a real signature
# or tag: at least 16 base64url characters.
SIGNED_JWT_RE = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){1,3}\.[A-Za-z0-9_-]{16,}")
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Hit:
    path: Path
    kind: str  # "signed JWT" or "run secret"
    fingerprint: str

    def __str__(self) -> str:
        return f"{self.kind} sha256:{self.fingerprint} in {self.path}"


def fingerprint(value: bytes) -> str:
    return hashlib.sha256(value).hexdigest()[:8]


def forms(secret: str) -> set[bytes]:
    """The byte strings under which `secret` could appear in a text artifact."""
    variants = {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote_plus(secret)}
    return {v.encode() for v in variants if v}


def files_under(roots: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found += sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return found


def scan(roots: Iterable[Path], secrets: Iterable[str]) -> tuple[list[Hit], int]:
    """(hits, number of files searched) over every file under `roots`."""
    needles = {form: fingerprint(secret.encode()) for secret in secrets if len(secret) >= 8 for form in forms(secret)}
    hits: list[Hit] = []
    files = files_under(roots)
    for path in files:
        data = path.read_bytes()[:MAX_FILE_BYTES]
        hits += [Hit(path, "signed JWT", fingerprint(m.group(0))) for m in SIGNED_JWT_RE.finditer(data)]
        hits += [Hit(path, "run secret", fp) for needle, fp in needles.items() if needle in data]
    return hits, len(files)
