"""Builds the Lambda deployment zip from twin/backend/ (root: app.py plus its package).

Hand-written because the zip must be byte-for-byte reproducible (sorted entries, fixed
timestamps and modes): equal code gives an equal CodeSha256, which is what lets a second
provisioning run see that nothing changed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

BACKEND_DIR = Path(__file__).resolve().parent.parent / "backend"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold


def build_backend_zip(source: Path = BACKEND_DIR) -> bytes:
    files = sorted(p for p in source.rglob("*.py") if "__pycache__" not in p.parts)
    if not (source / "app.py").is_file():
        raise FileNotFoundError(f"{source}/app.py is missing: the Lambda handler lives there")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def code_sha256(zip_bytes: bytes) -> str:
    """Lambda's CodeSha256: base64 of the SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode()
