"""A local web server that plays the SPA's origin (e.g. https://app.learninghub.test) for Chromium.

Hand-written because the page needs a real origin with a real TLS handshake, and nothing installed
serves one: http.server does the HTTP, cryptography makes a throwaway self-signed certificate for
the origin's host names, and Chromium reaches it through --host-resolver-rules. Binds 127.0.0.1 on a
free port; every path answers the same empty page (the test drives it with page.evaluate).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import http.server
import ssl
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PAGE = b"<!doctype html><meta charset=utf-8><title>e2e CORS probe</title><p>e2e CORS probe page</p>"


class _PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(PAGE)))
        self.send_header("cache-control", "no-store")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the page server's access log would only add noise to test output."""


@dataclass(frozen=True)
class OriginServer:
    port: int
    # base64 SHA-256 of the certificate's public key, for Chromium's --ignore-certificate-errors-spki-list
    spki_sha256: str | None


def _self_signed(hosts: list[str], folder: Path) -> tuple[Path, Path, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "origin.crt", folder / "origin.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert_path, key_path, base64.b64encode(hashlib.sha256(spki).digest()).decode()


@contextmanager
def serve_origins(hosts: list[str], *, tls: bool) -> Iterator[OriginServer]:
    """Serve the probe page on 127.0.0.1:<free port>, over HTTPS for `hosts` when `tls`."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    spki = None
    with tempfile.TemporaryDirectory(prefix="e2e-origin-") as folder:
        if tls:
            cert, key, spki = _self_signed(hosts, Path(folder))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, name="e2e-origin", daemon=True)
        thread.start()
        try:
            yield OriginServer(port=server.server_address[1], spki_sha256=spki)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
