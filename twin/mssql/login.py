"""PRELOGIN and LOGIN7: parsing what the client sends and building the PRELOGIN answer.

Hand-written (MS-TDS 2.2.6.4 and 2.2.6.5): only clients implement these messages in Python. The
server always answers ENCRYPT_NOT_SUP: FreeTDS sends ENCRYPT_OFF and would start TLS for the login
packet if we answered OFF; Microsoft's drivers need Encrypt=no/optional (documented in README).
Every offset the client gives is checked against the message size; a bad one is a ProtocolError.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from twin.mssql.packets import ProtocolError, Reader

PL_VERSION, PL_ENCRYPTION, PL_INSTOPT, PL_THREADID, PL_MARS, PL_TRACEID, PL_FEDAUTH = 0, 1, 2, 3, 4, 5, 6
PL_TERMINATOR = 0xFF
ENCRYPT_NOT_SUP = 0x02
FEATURE_UTF8 = 0x0A
FEATURE_TERMINATOR = 0xFF
SERVER_VERSION = (16, 0, 1000, 6)
TDS74 = 0x74000004


def parse_prelogin(payload: bytes) -> dict[int, bytes]:
    """Option token -> option bytes."""
    options: dict[int, bytes] = {}
    r = Reader(payload)
    for _ in range(64):
        token = r.u8()
        if token == PL_TERMINATOR:
            return options
        offset, length = struct.unpack(">HH", r.take(4))
        if offset + length > len(payload):
            raise ProtocolError("PRELOGIN option points outside the message")
        options[token] = payload[offset : offset + length]
    raise ProtocolError("PRELOGIN has too many options")


def prelogin_answer(client: dict[int, bytes]) -> bytes:
    major, minor, build, sub = SERVER_VERSION
    opts: list[tuple[int, bytes]] = [
        (PL_VERSION, struct.pack(">BBHH", major, minor, build, sub)),
        (PL_ENCRYPTION, bytes((ENCRYPT_NOT_SUP,))),
        (PL_INSTOPT, b"\x00"),
        (PL_THREADID, b""),
        (PL_MARS, b"\x00"),
    ]
    if PL_FEDAUTH in client:
        opts.append((PL_FEDAUTH, b"\x00"))
    header_len = 5 * len(opts) + 1
    head, data = bytearray(), bytearray()
    for token, value in opts:
        head += struct.pack(">BHH", token, header_len + len(data), len(value))
        data += value
    return bytes(head) + bytes((PL_TERMINATOR,)) + bytes(data)


@dataclass
class Login7:
    tds_version: int
    packet_size: int
    username: str
    password: str
    database: str
    app_name: str
    hostname: str
    integrated_security: bool
    features: dict[int, bytes] = field(default_factory=dict)


def decode_password(data: bytes) -> str:
    """Undo tds7_crypt_pass: XOR 0xA5, then swap nibbles, per byte of the UTF-16LE password."""
    out = bytearray()
    for b in data:
        b ^= 0xA5
        out.append(((b << 4) & 0xF0) | (b >> 4))
    return out.decode("utf-16-le", "replace")


_FIXED = struct.Struct("<IIIIIIBBBBiI")


def parse_login7(payload: bytes) -> Login7:
    if len(payload) < 94:
        raise ProtocolError("LOGIN7 shorter than its fixed part")
    (length, tds_version, packet_size, _prog, _pid, _conn, _flags1, flags2, _type, flags3, _tz, _lcid) = (
        _FIXED.unpack_from(payload, 0)
    )
    if length > len(payload):
        raise ProtocolError("LOGIN7 length larger than the message")

    def field_at(index_offset: int, *, raw: bool = False) -> bytes:
        off, cch = struct.unpack_from("<HH", payload, index_offset)
        size = cch if raw else cch * 2
        if off + size > len(payload):
            raise ProtocolError("LOGIN7 field points outside the message")
        return payload[off : off + size]

    def text_at(index_offset: int) -> str:
        return field_at(index_offset).decode("utf-16-le", "replace")

    features: dict[int, bytes] = {}
    if flags3 & 0x10:  # fExtension: ibExtension points to a DWORD offset of the FeatureExt block
        ext = field_at(56, raw=True)
        if len(ext) >= 4:
            feat_off = struct.unpack_from("<I", ext)[0]
            if feat_off >= len(payload):
                raise ProtocolError("FeatureExt offset outside the message")
            r = Reader(payload, feat_off)
            for _ in range(64):
                fid = r.u8()
                if fid == FEATURE_TERMINATOR:
                    break
                features[fid] = r.take(r.u32())
    return Login7(
        tds_version=tds_version,
        packet_size=packet_size,
        hostname=text_at(36),
        username=text_at(40),
        password=decode_password(field_at(44)),
        app_name=text_at(48),
        database=text_at(68),
        integrated_security=bool(flags2 & 0x80),
        features=features,
    )
