"""RPC parameter values outside their type's domain (issue 19): SQL Server answers 8023 naming the
parameter (1-based over the whole call, so @stmt and @params of sp_executesql are 1 and 2) and the
connection stays usable; the twin must too, never crash its parser or close the connection."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest

from tests.twin.mssql.fuzz_inputs import (
    date_value,
    datetime2_value,
    datetime_value,
    datetimeoffset_value,
    decimal_value,
    float_value,
    int_value,
    rpc_call,
    smalldatetime_value,
)
from tests.twin.mssql.rawtds import (
    RPC,
    SQL_BATCH,
    RawClient,
    batch_payload,
    error_tokens,
    executesql_payload,
    last_done_status,
    packet,
    rpc_param,
)
from twin.mssql import types as T
from twin.mssql.errors import SqlError
from twin.mssql.rpc import parse_rpc

MSG_8023 = (
    "The incoming tabular data stream (TDS) remote procedure call (RPC) protocol stream is incorrect. "
    'Parameter {n} ("{name}"): The supplied value is not a valid instance of data type {type}. Check the '
    "source data for invalid values. An example of an invalid value is data of numeric type with scale "
    "greater than precision."
)
DONE_ERROR = 0x02
DAY_UNITS_7 = 864_000_000_000  # one day in 100 ns units (datetime2(7))

INVALID = [
    pytest.param(datetime_value(16777216, 0), "datetime", id="datetime-days-16777216-issue-19"),
    pytest.param(datetime_value(2958464, 0), "datetime", id="datetime-10000-01-01"),
    pytest.param(datetime_value(-53691, 0), "datetime", id="datetime-1752-12-31"),
    pytest.param(datetime_value(0, 25_920_000), "datetime", id="datetime-t300-one-day"),
    pytest.param(datetime_value(-(2**31), 2**32 - 1, fixed=True), "datetime", id="datetime-fixed-extremes"),
    pytest.param(smalldatetime_value(0, 1440), "smalldatetime", id="smalldatetime-minutes-1440"),
    pytest.param(smalldatetime_value(65535, 65535, fixed=True), "smalldatetime", id="smalldatetime-fixed-max"),
    pytest.param(date_value(3652059), "date", id="date-10000-01-01"),
    pytest.param(date_value(2**24 - 1), "date", id="date-max-wire"),
    pytest.param(datetime2_value(7, DAY_UNITS_7, 0), "datetime2", id="datetime2-ticks-one-day"),
    pytest.param(datetime2_value(0, 86_400, 0), "datetime2", id="datetime2-scale0-one-day"),
    pytest.param(datetime2_value(7, 0, 3652059), "datetime2", id="datetime2-10000-01-01"),
    pytest.param(datetimeoffset_value(7, 0, 3652059, 0), "datetimeoffset", id="datetimeoffset-10000-01-01"),
    pytest.param(datetimeoffset_value(3, 86_400_000, 0, 0), "datetimeoffset", id="datetimeoffset-one-day"),
    pytest.param(datetimeoffset_value(7, 0, 10, 841), "datetimeoffset", id="datetimeoffset-offset-841"),
    pytest.param(datetimeoffset_value(7, 0, 10, -841), "datetimeoffset", id="datetimeoffset-offset-minus-841"),
    pytest.param(decimal_value(5, 2, 100_000), "decimal", id="decimal-1000.00-in-5-2"),
    pytest.param(decimal_value(38, 0, 10**38), "decimal", id="decimal-10e38"),
    pytest.param(decimal_value(1, 0, 10, tid=0x6C), "numeric", id="numeric-10-in-1-0"),
    pytest.param(decimal_value(5, 2, 1, sign=2), "decimal", id="decimal-sign-byte-2"),
    pytest.param(float_value(math.nan), "float", id="float-nan"),
    pytest.param(float_value(math.inf), "float", id="float-inf"),
    pytest.param(float_value(-math.inf, fixed=True), "float", id="float-fixed-minus-inf"),
    pytest.param(float_value(math.nan, 4), "real", id="real-nan"),
    pytest.param(float_value(math.inf, 4, fixed=True), "real", id="real-fixed-inf"),
]

VALID = [
    pytest.param(datetime_value(-53690, 0), dt.datetime(1753, 1, 1), id="datetime-min"),
    pytest.param(datetime_value(2958463, 25_919_999), dt.datetime(9999, 12, 31, 23, 59, 59, 996667), id="datetime-max"),
    pytest.param(smalldatetime_value(65535, 1439), dt.datetime(2079, 6, 6, 23, 59), id="smalldatetime-max"),
    pytest.param(date_value(0), dt.date(1, 1, 1), id="date-min"),
    pytest.param(date_value(3652058), dt.date(9999, 12, 31), id="date-max"),
    pytest.param(datetime2_value(7, DAY_UNITS_7 - 1, 3652058), "9999-12-31 23:59:59.9999999", id="datetime2-max"),
    pytest.param(datetime2_value(0, 86_399, 0), "0001-01-01 23:59:59.0000000", id="datetime2-scale0-last-second"),
    pytest.param(datetimeoffset_value(7, 0, 0, 840), "0001-01-01 00:00:00.0000000", id="datetimeoffset-plus-14h"),
    pytest.param(datetimeoffset_value(7, 0, 0, -840), "0001-01-01 00:00:00.0000000", id="datetimeoffset-minus-14h"),
    pytest.param(decimal_value(5, 2, 99_999), Decimal("999.99"), id="decimal-max-5-2"),
    pytest.param(decimal_value(5, 2, 99_999, sign=0), Decimal("-999.99"), id="decimal-min-5-2"),
    pytest.param(decimal_value(38, 0, 10**38 - 1), Decimal(10**38 - 1), id="decimal-max-38"),
    pytest.param(float_value(1.5e308), 1.5e308, id="float-large"),
    pytest.param(float_value(-0.0), 0.0, id="float-minus-zero"),
]


def _only_value(payload: bytes) -> object:
    (call,) = parse_rpc(payload)
    return call.params[-1].value


@pytest.mark.parametrize(("value", "type_name"), INVALID)
def test_out_of_range_value_is_error_8023(value: bytes, type_name: str) -> None:
    with pytest.raises(SqlError) as info:
        parse_rpc(rpc_call(value))
    err = info.value
    assert (err.number, err.cls) == (8023, 16)
    assert err.message == MSG_8023.format(n=3, name="@P1", type=type_name)
    assert not err.fatal


def test_8023_names_the_parameter_by_its_position_in_the_whole_call() -> None:
    with pytest.raises(SqlError) as info:
        parse_rpc(rpc_call(int_value(1), int_value(2), datetime_value(16777216, 0)))
    assert info.value.message == MSG_8023.format(n=5, name="@P3", type="datetime")
    positional = executesql_payload("SELECT @P1", "@P1 datetime", [rpc_param("", datetime_value(0, 2**31))])
    with pytest.raises(SqlError) as info:
        parse_rpc(positional)
    assert info.value.message == MSG_8023.format(n=3, name="", type="datetime")


@pytest.mark.parametrize(("value", "expected"), VALID)
def test_values_at_the_edges_of_their_range_still_parse(value: bytes, expected: object) -> None:
    assert _only_value(rpc_call(value)) == expected


# Binding a parsed value to its declared type (session._bind_decls): SQL Server's error, never Python's.
@pytest.mark.parametrize(
    ("value", "src"),
    [
        (1.6e29, T.FLOAT),
        (Decimal("1e40"), T.decimal_type(38, 0)),
        (Decimal("9999999999999999999999999999999999999.9"), T.decimal_type(38, 1)),
        ("1e999999999", T.nvarchar(T.MAX)),
    ],
)
def test_decimal_overflow_on_binding_is_8115(value: object, src: T.SqlType) -> None:
    with pytest.raises(SqlError) as info:
        T.convert(value, src, T.decimal_type(10, 2), explicit=True)
    assert info.value.number == 8115


@pytest.mark.parametrize("value", [1e300, -3.5e38])
def test_float_beyond_real_on_binding_is_8115(value: float) -> None:
    with pytest.raises(SqlError) as info:
        T.convert(value, T.FLOAT, T.SqlType("real"))
    assert info.value.number == 8115
    assert T.convert(3.4e38, T.FLOAT, T.SqlType("real")) == pytest.approx(3.4e38, rel=1e-7)


def test_tinyint_to_varbinary_is_unsigned() -> None:
    assert T.convert(200, T.TINYINT, T.parse_type("varbinary(8)")) == b"\xc8"
    assert T.convert(-2, T.SMALLINT, T.parse_type("varbinary(8)")) == b"\xff\xfe"


@pytest.mark.parametrize("dst", ["datetime", "datetime2(0)", "datetime2(3)"])
def test_rounding_past_9999_12_31_is_242(dst: str) -> None:
    with pytest.raises(SqlError) as info:
        T.convert("9999-12-31 23:59:59.9999999", T.DATETIME2, T.parse_type(dst))
    assert info.value.number == 242
    assert T.convert("9999-12-31 23:59:59.9999999", T.DATETIME2, T.DATE) == "9999-12-31"


def test_a_5000_digit_string_overflows_int() -> None:
    with pytest.raises(SqlError) as info:
        T.convert("9" * 5000, T.nvarchar(T.MAX), T.INT)
    assert info.value.number == 220
    assert T.convert("0" * 5000 + "12", T.nvarchar(T.MAX), T.INT) == 12


def test_decimal_38_digits_are_exact() -> None:
    t = T.decimal_type(38, 0)
    widest = Decimal(10**38 - 1)
    assert T.convert(widest, t, t) == 10**38 - 1
    assert T.column_encoder(t)(widest) == b"\x11\x01" + (10**38 - 1).to_bytes(16, "little")
    assert T.to_text(1e27, T.decimal_type(38, 10)) == "1000000000000000000000000000.0000000000"


# ---------------------------------------------------------------- over a real socket
@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        pytest.param(datetime_value(16777216, 0), "datetime", id="datetime-issue-19"),
        pytest.param(decimal_value(5, 2, 100_000), "decimal", id="decimal"),
        pytest.param(date_value(3652059), "date", id="date"),
    ],
)
def test_server_answers_8023_and_the_connection_goes_on(
    server: Any, logins: dict[str, str], value: bytes, type_name: str
) -> None:
    client = RawClient(server.port)
    try:
        client.login("learninghub_app", logins["learninghub_app"])
        client.send(packet(RPC, rpc_call(int_value(7), value, decl="@P1 int, @P2 nvarchar(10)")))
        reply = client.read_message()
        assert error_tokens(reply) == [(8023, 1, 16, MSG_8023.format(n=4, name="@P2", type=type_name))]
        assert last_done_status(reply) & DONE_ERROR
        client.send(packet(SQL_BATCH, batch_payload("SELECT COUNT(*) FROM dbo.Courses WHERE CourseId = 9001")))
        reply = client.read_message()
        assert error_tokens(reply) == []
        assert not last_done_status(reply) & DONE_ERROR
        client.send(packet(RPC, rpc_call(int_value(7), datetime_value(0, 0), decl="@P1 int, @P2 datetime")))
        reply = client.read_message()
        assert error_tokens(reply) == []
    finally:
        client.close()


def test_binding_overflow_is_8115_and_the_connection_goes_on(server: Any, logins: dict[str, str]) -> None:
    client = RawClient(server.port)
    try:
        client.login("learninghub_app", logins["learninghub_app"])
        client.send(packet(RPC, rpc_call(float_value(1.6e29), decl="@P1 decimal(10,2)")))
        assert [e[0] for e in error_tokens(client.read_message())] == [8115]
        client.send(packet(SQL_BATCH, batch_payload("SELECT 1")))
        assert error_tokens(client.read_message()) == []
    finally:
        client.close()


def test_python_tds_nan_is_8023_and_the_connection_goes_on(tds: Any) -> None:
    import pytds

    with tds() as conn, conn.cursor() as cur:
        with pytest.raises(pytds.Error) as info:
            cur.execute("SELECT %s", (math.nan,))
        assert info.value.number == 8023
        assert 'Parameter 3 ("@P1")' in str(info.value)
        assert "data type float" in str(info.value)
        cur.execute("SELECT %s * 2", (1.5,))
        assert cur.fetchone() == (3.0,)
