"""The browser check's helpers: the local origin server (real TLS on loopback) and the resolver rules."""

from __future__ import annotations

import base64
import hashlib
import http.client
import socket
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.e2e.browser.chromium import is_ip_literal, is_loopback, resolver_rules
from tests.e2e.browser.origin_server import PAGE, serve_origins


def test_origin_server_speaks_tls_for_the_origin_host_with_the_announced_key() -> None:
    with serve_origins(["app.learninghub.test", "attacker.example"], tls=True) as server:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # self-signed on purpose; the key is checked below instead
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="app.learninghub.test") as tls,
        ):
            der = tls.getpeercert(binary_form=True)
            tls.sendall(b"GET / HTTP/1.1\r\nHost: app.learninghub.test\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := tls.recv(65536):
                answer += chunk
        assert der is not None  # a TLS server always sends its certificate
        cert = x509.load_der_x509_certificate(der)
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName
        )
        assert names == ["app.learninghub.test", "attacker.example"]
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert server.spki_sha256 == base64.b64encode(hashlib.sha256(spki).digest()).decode()
        assert answer.startswith(b"HTTP/1.0 200") or answer.startswith(b"HTTP/1.1 200")
        assert answer.endswith(PAGE)


def test_origin_server_plain_http_and_stops() -> None:
    with serve_origins(["app.local.test"], tls=False) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", "/anything")
        response = conn.getresponse()
        assert (response.status, response.read()) == (200, PAGE)
        conn.close()
        assert server.spki_sha256 is None
        port = server.port
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            reachable = True
    except OSError:
        reachable = False
    assert not reachable


def test_resolver_rules() -> None:
    rules = resolver_rules(["app.learninghub.test", "evil.test"], 4443, loopback_only=True)
    assert rules == (
        "MAP app.learninghub.test 127.0.0.1:4443, MAP evil.test 127.0.0.1:4443, MAP * ~NOTFOUND, "
        "EXCLUDE localhost, EXCLUDE 127.0.0.1"
    )
    assert resolver_rules(["a.test"], 1, loopback_only=False) == "MAP a.test 127.0.0.1:1"


def test_host_classification() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("abc.execute-api.us-east-1.amazonaws.com")
    assert is_ip_literal("10.0.0.1") and is_ip_literal("[::1]") and not is_ip_literal("app.learninghub.test")
