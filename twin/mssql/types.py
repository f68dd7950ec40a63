"""SQL Server data types: declarations, conversions between them, and their TDS wire encoding.

Hand-written because no Python library serves TDS: pytds and FreeTDS only implement the client
side. Values are kept in SQLite in a storage form chosen so that SQLite's own comparisons and
ordering stay right (integers, floats rounded to the declared scale, fixed-width ISO text for
dates, upper-case text for GUIDs); `convert` enforces SQL Server's conversion rules on the way in
and `column_encoder` turns the storage form into TDS bytes on the way out.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from twin.mssql.errors import SqlError, conversion_failed, overflow

MAX = -1  # length of NVARCHAR(MAX) / VARBINARY(MAX)

# A value in storage form: what SQLite keeps and hands back.
Storage = int | float | str | bytes | None

# SQL_Latin1_General_CP1_CI_AS: LCID 0x0409, flags (ignore case, ignore width/kana), sort id 52.
COLLATION = bytes.fromhex("0904D00034")

INT_RANGES = {
    "tinyint": (0, 255),
    "smallint": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
INT_SIZES = {"tinyint": 1, "smallint": 2, "int": 4, "bigint": 8}
STRING_TYPES = frozenset({"nvarchar", "varchar"})
NUMERIC_TYPES = frozenset({"tinyint", "smallint", "int", "bigint", "bit", "decimal", "float", "real"})
DATE_TYPES = frozenset({"datetime2", "datetime", "date"})

# Data type precedence, highest first (SQL Server's documented order, restricted to what we serve).
_PRECEDENCE = [
    "datetime2",
    "datetime",
    "date",
    "float",
    "real",
    "decimal",
    "bigint",
    "int",
    "smallint",
    "tinyint",
    "bit",
    "uniqueidentifier",
    "nvarchar",
    "varchar",
    "varbinary",
]
PRECEDENCE = {name: len(_PRECEDENCE) - i for i, name in enumerate(_PRECEDENCE)}


@dataclass(frozen=True)
class SqlType:
    """A declared SQL Server type. `length` is in characters (bytes for varbinary); MAX for (MAX)."""

    name: str
    length: int = 0
    precision: int = 0
    scale: int = 0

    def decl(self) -> str:
        if self.name in STRING_TYPES or self.name == "varbinary":
            return f"{self.name}({'max' if self.length == MAX else self.length})"
        if self.name == "decimal":
            return f"decimal({self.precision},{self.scale})"
        if self.name == "datetime2":
            return f"datetime2({self.scale})"
        return self.name

    @property
    def is_string(self) -> bool:
        return self.name in STRING_TYPES

    @property
    def is_numeric(self) -> bool:
        return self.name in NUMERIC_TYPES


INT = SqlType("int")
BIGINT = SqlType("bigint")
SMALLINT = SqlType("smallint")
TINYINT = SqlType("tinyint")
BIT = SqlType("bit")
FLOAT = SqlType("float")
DATETIME = SqlType("datetime")
DATETIME2 = SqlType("datetime2", scale=7)
DATE = SqlType("date")
GUID = SqlType("uniqueidentifier")
SYSNAME = SqlType("nvarchar", 128)


def nvarchar(n: int) -> SqlType:
    return SqlType("nvarchar", n)


def decimal_type(p: int, s: int) -> SqlType:
    return SqlType("decimal", precision=min(max(p, 1), 38), scale=min(max(s, 0), 38))


_DECL = re.compile(r"^\s*(\w+)\s*(?:\(\s*(max|\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$", re.I)


@functools.lru_cache(maxsize=1024)
def parse_type(text: str, *, allow_real: bool = True) -> SqlType:
    """Parse a T-SQL type declaration such as `nvarchar(max)` or `decimal(10,2)`."""
    m = _DECL.match(text)
    if not m:
        raise SqlError(2715, f"Column, parameter, or variable: cannot find data type {text.strip()}.", batch_abort=True)
    name, a, b = m.group(1).lower(), m.group(2), m.group(3)
    return make_type(
        name,
        None if a is None else (MAX if a.lower() == "max" else int(a)),
        None if b is None else int(b),
        allow_real=allow_real,
    )


def make_type(name: str, a: int | None, b: int | None, *, allow_real: bool = True, default_length: int = 1) -> SqlType:
    """Build a SqlType from a T-SQL type name and its optional arguments, refusing what we cannot serve."""
    name = {"numeric": "decimal", "integer": "int", "character varying": "varchar"}.get(name, name)
    if name in INT_SIZES or name in {"bit", "date", "datetime", "uniqueidentifier"}:
        return SqlType(name)
    if name == "float":
        if a is not None and a <= 24:
            return SqlType("real") if allow_real else _unsupported_type("real")
        return FLOAT
    if name == "real":
        return SqlType("real") if allow_real else _unsupported_type("real")
    if name == "money":
        return decimal_type(19, 4)
    if name == "smallmoney":
        return decimal_type(10, 4)
    if name == "smalldatetime":
        return DATETIME
    if name == "decimal":
        p = 18 if a is None else a
        s = 0 if b is None else b
        if not 1 <= p <= 38 or not 0 <= s <= p:
            raise SqlError(2750, f"Column or parameter has an invalid precision or scale ({p},{s}).", batch_abort=True)
        return decimal_type(p, s)
    if name == "datetime2":
        s = 7 if a is None else a
        if not 0 <= s <= 7:
            raise SqlError(1002, f"Specified scale {s} is invalid.", cls=15, batch_abort=True)
        return SqlType("datetime2", scale=s)
    if name in ("nvarchar", "varchar", "varbinary", "nchar", "char", "binary"):
        limit = 4000 if name in ("nvarchar", "nchar") else 8000
        n = default_length if a is None else a
        if n != MAX and not 1 <= n <= limit:
            raise SqlError(
                2717,
                f"The size ({n}) given to the type '{name}' exceeds the maximum allowed for any data type ({limit}).",
                cls=16,
                batch_abort=True,
            )
        base = {"nchar": "nvarchar", "char": "varchar", "binary": "varbinary"}.get(name, name)
        return SqlType(base, n)
    return _unsupported_type(name)


def _unsupported_type(name: str) -> SqlType:
    raise SqlError(40517, f"Data type '{name}' is not supported by the SQL Server twin.", batch_abort=True)


def higher(a: SqlType, b: SqlType) -> SqlType:
    """The operand type that wins SQL Server's data type precedence."""
    return a if PRECEDENCE.get(a.name, 0) >= PRECEDENCE.get(b.name, 0) else b


# ---------------------------------------------------------------- conversions (storage form)

_DT_RE = re.compile(
    r"^\s*(\d{4})-?(\d{2})-?(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?"
    r"\s*(Z)?\s*$"
)
_DAY_TICKS = 864_000_000_000  # 100 ns units per day


def _parse_datetime_text(text: str) -> tuple[int, int]:
    """'2024-01-02 03:04:05.1234567' (and ISO variants) -> (proleptic ordinal, 100ns ticks)."""
    m = _DT_RE.match(text)
    if not m:
        raise SqlError(
            241, "Conversion failed when converting date and/or time from character string.", batch_abort=True
        )
    y, mo, d, hh, mi, ss, frac, _z = m.groups()
    try:
        ordinal = dt.date(int(y), int(mo), int(d)).toordinal()
    except ValueError:
        raise SqlError(
            241, "Conversion failed when converting date and/or time from character string.", batch_abort=True
        ) from None
    h, m_, s = int(hh or 0), int(mi or 0), int(ss or 0)
    if h > 23 or m_ > 59 or s > 59:
        raise SqlError(
            241, "Conversion failed when converting date and/or time from character string.", batch_abort=True
        )
    ticks = ((h * 60 + m_) * 60 + s) * 10_000_000 + int((frac or "0").ljust(7, "0"))
    return ordinal, ticks


_MIN_DATETIME_ORDINAL = dt.date(1753, 1, 1).toordinal()
_MAX_ORDINAL = dt.date.max.toordinal()  # 9999-12-31, also SQL Server's last day


def _date_out_of_range(src: SqlType, name: str) -> SqlError:
    return SqlError(
        242,
        f"The conversion of a {src.name} data type to a {name} data type resulted in an out-of-range value.",
        batch_abort=True,
    )


def _round_ticks(ordinal: int, ticks: int, unit: int) -> tuple[int, int]:
    ticks = (ticks + unit // 2) // unit * unit
    if ticks >= _DAY_TICKS:
        ordinal, ticks = ordinal + 1, ticks - _DAY_TICKS
    return ordinal, ticks


def format_datetime(ordinal: int, ticks: int) -> str:
    day = dt.date.fromordinal(ordinal)
    secs, frac = divmod(ticks, 10_000_000)
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    return f"{day.isoformat()} {h:02d}:{m:02d}:{s:02d}.{frac:07d}"


def _datetime_parts(value: object) -> tuple[int, int]:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        t = value.time()
        return value.toordinal(), ((t.hour * 60 + t.minute) * 60 + t.second) * 10_000_000 + t.microsecond * 10
    if isinstance(value, dt.date):
        return value.toordinal(), 0
    if isinstance(value, str):
        return _parse_datetime_text(value)
    raise SqlError(
        529, f"Explicit conversion from data type {type(value).__name__} to datetime2 is not allowed.", batch_abort=True
    )


def _to_decimal(value: object, src: str) -> Decimal:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise overflow("numeric")
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            raise SqlError(8114, f"Error converting data type {src} to numeric.", batch_abort=True) from None
        if not d.is_finite():
            raise SqlError(8114, f"Error converting data type {src} to numeric.", batch_abort=True)
        return d
    raise SqlError(8114, f"Error converting data type {src} to numeric.", batch_abort=True)


# DECIMAL(38) needs 38 digits plus a rounding one; the default context keeps 28 and raises
# InvalidOperation past them, so decimal arithmetic on column values uses this one.
_DECIMAL_CONTEXT = Context(prec=40, rounding=ROUND_HALF_UP)
_REAL_MAX = struct.unpack("<f", b"\xff\xff\x7f\x7f")[0]  # the largest finite float32


def quantize(value: Decimal, t: SqlType) -> Decimal:
    """Round to the type's scale as SQL Server does (half away from zero) and check the precision."""
    int_digits = t.precision - t.scale
    if value and value.adjusted() + 1 > int_digits:  # too wide before rounding: also keeps quantize in context
        raise overflow(t.decl())
    q = value.quantize(Decimal(1).scaleb(-t.scale), context=_DECIMAL_CONTEXT)
    if q.adjusted() + 1 > int_digits and q != 0:
        raise overflow(t.decl())
    return q


def convert(value: object, src: SqlType, dst: SqlType, *, explicit: bool = True) -> Storage:
    """Convert a value (storage form or Python parameter) to `dst`'s storage form, SQL Server's way.

    Implicit conversion into a string column raises 2628 when the value is too long; CAST/CONVERT
    truncates, as SQL Server does.
    """
    if value is None:
        return None
    name = dst.name
    if name in INT_SIZES or name == "bit":
        return convert_int(value, src, dst)
    if name == "decimal":
        if isinstance(value, bytes):
            raise SqlError(
                529, f"Explicit conversion from data type {src.name} to decimal is not allowed.", batch_abort=True
            )
        q = quantize(_to_decimal(value, src.name), dst)
        return int(q) if dst.scale == 0 else float(q)
    if name in ("float", "real"):
        return convert_float(value, src, dst)
    if name in STRING_TYPES:
        text = to_text(value, src)
        if name == "varchar":
            text = text.encode("cp1252", "replace").decode("cp1252")
        if dst.length != MAX and len(text) > dst.length:
            if explicit:
                return text[: dst.length]
            raise SqlError(2628, "String or binary data would be truncated.", cls=16, state=1)
        return text
    if name == "varbinary":
        return convert_varbinary(value, src, dst, explicit=explicit)
    if name in DATE_TYPES:
        return convert_datetime(value, src, dst)
    if name == "uniqueidentifier":
        if isinstance(value, uuid.UUID):
            return str(value).upper()
        if isinstance(value, bytes) and len(value) == 16:
            return str(uuid.UUID(bytes_le=value)).upper()
        if isinstance(value, str):
            s = value.strip()
            if re.fullmatch(
                r"\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?", s[:38]
            ):
                return s.strip("{}")[:36].upper()
        raise SqlError(
            8169, "Conversion failed when converting from a character string to uniqueidentifier.", batch_abort=True
        )
    raise SqlError(40517, f"Data type '{name}' is not supported by the SQL Server twin.", batch_abort=True)


# `convert` for one family of target types each, typed by what they return; `value` is not None.


def convert_int(value: object, src: SqlType, dst: SqlType) -> int:
    """To an integer type or bit."""
    name = dst.name
    if isinstance(value, bool):
        n = int(value)
    elif isinstance(value, int):
        n = value
    elif isinstance(value, float | Decimal):
        if isinstance(value, float) and not math.isfinite(value):
            raise overflow(name)
        n = int(value)  # truncation toward zero, as SQL Server
    elif isinstance(value, str):
        s = value.strip()
        if name == "bit" and s.lower() in ("true", "false"):
            return 1 if s.lower() == "true" else 0
        if src.is_string and re.fullmatch(r"[+-]?\d+", s or "0"):
            digits = s.lstrip("+-").lstrip("0")
            if len(digits) > 19 and name != "bit":  # past bigint; also below int()'s 4,300-digit limit
                raise SqlError(
                    220, f"Arithmetic overflow error for data type {name}, value = {s[:40]}.", batch_abort=True
                )
            n = 1 if len(digits) > 19 else int(("-" if s.startswith("-") else "") + (digits or "0"))
        elif src.is_string and name == "bit" and re.fullmatch(r"[+-]?\d+(\.\d*)?", s):
            n = 1 if float(s) != 0 else 0
        else:
            raise conversion_failed(value, src.decl() if src.is_string else src.name, name)
    else:
        raise SqlError(
            529, f"Explicit conversion from data type {src.name} to {name} is not allowed.", batch_abort=True
        )
    if name == "bit":
        return 1 if n != 0 else 0
    lo, hi = INT_RANGES[name]
    if not lo <= n <= hi:
        raise SqlError(220, f"Arithmetic overflow error for data type {name}, value = {n}.", batch_abort=True)
    return n


def convert_float(value: object, src: SqlType, dst: SqlType) -> float:
    """To float or real."""
    name = dst.name
    if isinstance(value, int | float | Decimal | bool):
        f = float(value)
    elif isinstance(value, str):
        try:
            f = float(value.strip())
        except ValueError:
            raise SqlError(8114, f"Error converting data type {src.name} to float.", batch_abort=True) from None
    else:
        raise SqlError(
            529, f"Explicit conversion from data type {src.name} to {name} is not allowed.", batch_abort=True
        )
    if not math.isfinite(f) or (name == "real" and abs(f) > _REAL_MAX):
        raise overflow(name)
    if name == "real":
        f = struct.unpack("<f", struct.pack("<f", f))[0]
    return f


def convert_varbinary(value: object, src: SqlType, dst: SqlType, *, explicit: bool = True) -> bytes:
    """To varbinary."""
    if isinstance(value, bytes):
        b = value
    elif isinstance(value, str):
        b = value.encode("utf-16-le" if src.name == "nvarchar" else "cp1252", "replace")
    elif isinstance(value, int) and not isinstance(value, bool):
        # An integer's bytes at its type's width (tinyint is unsigned); other integral values
        # (DECIMAL(p,0) storage) as a bigint, refused when wider.
        lo, hi = INT_RANGES.get(src.name, INT_RANGES["bigint"])
        if not lo <= value <= hi:
            raise SqlError(
                40517,
                f"Conversion of a {src.decl()} value wider than bigint to varbinary is not "
                "supported by the SQL Server twin.",
                batch_abort=True,
            )
        b = value.to_bytes(INT_SIZES.get(src.name, 8), "big", signed=src.name != "tinyint")
    else:
        raise SqlError(
            529, f"Explicit conversion from data type {src.name} to varbinary is not allowed.", batch_abort=True
        )
    if dst.length != MAX and len(b) > dst.length:
        if explicit:
            return b[: dst.length]
        raise SqlError(2628, "String or binary data would be truncated.", cls=16, state=1)
    return b


def convert_datetime(value: object, src: SqlType, dst: SqlType) -> str:
    """To date, datetime or datetime2 (their storage form is ISO text)."""
    name = dst.name
    if src.name == "date" and isinstance(value, str) and len(value) == 10:
        value = value + " 00:00:00"
    ordinal, ticks = _datetime_parts(value)
    if name == "date":
        return dt.date.fromordinal(ordinal).isoformat()
    if name == "datetime":
        ordinal, ticks = _round_ticks(ordinal, ticks, 1)
        if ordinal < _MIN_DATETIME_ORDINAL:
            raise _date_out_of_range(src, name)
        # datetime keeps 1/300 s: round to the nearest tick, expressed in 100 ns units.
        t300 = round(ticks * 3 / 100_000)
        ticks = t300 * 100_000 // 3
        if ticks >= _DAY_TICKS:
            ordinal, ticks = ordinal + 1, ticks - _DAY_TICKS
    else:
        ordinal, ticks = _round_ticks(ordinal, ticks, 10 ** (7 - dst.scale))
    if ordinal > _MAX_ORDINAL:  # rounded up past 9999-12-31 23:59:59
        raise _date_out_of_range(src, name)
    return format_datetime(ordinal, ticks)


def to_text(value: object, src: SqlType) -> str:
    """The text SQL Server produces for CAST(value AS NVARCHAR) with the default style."""
    if isinstance(value, str):
        if src.name == "datetime2":
            return value[: 20 + src.scale] if src.scale else value[:19]
        if src.name == "datetime":
            raise SqlError(
                40517,
                "CAST of datetime to a string is not supported by the SQL Server twin (use datetime2).",
                batch_abort=True,
            )
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        if src.name == "decimal" and src.scale:
            return f"{Decimal(value):.{src.scale}f}"
        return str(value)
    if isinstance(value, float):
        if src.name == "decimal":
            return f"{Decimal(repr(value)).quantize(Decimal(1).scaleb(-src.scale), context=_DECIMAL_CONTEXT)}"
        text = f"{value:.6g}"
        if "e" in text:  # SQL Server writes three exponent digits: 1.23457e+008
            mant, exp = text.split("e")
            text = f"{mant}e{exp[0]}{int(exp[1:]):03d}"
        return text
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return format_datetime(*_datetime_parts(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value).upper()
    raise SqlError(529, f"Explicit conversion from data type {src.name} to nvarchar is not allowed.", batch_abort=True)


# ---------------------------------------------------------------- TDS encoding of result columns

INTN, BITN, FLTN, DECIMALN, NVARCHAR_T, BIGVARCHR, BIGVARBIN = 0x26, 0x68, 0x6D, 0x6A, 0xE7, 0xA7, 0xA5
DATEN, DATETIME2N, DATETIMN, GUIDT = 0x28, 0x2A, 0x6F, 0x24
_PLP_NULL = b"\xff" * 8
_PLP_UNKNOWN_END = b"\x00\x00\x00\x00"


def _decimal_size(p: int) -> int:
    return 5 if p <= 9 else 9 if p <= 19 else 13 if p <= 28 else 17


def _time_bytes(scale: int) -> int:
    return 3 if scale <= 2 else 4 if scale <= 4 else 5


def type_info(t: SqlType, tds73: bool = True) -> bytes:
    """TYPE_INFO for COLMETADATA / RETURNVALUE."""
    n = t.name
    if n in INT_SIZES:
        return bytes((INTN, INT_SIZES[n]))
    if n == "bit":
        return bytes((BITN, 1))
    if n == "float":
        return bytes((FLTN, 8))
    if n == "real":
        return bytes((FLTN, 4))
    if n == "decimal":
        return bytes((DECIMALN, _decimal_size(t.precision), t.precision, t.scale))
    if n == "nvarchar" or (not tds73 and n in ("date", "datetime2")):
        size = 0xFFFF if t.length == MAX else (t.length * 2 if n == "nvarchar" else 54)
        return struct.pack("<BH", NVARCHAR_T, size) + COLLATION
    if n == "varchar":
        return struct.pack("<BH", BIGVARCHR, 0xFFFF if t.length == MAX else t.length) + COLLATION
    if n == "varbinary":
        return struct.pack("<BH", BIGVARBIN, 0xFFFF if t.length == MAX else t.length)
    if n == "date":
        return bytes((DATEN,))
    if n == "datetime2":
        return bytes((DATETIME2N, t.scale))
    if n == "datetime":
        return bytes((DATETIMN, 8))
    if n == "uniqueidentifier":
        return bytes((GUIDT, 16))
    raise SqlError(40517, f"Data type '{n}' is not supported by the SQL Server twin.", batch_abort=True)


def _plp(data: bytes) -> bytes:
    if not data:
        return struct.pack("<Q", 0) + _PLP_UNKNOWN_END
    return struct.pack("<QI", len(data), len(data)) + data + _PLP_UNKNOWN_END


Encoder = Callable[[object], bytes]


def column_encoder(t: SqlType, tds73: bool = True) -> Encoder:
    """A function turning one storage value (or None) into the TDS bytes of a ROW column."""
    n = t.name
    if n in INT_SIZES:
        size = INT_SIZES[n]
        packer = struct.Struct("<B" + {1: "B", 2: "h", 4: "i", 8: "q"}[size]).pack
        lo, hi = INT_RANGES[n]

        def enc_int(v: object) -> bytes:
            if v is None:
                return b"\x00"
            if not isinstance(v, int):
                v = convert_int(v, FLOAT if isinstance(v, float) else nvarchar(MAX), t)
            if not lo <= v <= hi:
                raise overflow(n)
            return packer(size, v)

        return enc_int
    if n == "bit":
        return lambda v: b"\x00" if v is None else (b"\x01\x01" if v else b"\x01\x00")
    if n in ("float", "real"):
        fmt, size = ("<Bd", 8) if n == "float" else ("<Bf", 4)
        pack = struct.Struct(fmt).pack

        def enc_float(v: object) -> bytes:
            if v is None:
                return b"\x00"
            f = float(v) if isinstance(v, int | float) else convert_float(v, nvarchar(MAX), t)
            if not math.isfinite(f):
                raise overflow(n)
            return pack(size, f)

        return enc_float
    if n == "decimal":
        size = _decimal_size(t.precision)

        def enc_dec(v: object) -> bytes:
            if v is None:
                return b"\x00"
            d = quantize(_to_decimal(v, "nvarchar"), t)
            scaled = int(d.scaleb(t.scale, context=_DECIMAL_CONTEXT))
            return bytes((size, 1 if scaled >= 0 else 0)) + abs(scaled).to_bytes(size - 1, "little")

        return enc_dec
    if n == "nvarchar" or (not tds73 and n in ("date", "datetime2")):
        src = t

        def text_of(v: object) -> str:
            return v if isinstance(v, str) else to_text(v, src)

        if t.length == MAX:
            return lambda v: _PLP_NULL if v is None else _plp(text_of(v).encode("utf-16-le"))

        def enc_nvarchar(v: object) -> bytes:
            if v is None:
                return b"\xff\xff"
            data = text_of(v).encode("utf-16-le")
            return struct.pack("<H", len(data)) + data

        return enc_nvarchar
    if n == "varchar":

        def vbytes(v: object) -> bytes:
            return (v if isinstance(v, str) else to_text(v, t)).encode("cp1252", "replace")

        if t.length == MAX:
            return lambda v: _PLP_NULL if v is None else _plp(vbytes(v))
        return lambda v: b"\xff\xff" if v is None else struct.pack("<H", len(b := vbytes(v))) + b
    if n == "varbinary":

        def raw(v: object) -> bytes:
            return v if isinstance(v, bytes) else convert_varbinary(v, nvarchar(MAX), t)

        if t.length == MAX:
            return lambda v: _PLP_NULL if v is None else _plp(raw(v))
        return lambda v: b"\xff\xff" if v is None else struct.pack("<H", len(b := raw(v))) + b
    if n == "date":

        def enc_date(v: object) -> bytes:
            if v is None:
                return b"\x00"
            ordinal, _ = _datetime_parts(v)
            return b"\x03" + (ordinal - 1).to_bytes(3, "little")

        return enc_date
    if n == "datetime2":
        tb = _time_bytes(t.scale)
        unit: int = 10 ** (7 - t.scale)  # typeshed's int ** int is Any (a negative exponent gives a float)

        def enc_dt2(v: object) -> bytes:
            if v is None:
                return b"\x00"
            ordinal, ticks = _round_ticks(*_datetime_parts(v), unit)
            return bytes((tb + 3,)) + (ticks // unit).to_bytes(tb, "little") + (ordinal - 1).to_bytes(3, "little")

        return enc_dt2
    if n == "datetime":
        base = dt.date(1900, 1, 1).toordinal()

        def enc_dt(v: object) -> bytes:
            if v is None:
                return b"\x00"
            ordinal, ticks = _datetime_parts(v)
            t300 = round(ticks * 3 / 100_000)
            if t300 >= 300 * 86400:
                ordinal, t300 = ordinal + 1, 0
            return struct.pack("<BiI", 8, ordinal - base, t300)

        return enc_dt
    if n == "uniqueidentifier":

        def enc_guid(v: object) -> bytes:
            if v is None:
                return b"\x00"
            u = v if isinstance(v, uuid.UUID) else uuid.UUID(str(convert(v, nvarchar(MAX), t)))
            return b"\x10" + u.bytes_le

        return enc_guid
    raise SqlError(40517, f"Data type '{n}' is not supported by the SQL Server twin.", batch_abort=True)
