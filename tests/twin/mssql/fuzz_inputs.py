"""What the fuzzers feed the TDS parsers, in one place: the seeds, the value builders, the hypothesis
strategies and the per-parser targets. `test_mssql_fuzz.py` runs them derandomized on every test
run; `bench/fuzz_mssql.py` runs the same ones randomly for as long as asked.

A target may raise ProtocolError or SqlError (they end or answer that one connection); anything
else is a bug. The RPC target also checks what a successful parse produced: every value must be
encodable as the type it arrived as (the server echoes OUTPUT parameters that way) and convertible
to any declared type with at most a SqlError (the server binds parameters that way).
"""

from __future__ import annotations

import contextlib
import math
import struct
from collections.abc import Callable

from hypothesis import strategies as st

from tests.twin.mssql.rawtds import (
    ALL_HEADERS,
    COLLATION,
    batch_payload,
    executesql_payload,
    login7_payload,
    nvarchar_max,
    prelogin_payload,
    rpc_param,
)
from twin.mssql.batch import classify, split
from twin.mssql.errors import SqlError
from twin.mssql.login import parse_login7, parse_prelogin
from twin.mssql.packets import ProtocolError, Reader
from twin.mssql.rpc import parse_rpc, skip_all_headers
from twin.mssql.types import column_encoder, convert, parse_type

EXPECTED = (ProtocolError, SqlError)


# ---------------------------------------------------------------- TYPE_INFO + value builders
def int_value(n: int, size: int = 4) -> bytes:
    """INTN."""
    return bytes((0x26, size, size)) + n.to_bytes(size, "little", signed=True)


def float_value(x: float, size: int = 8, *, fixed: bool = False) -> bytes:
    """FLTN (or FLT8/FLT4 with fixed=True)."""
    data = struct.pack("<d" if size == 8 else "<f", x)
    return (bytes(((0x3E if size == 8 else 0x3B),)) if fixed else bytes((0x6D, size, size))) + data


def datetime_value(days: int, t300: int, *, fixed: bool = False) -> bytes:
    """DATETIMN(8) or DATETIME: days since 1900-01-01 (signed), then 1/300 s since midnight."""
    data = struct.pack("<iI", days, t300)
    return (b"\x3d" if fixed else b"\x6f\x08\x08") + data


def smalldatetime_value(days: int, minutes: int, *, fixed: bool = False) -> bytes:
    """DATETIMN(4) or SMALLDATETIME: days since 1900-01-01 (unsigned), then minutes since midnight."""
    data = struct.pack("<HH", days, minutes)
    return (b"\x3a" if fixed else b"\x6f\x04\x04") + data


def date_value(days: int) -> bytes:
    """DATEN: days since 0001-01-01 in three bytes."""
    return b"\x28\x03" + days.to_bytes(3, "little")


def _time_len(scale: int) -> int:
    return 3 if scale <= 2 else 4 if scale <= 4 else 5


def datetime2_value(scale: int, units: int, days: int, *, length: int | None = None) -> bytes:
    """DATETIME2N: time in 10**-scale s units (3-5 bytes by scale), then days since 0001-01-01."""
    tb = _time_len(scale) if length is None else length
    return (
        bytes((0x2A, scale, tb + 3)) + (units % 256**tb).to_bytes(tb, "little") + (days % 2**24).to_bytes(3, "little")
    )


def datetimeoffset_value(scale: int, units: int, days: int, offset: int, *, length: int | None = None) -> bytes:
    """DATETIMEOFFSETN: a UTC DATETIME2 value, then the offset in minutes (signed)."""
    tb = _time_len(scale) if length is None else length
    return (
        bytes((0x2B, scale, tb + 5))
        + (units % 256**tb).to_bytes(tb, "little")
        + (days % 2**24).to_bytes(3, "little")
        + struct.pack("<h", offset)
    )


def decimal_value(
    precision: int, scale: int, magnitude: int, sign: int = 1, *, tid: int = 0x6A, length: int = 17
) -> bytes:
    """DECIMALN/NUMERICN (or the legacy 0x37/0x3F): sign byte (1 = positive), then the magnitude."""
    head = bytes((tid, 17, precision, scale, length))
    if length == 0:
        return head
    return head + bytes((sign,)) + (magnitude % 256 ** (length - 1)).to_bytes(length - 1, "little")


def nvarchar_value(text: str, maxlen: int = 8000) -> bytes:
    """NVARCHAR(n) with a USHORT length."""
    data = text.encode("utf-16-le")
    return b"\xe7" + struct.pack("<H", maxlen) + COLLATION + struct.pack("<H", len(data)) + data


def rpc_call(*values: bytes, decl: str | None = None, by_ref: bool = False) -> bytes:
    """sp_executesql(N'SELECT @P1, ...', decl, @P1 = value, ...): value i is RPC parameter i + 3.
    The declaration defaults to int for every value; only the parser-level tests rely on that."""
    names = [f"@P{i + 1}" for i in range(len(values))]
    decl = ", ".join(f"{n} int" for n in names) if decl is None else decl
    return executesql_payload(
        "SELECT " + (", ".join(names) or "1"),
        decl,
        [rpc_param(n, v, by_ref=by_ref) for n, v in zip(names, values, strict=True)],
    )


def _rpc_seed() -> bytes:
    """sp_executesql(N'SELECT @P1 + 1', N'@P1 int', @P1 = 5, @P2 = 12.34) as python-tds sends it."""
    out = ALL_HEADERS + struct.pack("<HHH", 0xFFFF, 10, 0)
    out += rpc_param("", nvarchar_max("SELECT @P1 + 1")) + rpc_param("", nvarchar_value("@P1 int"))
    return out + rpc_param("@P1", int_value(5)) + rpc_param("@P2", decimal_value(38, 2, 1234))


SEEDS = {
    "prelogin": prelogin_payload(),
    "login7": login7_payload("sa", "secret-pw"),
    "rpc": _rpc_seed(),
    "batch": batch_payload("SELECT TOP 3 CourseId FROM dbo.Courses; SELECT N'x'"),
}


# ---------------------------------------------------------------- strategies
def mutations(seed: bytes) -> st.SearchStrategy[bytes]:
    """A real message with up to ten bytes overwritten, then cut short or given a random tail."""
    edits = st.lists(st.tuples(st.integers(0, 4096), st.integers(0, 255)), max_size=10)
    return st.builds(_mutate, st.just(seed), edits, st.integers(0, len(seed) + 16), st.binary(max_size=32))


def _mutate(seed: bytes, edits: list[tuple[int, int]], cut: int, tail: bytes) -> bytes:
    data = bytearray(seed)
    for pos, value in edits:
        data[pos % len(data)] = value
    return bytes(data[:cut]) + (tail if cut > len(seed) else b"")


def _u(bits: int) -> st.SearchStrategy[int]:
    return st.integers(0, 2**bits - 1)


def _s(bits: int) -> st.SearchStrategy[int]:
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def _near(*points: int, lo: int = 0, hi: int = 2**128, width: int = 3) -> st.SearchStrategy[int]:
    """Integers within `width` of the given edges (where range checks go wrong), kept in [lo, hi]."""
    return st.one_of(*(st.integers(max(lo, p - width), min(hi, p + width)) for p in points))


def _days_0001() -> st.SearchStrategy[int]:
    """Days from 0001-01-01 in three bytes: near 9999-12-31 (3,652,058) and the ends, or anywhere."""
    return _near(0, 3_652_058, 2**24 - 1, hi=2**24 - 1) | _u(24)


def _units(scale: int) -> st.SearchStrategy[int]:
    """Time of day in 10**-scale s: near midnight at either end, or anywhere in five bytes."""
    day = 86_400 * 10 ** min(scale, 7)
    return _near(0, day - 1, day) | _u(40)


def _texts() -> st.SearchStrategy[str]:
    """Text that binding parses as a number, a date or a GUID, valid or nearly."""
    digits = st.text("0123456789", min_size=1, max_size=9)
    return st.one_of(
        st.text("0123456789+-.eE ", max_size=30),
        st.builds(
            "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}.{}".format,
            _near(1, 1753, 9999, hi=9999) | st.integers(0, 9999),
            st.integers(0, 13),
            st.integers(0, 32),
            st.integers(0, 24),
            st.integers(0, 60),
            st.integers(0, 60),
            digits,
        ),
        st.builds("{}-{}-{}".format, digits, digits, digits),
        st.uuids().map(str),
    )


def _chars(tid: int) -> st.SearchStrategy[bytes]:
    """N/VARCHAR or VARBINARY with a USHORT length (possibly NULL or longer than its max) or as PLP."""
    collation = b"" if tid in (0xA5, 0xAD) else COLLATION
    text = _texts().map(lambda t: t.encode("utf-16-le" if tid in (0xE7, 0xEF) else "cp1252"))

    def short(maxlen: int, data: bytes | None) -> bytes:
        value = b"\xff\xff" if data is None else struct.pack("<H", len(data)) + data
        return bytes((tid,)) + struct.pack("<H", maxlen) + collation + value

    def plp(chunks: list[bytes], declared: int | None) -> bytes:
        total = sum(map(len, chunks)) if declared is None else declared
        body = b"".join(struct.pack("<I", len(c)) + c for c in chunks if c)
        return bytes((tid,)) + b"\xff\xff" + collation + struct.pack("<Q", total) + body + b"\x00\x00\x00\x00"

    return st.one_of(
        st.builds(short, _u(16), st.none() | st.binary(max_size=40) | text),
        st.builds(
            plp,
            st.lists(st.binary(max_size=20) | text, max_size=3),
            st.none() | st.sampled_from([0, 1, 2**64 - 1, 2**64 - 2]),
        ),
    )


def typed_values() -> st.SearchStrategy[bytes]:
    """One TYPE_INFO + value of every type the RPC parser knows, with field values drawn over the
    whole width of their wire encoding (so out-of-range days, ticks, offsets and magnitudes come up)."""
    scale = st.integers(0, 8)
    tlen = st.none() | st.integers(2, 6)
    dt_days = _near(-53_690, 0, 2_958_463, lo=-(2**31)) | _s(32)  # DATETIME: 1753-01-01, 1900-01-01, 9999-12-31
    t300 = _near(0, 25_920_000) | _u(32)
    datetime2 = scale.flatmap(lambda s: st.builds(datetime2_value, st.just(s), _units(s), _days_0001(), length=tlen))
    offset = scale.flatmap(
        lambda s: st.builds(
            datetimeoffset_value,
            st.just(s),
            _units(s),
            _days_0001(),
            _near(-840, 0, 840, lo=-(2**15)) | _s(16),
            length=tlen,
        )
    )
    precision = st.integers(0, 40)
    decimals = precision.flatmap(
        lambda p: st.builds(
            decimal_value,
            st.just(p),
            st.integers(0, 40),
            _near(10**p if p < 39 else 0, width=2) | _u(128),
            st.integers(0, 2),
            tid=st.sampled_from([0x6A, 0x6C, 0x37, 0x3F]),
            length=st.sampled_from([17, 0, 1, 5, 9, 13, 3]),
        )
    )
    fixed_sizes = {0x30: 1, 0x32: 1, 0x34: 2, 0x38: 4, 0x7F: 8, 0x3C: 8, 0x7A: 4, 0x1F: 0}
    return st.one_of(
        st.builds(datetime_value, dt_days, t300, fixed=st.booleans()),
        st.builds(smalldatetime_value, _u(16), _near(0, 1_440, 65_535, hi=65_535) | _u(16), fixed=st.booleans()),
        st.builds(date_value, _days_0001()),
        st.builds(lambda n: b"\x28" + bytes((n,)) + b"\x00" * n, st.sampled_from([0, 1, 2, 4])),
        datetime2,
        offset,
        decimals,
        st.builds(float_value, st.floats(), st.just(8), fixed=st.booleans()),
        st.builds(float_value, st.floats(width=32), st.just(4), fixed=st.booleans()),
        st.builds(
            lambda tid, n, d: bytes((tid, n, n)) + d[:n].ljust(n, b"\x00"),
            st.sampled_from([0x26, 0x68, 0x6D, 0x6E, 0x6F, 0x24]),
            st.sampled_from([0, 1, 2, 4, 8, 16, 3]),
            st.binary(min_size=16, max_size=16),
        ),
        st.sampled_from(sorted(fixed_sizes)).flatmap(
            lambda tid: st.binary(min_size=fixed_sizes[tid], max_size=fixed_sizes[tid]).map(lambda d: bytes((tid,)) + d)
        ),
        st.sampled_from([0xE7, 0xEF, 0xA7, 0xAF, 0xA5, 0xAD]).flatmap(_chars),
        st.builds(lambda tid, d: bytes((tid,)) + d, _u(8), st.binary(max_size=24)),
    )


def typed_rpc() -> st.SearchStrategy[bytes]:
    """sp_executesql with zero to four typed parameters, some of them OUTPUT."""
    return st.builds(
        lambda values, refs: executesql_payload(
            "SELECT 1",
            "@P1 int",
            [rpc_param(f"@P{i + 1}", v, by_ref=r) for i, (v, r) in enumerate(zip(values, refs, strict=False))],
        ),
        st.lists(typed_values(), max_size=4),
        st.lists(st.booleans(), min_size=4, max_size=4),
    )


def inputs(name: str) -> st.SearchStrategy[bytes]:
    """Random bytes, mutated real messages and, for RPC, well-framed calls with arbitrary values."""
    base = [st.binary(max_size=700), mutations(SEEDS[name])]
    if name == "rpc":
        base.append(typed_rpc())
    return st.one_of(*base)


# ---------------------------------------------------------------- targets
# Declared types a parameter value may be bound to (session._bind_decls converts to these).
BIND_TYPES = [
    parse_type(t)
    for t in (
        "int",
        "bigint",
        "tinyint",
        "bit",
        "decimal(10,2)",
        "decimal(38,0)",
        "float",
        "real",
        "nvarchar(50)",
        "nvarchar(max)",
        "varchar(10)",
        "varbinary(8)",
        "date",
        "datetime",
        "datetime2(7)",
        "datetime2(0)",
        "uniqueidentifier",
    )
]


def check_rpc(data: bytes) -> None:
    try:
        calls = parse_rpc(data)
    except EXPECTED:
        return
    for call in calls:
        for p in call.params:
            if isinstance(p.value, float):
                assert math.isfinite(p.value), f"non-finite float accepted: {p.value!r}"
            column_encoder(p.wire_type)(p.value)  # an OUTPUT parameter's echo must never fail
            for t in BIND_TYPES:
                with contextlib.suppress(SqlError):
                    convert(p.value, p.wire_type, t, explicit=True)


def check_batch(data: bytes) -> None:
    try:
        r = Reader(data)
        skip_all_headers(r)
        text = r.take(r.remaining()).decode("utf-16-le", "replace")
        for stmt_text, tokens in split(text):
            classify(stmt_text, tokens)
    except EXPECTED:
        pass


def _expected_only(parser: Callable[[bytes], object]) -> Callable[[bytes], None]:
    def target(data: bytes) -> None:
        with contextlib.suppress(*EXPECTED):
            parser(data)

    return target


TARGETS: dict[str, Callable[[bytes], None]] = {
    "prelogin": _expected_only(parse_prelogin),
    "login7": _expected_only(parse_login7),
    "rpc": check_rpc,
    "batch": check_batch,
}
