"""Parsing RPC requests: procedure id or name, parameters, and their TYPE_INFO-encoded values.

Hand-written (MS-TDS 2.2.6.6 and 2.2.5.5.1): the server has to decode whatever type each driver
picks for a parameter (pytds sends strings as NVARCHAR(MAX) PLP, msodbcsql18 the smallest type,
VARCHAR with a collation ...). Each decoded value keeps the type it arrived as, so SQL Server's
conversion rules can be applied against the declared type.

A value outside its type's domain (a DATETIME before 1753, a time of day past midnight, a decimal
wider than its precision, a NaN float ...) is answered as SQL Server answers it, with 8023 naming
the parameter, and the connection goes on. Each check is explicit: Python's own date and Decimal
limits are not SQL Server's, and an exception of theirs must never reach the session.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
import uuid
from dataclasses import dataclass
from decimal import Decimal

from twin.mssql import types as T
from twin.mssql.errors import SqlError, invalid_rpc_value
from twin.mssql.packets import ProtocolError, Reader
from twin.mssql.types import SqlType

PROC_IDS = {10: "sp_executesql", 11: "sp_prepare", 12: "sp_execute", 13: "sp_prepexec", 15: "sp_unprepare"}
BY_REF = 0x01
_PLP_NULL = 0xFFFFFFFFFFFFFFFF
_PLP_UNKNOWN = 0xFFFFFFFFFFFFFFFE
_FIXED = {
    0x30: ("tinyint", 1),
    0x32: ("bit", 1),
    0x34: ("smallint", 2),
    0x38: ("int", 4),
    0x7F: ("bigint", 8),
    0x3B: ("real", 4),
    0x3E: ("float", 8),
    0x3C: ("money", 8),
    0x7A: ("smallmoney", 4),
    0x3D: ("datetime", 8),
    0x3A: ("smalldatetime", 4),
    0x1F: ("null", 0),
}
_BYTELEN = {0x26, 0x68, 0x6D, 0x6E, 0x6F, 0x24}
_DECIMALS = {0x6A, 0x6C, 0x37, 0x3F}
_USHORTLEN = {
    0xA5: "varbinary",
    0xA7: "varchar",
    0xAD: "varbinary",
    0xAF: "varchar",
    0xE7: "nvarchar",
    0xEF: "nvarchar",
}
_LONGLEN = {0x23: "varchar", 0x63: "nvarchar", 0x22: "varbinary"}
_BASE_1900 = dt.datetime(1900, 1, 1)
# SQL Server's domains, in the units of the wire encoding (MS-TDS 2.2.5.5.1.8).
_DATETIME_DAYS = (-53_690, 2_958_463)  # 1753-01-01 .. 9999-12-31, days from 1900-01-01
_T300_PER_DAY = 300 * 86_400  # DATETIME time of day: 1/300 s, below 24:00:00
_MINUTES_PER_DAY = 1_440  # SMALLDATETIME time of day (its u16 days end at 2079-06-06, its max)
_MAX_DAYS = 3_652_058  # DATE / DATETIME2 / DATETIMEOFFSET: 9999-12-31, days from 0001-01-01
_MAX_OFFSET = 840  # DATETIMEOFFSET: -14:00 .. +14:00, in minutes
_DECIMAL_NAMES = {0x6A: "decimal", 0x37: "decimal", 0x6C: "numeric", 0x3F: "numeric"}


class _Invalid(Exception):
    """A value outside its type's domain; read_value turns it into 8023 for the parameter at hand."""

    def __init__(self, type_name: str) -> None:
        super().__init__(type_name)
        self.type_name = type_name


# A decoded parameter value, as the Python type of the SQL type it was sent as.
Value = int | float | Decimal | str | bytes | dt.datetime | dt.date | uuid.UUID | None


@dataclass
class Param:
    name: str  # without '@'; empty for positional
    by_ref: bool
    value: Value
    wire_type: SqlType


@dataclass
class RpcCall:
    proc: str  # lower-case procedure name
    params: list[Param]


def skip_all_headers(r: Reader) -> None:
    """ALL_HEADERS (TDS 7.2+): a DWORD total length that includes itself."""
    total = r.u32()
    if total < 4 or total - 4 > r.remaining():
        raise ProtocolError("ALL_HEADERS length out of range")
    r.take(total - 4)


def parse_rpc(payload: bytes, tds72: bool = True) -> list[RpcCall]:
    r = Reader(payload)
    if tds72:
        skip_all_headers(r)
    calls: list[RpcCall] = []
    while r.remaining():
        n = r.u16()
        if n == 0xFFFF:
            pid = r.u16()
            proc = PROC_IDS.get(pid, f"#{pid}")
        else:
            if n > 1024:
                raise ProtocolError("procedure name too long")
            proc = r.ucs2(n).lower()
            if "." in proc:
                proc = proc.rsplit(".", 1)[-1].strip("[]")
        r.u16()  # option flags (WithRecompile, NoMetaData): no effect here
        params: list[Param] = []
        while r.remaining():
            if r.data[r.pos] == 0xFF:  # BatchFlag: another RPC follows (a name's length never is 0xFF)
                r.u8()
                break
            name = r.b_varchar()
            status = r.u8()
            value, wire = read_value(r, len(params) + 1, name)
            params.append(Param(name.lstrip("@"), bool(status & BY_REF), value, wire))
            if len(params) > 2100:
                raise SqlError(
                    8003,
                    "The incoming request has too many parameters. The server supports a maximum of 2100 parameters.",
                    cls=16,
                    state=1,
                )
        calls.append(RpcCall(proc, params))
    return calls


def _plp(r: Reader) -> bytes | None:
    total = r.u64()
    if total == _PLP_NULL:
        return None
    parts = []
    size = 0
    while True:
        chunk = r.u32()
        if chunk == 0:
            break
        parts.append(r.take(chunk))
        size += chunk
    if total != _PLP_UNKNOWN and size != total:
        raise ProtocolError("PLP length mismatch")
    return b"".join(parts)


def _le_int(b: bytes, signed: bool = True) -> int:
    return int.from_bytes(b, "little", signed=signed)


def _datetime(days: int, t300: int) -> dt.datetime:
    if not _DATETIME_DAYS[0] <= days <= _DATETIME_DAYS[1] or not 0 <= t300 < _T300_PER_DAY:
        raise _Invalid("datetime")
    return _BASE_1900 + dt.timedelta(days=days, microseconds=round(t300 * 10_000 / 3))


def _smalldatetime(days: int, minutes: int) -> dt.datetime:
    if minutes >= _MINUTES_PER_DAY:
        raise _Invalid("smalldatetime")
    return _BASE_1900 + dt.timedelta(days=days, minutes=minutes)


def _time_ticks(data: bytes, scale: int, type_name: str) -> int:
    """Time of day in 100 ns ticks from `scale`-digit units; at most one day minus one unit."""
    units = _le_int(data, signed=False)
    if units >= 86_400 * 10**scale:
        raise _Invalid(type_name)
    unit: int = 10 ** (7 - scale)  # typeshed's int ** int is Any (a negative exponent gives a float)
    return units * unit


def _days(data: bytes, type_name: str) -> int:
    days = _le_int(data, signed=False)
    if days > _MAX_DAYS:
        raise _Invalid(type_name)
    return days


def _decimal(data: bytes, precision: int, scale: int, type_name: str) -> Decimal:
    sign, magnitude = data[0], _le_int(data[1:], signed=False)
    if sign not in (0, 1) or magnitude >= 10**precision:
        raise _Invalid(type_name)
    # Built from its digits: Decimal arithmetic (scaleb) would round to the context's 28 digits.
    return Decimal((0 if sign == 1 or magnitude == 0 else 1, tuple(map(int, str(magnitude))), -scale))


def _float(data: bytes) -> float:
    value: float = struct.unpack("<f" if len(data) == 4 else "<d", data)[0]  # struct's values are Any
    if not math.isfinite(value):  # SQL Server has no NaN or infinity
        raise _Invalid("real" if len(data) == 4 else "float")
    return value


def read_value(r: Reader, ordinal: int = 1, name: str = "") -> tuple[Value, SqlType]:
    """TYPE_INFO then the value; returns (python value, the SQL type it was sent as). A value outside
    its type's domain raises 8023 for parameter `ordinal` (1-based in its call) named `name`."""
    try:
        return _read_value(r)
    except _Invalid as exc:
        raise invalid_rpc_value(ordinal, name, exc.type_name) from None


def _read_value(r: Reader) -> tuple[Value, SqlType]:
    tid = r.u8()
    if tid in _FIXED:
        name, size = _FIXED[tid]
        return _fixed(name, r.take(size)), _wire_type(name)
    if tid in _BYTELEN:
        r.u8()  # max length
        n = r.u8()
        if n == 0:
            return None, _bytelen_type(tid, 8)
        data = r.take(n)
        return _bytelen(tid, data), _bytelen_type(tid, n)
    if tid in _DECIMALS:
        r.u8()
        precision, scale = r.u8(), r.u8()
        if not 1 <= precision <= 38 or scale > precision:
            raise ProtocolError("bad decimal precision/scale")
        n = r.u8()
        t = T.decimal_type(precision, scale)
        if n == 0:
            return None, t
        return _decimal(r.take(n), precision, scale, _DECIMAL_NAMES[tid]), t
    if tid == 0x28:  # DATEN
        n = r.u8()
        if n == 0:
            return None, T.DATE
        if n != 3:
            raise ProtocolError("bad date length")
        return dt.date.fromordinal(_days(r.take(3), "date") + 1), T.DATE
    if tid in (0x29, 0x2A, 0x2B):  # TIMEN, DATETIME2N, DATETIMEOFFSETN
        scale = r.u8()
        if scale > 7:
            raise ProtocolError("bad time scale")
        n = r.u8()
        if tid == 0x29:
            raise SqlError(40517, "Parameters of type time are not supported by the SQL Server twin.")
        if n == 0:
            return None, SqlType("datetime2", scale=scale)
        data = r.take(n)
        tb = n - 3 - (2 if tid == 0x2B else 0)
        if tb not in (3, 4, 5):
            raise ProtocolError("bad datetime2 length")
        type_name = "datetimeoffset" if tid == 0x2B else "datetime2"
        ticks = _time_ticks(data[:tb], scale, type_name)
        days = _days(data[tb : tb + 3], type_name)
        if tid == 0x2B and abs(_le_int(data[tb + 3 :])) > _MAX_OFFSET:
            raise _Invalid(type_name)
        # DATETIMEOFFSET is stored as UTC: dropping the offset is what a conversion to datetime2 does.
        return T.format_datetime(days + 1, ticks), SqlType("datetime2", scale=scale)
    if tid in _USHORTLEN:
        maxlen = r.u16()
        base = _USHORTLEN[tid]
        if base != "varbinary":
            r.take(5)  # collation: we decode char data as code page 1252 (SQL_Latin1_General_CP1)
        if maxlen == 0xFFFF:
            chars = _plp(r)
            length = T.MAX
        else:
            n = r.u16()
            chars = None if n == 0xFFFF else r.take(n)
            length = max(1, maxlen // 2 if base == "nvarchar" else maxlen)
        t = SqlType(base, length)
        return _decode_chars(base, chars), t
    if tid in _LONGLEN:
        r.u32()
        base = _LONGLEN[tid]
        if base != "varbinary":
            r.take(5)
        n = r.u32()
        chars = None if n == 0xFFFFFFFF else r.take(n)
        return _decode_chars(base, chars), SqlType(base, T.MAX)
    raise SqlError(40517, f"Parameter data type 0x{tid:02X} is not supported by the SQL Server twin.")


def _decode_chars(base: str, data: bytes | None) -> str | bytes | None:
    if data is None:
        return None
    if base == "nvarchar":
        if len(data) % 2:
            raise ProtocolError("odd UCS-2 length")
        return data.decode("utf-16-le", "replace")
    if base == "varchar":
        return data.decode("cp1252", "replace")
    return data


def _wire_type(name: str) -> SqlType:
    if name in ("money", "smallmoney"):
        return T.decimal_type(19, 4)
    if name == "smalldatetime":
        return T.DATETIME
    if name == "null":
        return T.INT
    return SqlType(name)


def _fixed(name: str, data: bytes) -> Value:
    if name == "null":
        return None
    if name in ("tinyint",):
        return data[0]
    if name == "bit":
        return bool(data[0])
    if name in ("smallint", "int", "bigint"):
        return _le_int(data)
    if name in ("real", "float"):
        return _float(data)
    if name == "money":
        hi, lo = struct.unpack("<iI", data)
        return Decimal((hi << 32) | lo).scaleb(-4)
    if name == "smallmoney":
        return Decimal(_le_int(data)).scaleb(-4)
    if name == "datetime":
        days, t300 = struct.unpack("<iI", data)
        return _datetime(days, t300)
    days, minutes = struct.unpack("<HH", data)
    return _smalldatetime(days, minutes)


def _bytelen_type(tid: int, n: int) -> SqlType:
    if tid == 0x26:
        return {1: T.TINYINT, 2: T.SMALLINT, 4: T.INT, 8: T.BIGINT}.get(n, T.BIGINT)
    if tid == 0x68:
        return T.BIT
    if tid == 0x6D:
        return SqlType("real") if n == 4 else T.FLOAT
    if tid == 0x6E:
        return T.decimal_type(19, 4)
    if tid == 0x6F:
        return T.DATETIME
    return T.GUID


def _bytelen(tid: int, data: bytes) -> Value:
    n = len(data)
    if tid == 0x26:
        if n not in (1, 2, 4, 8):
            raise ProtocolError("bad INTN length")
        return data[0] if n == 1 else _le_int(data)
    if tid == 0x68:
        return bool(data[0])
    if tid == 0x6D:
        if n not in (4, 8):
            raise ProtocolError("bad FLTN length")
        return _fixed("real" if n == 4 else "float", data)
    if tid == 0x6E:
        if n not in (4, 8):
            raise ProtocolError("bad MONEYN length")
        return _fixed("smallmoney" if n == 4 else "money", data)
    if tid == 0x6F:
        if n not in (4, 8):
            raise ProtocolError("bad DATETIMN length")
        return _fixed("smalldatetime" if n == 4 else "datetime", data)
    if n != 16:
        raise ProtocolError("bad GUID length")
    return uuid.UUID(bytes_le=data)
