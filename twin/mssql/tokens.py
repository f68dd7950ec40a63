"""Writers for the TDS 7.2+ response tokens a SQL Server sends (MS-TDS 2.2.7).

Hand-written: these are fixed byte layouts that only a server needs; no Python package emits them.
Lengths are computed from the encoded parts so that clients that trust them (pytds derives the
LOGINACK program-name length from the token length) read exactly what we wrote.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from twin.mssql.types import COLLATION, SqlType, type_info

ENVCHANGE, LOGINACK, ERROR, INFO, DONE, DONEPROC, DONEINPROC = 0xE3, 0xAD, 0xAA, 0xAB, 0xFD, 0xFE, 0xFF
COLMETADATA, ROW, RETURNSTATUS, RETURNVALUE, FEATUREEXTACK = 0x81, 0xD1, 0x79, 0xAC, 0xAE

DONE_FINAL, DONE_MORE, DONE_ERROR, DONE_INXACT, DONE_COUNT, DONE_ATTN = 0, 0x1, 0x2, 0x4, 0x10, 0x20
CMD_SELECT, CMD_INSERT, CMD_DELETE, CMD_UPDATE = 0xC1, 0xC3, 0xC4, 0xC5

ENV_DATABASE, ENV_LANGUAGE, ENV_PACKETSIZE, ENV_COLLATION = 1, 2, 4, 7
ENV_BEGIN_TRAN, ENV_COMMIT_TRAN, ENV_ROLLBACK_TRAN, ENV_RESET_ACK = 8, 9, 10, 18

SERVER_NAME = "learninghub-sqlserver"
_DONE = struct.Struct("<BHHQ")


def _b_varchar(s: str) -> bytes:
    data = s.encode("utf-16-le")
    return bytes((len(data) // 2,)) + data


def _us_varchar(s: str) -> bytes:
    data = s.encode("utf-16-le")
    return struct.pack("<H", len(data) // 2) + data


def env_string(kind: int, new: str, old: str) -> bytes:
    body = bytes((kind,)) + _b_varchar(new) + _b_varchar(old)
    return struct.pack("<BH", ENVCHANGE, len(body)) + body


def env_bytes(kind: int, new: bytes, old: bytes) -> bytes:
    body = bytes((kind, len(new))) + new + bytes((len(old),)) + old
    return struct.pack("<BH", ENVCHANGE, len(body)) + body


def env_collation() -> bytes:
    return env_bytes(ENV_COLLATION, COLLATION, b"")


def loginack(
    tds_version: int, prog_name: str = "Microsoft SQL Server", version: tuple[int, int, int] = (16, 0, 1000)
) -> bytes:
    body = (
        b"\x01"
        + struct.pack(">I", tds_version)
        + _b_varchar(prog_name)
        + struct.pack(">BBH", version[0], version[1], version[2])
    )
    return struct.pack("<BH", LOGINACK, len(body)) + body


def message(
    number: int, state: int, cls: int, text: str, *, info: bool = False, line: int = 1, proc: str = ""
) -> bytes:
    body = (
        struct.pack("<iBB", number, state, cls)
        + _us_varchar(text[:2000])
        + _b_varchar(SERVER_NAME)
        + _b_varchar(proc)
        + struct.pack("<i", line)
    )
    return struct.pack("<BH", INFO if info else ERROR, len(body)) + body


def done(status: int, curcmd: int = 0, rowcount: int = 0, token: int = DONE) -> bytes:
    return _DONE.pack(token, status, curcmd, rowcount)


def feature_ext_ack(features: Sequence[tuple[int, bytes]]) -> bytes:
    out = bytearray((FEATUREEXTACK,))
    for fid, data in features:
        out += struct.pack("<BI", fid, len(data)) + data
    out.append(0xFF)
    return bytes(out)


def return_status(value: int) -> bytes:
    return struct.pack("<Bi", RETURNSTATUS, value)


def return_value(ordinal: int, name: str, t: SqlType, encoded_value: bytes) -> bytes:
    return (
        struct.pack("<BH", RETURNVALUE, ordinal)
        + _b_varchar(name)
        + b"\x01"
        + struct.pack("<IH", 0, 0x01)
        + type_info(t)
        + encoded_value
    )


def colmetadata(columns: Sequence[tuple[str, SqlType, bool]], tds73: bool = True) -> bytes:
    """COLMETADATA for (name, type, nullable) columns."""
    out = bytearray(struct.pack("<BH", COLMETADATA, len(columns)))
    for name, t, nullable in columns:
        # Flags: fNullable (bit 0), fUpdateable "unknown" (bits 2-3 = 2) as SQL Server sends for expressions.
        out += struct.pack("<IH", 0, (0x01 if nullable else 0) | 0x08)
        out += type_info(t, tds73)
        out += _b_varchar(name[:128])
    return bytes(out)
