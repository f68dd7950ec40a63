"""A minimal raw TDS client for the robustness, cancel and fuzz tests: builds PRELOGIN, LOGIN7,
SQL batch, RPC and ATTENTION packets by hand so tests can also send what no driver would."""

from __future__ import annotations

import socket
import struct
import time

EOM = 0x01
PRELOGIN, LOGIN7, SQL_BATCH, RPC, ATTENTION, REPLY = 18, 16, 1, 3, 6, 4
ALL_HEADERS = struct.pack("<IIHQI", 22, 18, 2, 0, 1)  # one transaction-descriptor header, as drivers send
COLLATION = bytes.fromhex("0904D00034")


def packet(ptype: int, payload: bytes, status: int = EOM, length: int | None = None) -> bytes:
    return struct.pack(">BBHHBB", ptype, status, len(payload) + 8 if length is None else length, 0, 1, 0) + payload


def prelogin_payload() -> bytes:
    version = struct.pack(">BBHH", 11, 0, 0, 0)
    opts = [(0, version), (1, b"\x02"), (2, b"\x00"), (3, b"\x00\x00\x00\x00"), (4, b"\x00")]
    head_len = 5 * len(opts) + 1
    head, data = b"", b""
    for token, value in opts:
        head += struct.pack(">BHH", token, head_len + len(data), len(value))
        data += value
    return head + b"\xff" + data


def _crypt(password: str) -> bytes:
    return bytes(((b << 4) & 0xF0 | (b >> 4)) ^ 0xA5 for b in password.encode("utf-16-le"))


def login7_payload(
    user: str, password: str, database: str = "LearningHub", tds_version: int = 0x74000004, packet_size: int = 4096
) -> bytes:
    fields = [
        ("host", "fuzz".encode("utf-16-le")),
        ("user", user.encode("utf-16-le")),
        ("password", _crypt(password)),
        ("app", "rawtds".encode("utf-16-le")),
        ("server", "127.0.0.1".encode("utf-16-le")),
        ("ext", b""),
        ("lib", "rawtds".encode("utf-16-le")),
        ("lang", b""),
        ("db", database.encode("utf-16-le")),
    ]
    offset = 94
    index = b""
    data = b""
    for _name, value in fields:
        index += struct.pack("<HH", offset + len(data), len(value) // (1 if _name == "ext" else 2))
        data += value
    index += b"\x00" * 6  # ClientID
    index += struct.pack("<HH", offset + len(data), 0)  # SSPI
    index += struct.pack("<HH", offset + len(data), 0)  # AtchDBFile
    index += struct.pack("<HH", offset + len(data), 0)  # ChangePassword
    index += struct.pack("<I", 0)  # cbSSPILong
    fixed = struct.pack(
        "<IIIIIIBBBBiI", 94 + len(data), tds_version, packet_size, 7, 1234, 0, 0xE0, 0x03, 0x00, 0x00, 0, 0x409
    )
    assert len(fixed) + len(index) == 94
    return fixed + index + data


def batch_payload(sql: str) -> bytes:
    return ALL_HEADERS + sql.encode("utf-16-le")


def nvarchar_max(text: str) -> bytes:
    """TYPE_INFO and value of an NVARCHAR(MAX) PLP parameter (how python-tds sends strings)."""
    data = text.encode("utf-16-le")
    return b"\xe7\xff\xff" + COLLATION + struct.pack("<QI", len(data), len(data)) + data + b"\x00\x00\x00\x00"


def rpc_param(name: str, type_and_value: bytes, *, by_ref: bool = False) -> bytes:
    """One RPC parameter: B_VARCHAR name, status flags, then TYPE_INFO and value as given."""
    return bytes((len(name),)) + name.encode("utf-16-le") + bytes((1 if by_ref else 0,)) + type_and_value


def executesql_payload(stmt: str, decl: str, params: list[bytes]) -> bytes:
    """sp_executesql (by procedure id 10) with @stmt, @params and the given parameters."""
    out = ALL_HEADERS + struct.pack("<HHH", 0xFFFF, 10, 0)
    out += rpc_param("", nvarchar_max(stmt)) + rpc_param("", nvarchar_max(decl))
    return out + b"".join(params)


class RawClient:
    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        return buf

    def read_message(self) -> bytes:
        out = b""
        while True:
            header = self.read_exact(8)
            _t, status, length = struct.unpack(">BBH", header[:4])
            out += self.read_exact(length - 8)
            if status & EOM:
                return out

    def login(self, user: str, password: str) -> bytes:
        self.send(packet(PRELOGIN, prelogin_payload()))
        self.read_message()
        self.send(packet(LOGIN7, login7_payload(user, password)))
        return self.read_message()

    def closed_by_server(self, within: float) -> bool:
        """True if the server closes the connection (EOF or reset) within `within` seconds."""
        deadline = time.monotonic() + within
        self.sock.settimeout(0.2)
        while time.monotonic() < deadline:
            try:
                if self.sock.recv(65536) == b"":
                    return True
            except TimeoutError:
                continue
            except OSError:
                return True
        return False


def error_tokens(message: bytes) -> list[tuple[int, int, int, str]]:
    """(number, state, class, text) of every ERROR token in a reply. Scans for 0xAA whose length and
    message fields are consistent, which is enough for the short replies tests inspect."""
    found = []
    for pos in range(len(message) - 12):
        if message[pos] != 0xAA:
            continue
        (length,) = struct.unpack_from("<H", message, pos + 1)
        body = message[pos + 3 : pos + 3 + length]
        if len(body) != length or length < 14:
            continue
        number, state, cls, nchars = struct.unpack_from("<iBBH", body)
        if 8 + nchars * 2 > length:
            continue
        found.append((number, state, cls, body[8 : 8 + nchars * 2].decode("utf-16-le", "replace")))
    return found


def last_done_status(message: bytes) -> int:
    """Status of the DONE token that ends a reply (the last 13 bytes of a TDS 7.2+ reply)."""
    assert message[-13] in (0xFD, 0xFE, 0xFF), message[-13:]
    return struct.unpack_from("<H", message, len(message) - 12)[0]
