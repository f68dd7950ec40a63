"""Fuzzing the packet, login and request parsers (hypothesis): generated and mutated inputs may only
ever produce a ProtocolError or a SqlError (which end or answer that one connection), never another
exception, a hang or a leaked thread. The default budget is 10,000+ parser inputs plus a few hundred
over real sockets, well under a minute; TWIN_MSSQL_FUZZ_EXAMPLES raises the per-parser count."""

from __future__ import annotations

import contextlib
import os
import struct
import threading
import time
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.twin.mssql.rawtds import (
    LOGIN7,
    PRELOGIN,
    RawClient,
    batch_payload,
    login7_payload,
    packet,
    prelogin_payload,
)
from twin.mssql.batch import classify, split
from twin.mssql.errors import SqlError
from twin.mssql.login import parse_login7, parse_prelogin
from twin.mssql.packets import ProtocolError, Reader
from twin.mssql.rpc import parse_rpc, skip_all_headers

EXAMPLES = int(os.environ.get("TWIN_MSSQL_FUZZ_EXAMPLES", "2600"))   # per parser: 4 parsers -> 10,400
SOCKET_EXAMPLES = max(50, EXAMPLES // 10)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _ucs2(s: str) -> bytes:
    return s.encode("utf-16-le")


def rpc_payload() -> bytes:
    """sp_executesql(N'SELECT @P1', N'@P1 int', @P1=5) with the statement as NVARCHAR(MAX) PLP."""
    headers = struct.pack("<IIHQI", 22, 18, 2, 0, 1)
    stmt = _ucs2("SELECT @P1 + 1")
    decl = _ucs2("@P1 int")
    out = headers + struct.pack("<HHH", 0xFFFF, 10, 0)
    out += b"\x00\x00" + b"\xe7\xff\xff" + bytes.fromhex("0904D00034") + struct.pack("<QI", len(stmt), len(stmt))
    out += stmt + b"\x00\x00\x00\x00"
    out += b"\x00\x00" + b"\xe7" + struct.pack("<H", 8000) + bytes.fromhex("0904D00034") + struct.pack("<H", len(decl))
    out += decl
    out += bytes((3,)) + _ucs2("@P1") + b"\x00" + b"\x26\x04\x04" + struct.pack("<i", 5)
    out += bytes((3,)) + _ucs2("@P2") + b"\x00" + b"\x6a\x11\x26\x02\x11" + b"\x01" + (1234).to_bytes(16, "little")
    return out


SEEDS = {"prelogin": prelogin_payload(), "login7": login7_payload("sa", "secret-pw"), "rpc": rpc_payload(),
         "batch": batch_payload("SELECT TOP 3 CourseId FROM dbo.Courses; SELECT N'x'")}


def mutations(seed: bytes) -> st.SearchStrategy[bytes]:
    edits = st.lists(st.tuples(st.integers(0, 4096), st.integers(0, 255)), max_size=10)
    return st.builds(_mutate, st.just(seed), edits, st.integers(0, len(seed) + 16),
                     st.binary(max_size=32))


def _mutate(seed: bytes, edits: list[tuple[int, int]], cut: int, tail: bytes) -> bytes:
    data = bytearray(seed)
    for pos, value in edits:
        data[pos % len(data)] = value
    return bytes(data[:cut]) + (tail if cut > len(seed) else b"")


def inputs(name: str) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=700), mutations(SEEDS[name]))


def _only_expected(fn: Any, data: bytes) -> None:
    with contextlib.suppress(ProtocolError, SqlError):
        fn(data)


def _batch(data: bytes) -> None:
    r = Reader(data)
    skip_all_headers(r)
    text = r.take(r.remaining()).decode("utf-16-le", "replace")
    for stmt_text, tokens in split(text):
        classify(stmt_text, tokens)


@FUZZ
@given(inputs("prelogin"))
def test_prelogin_parser(data: bytes) -> None:
    _only_expected(parse_prelogin, data)


@FUZZ
@given(inputs("login7"))
def test_login7_parser(data: bytes) -> None:
    _only_expected(parse_login7, data)


@FUZZ
@given(inputs("rpc"))
def test_rpc_parser(data: bytes) -> None:
    _only_expected(parse_rpc, data)


@FUZZ
@given(inputs("batch"))
def test_batch_splitter_and_classifier(data: bytes) -> None:
    _only_expected(_batch, data)


def test_seeds_are_valid() -> None:
    """The mutation seeds parse cleanly, so mutations start from real messages."""
    assert parse_prelogin(SEEDS["prelogin"])
    assert parse_login7(SEEDS["login7"]).username == "sa"
    (call,) = parse_rpc(SEEDS["rpc"])
    assert call.proc == "sp_executesql"
    assert [p.value for p in call.params][2:] == [5, Decimal("12.34")]
    _batch(SEEDS["batch"])


def _exchange(port: int, messages: list[bytes]) -> None:
    client = RawClient(port, timeout=3)
    try:
        for m in messages:
            client.send(m)
            client.read_message()
    except (ConnectionError, TimeoutError, OSError):
        pass
    finally:
        client.close()


def test_mutated_messages_over_real_sockets(server: Any, tds: Any, logins: dict[str, str]) -> None:
    threads_before = threading.active_count()
    strategy = st.one_of(
        st.builds(lambda d: [packet(PRELOGIN, d)], mutations(SEEDS["prelogin"])),
        st.builds(lambda d: [packet(PRELOGIN, SEEDS["prelogin"]), packet(LOGIN7, d)], mutations(SEEDS["login7"])),
        st.builds(lambda d: [packet(PRELOGIN, SEEDS["prelogin"]),
                             packet(LOGIN7, login7_payload("learninghub_app", logins["learninghub_app"])),
                             packet(3, d)], mutations(SEEDS["rpc"])),
        st.builds(lambda d: [packet(PRELOGIN, SEEDS["prelogin"]),
                             packet(LOGIN7, login7_payload("learninghub_app", logins["learninghub_app"])),
                             packet(1, d)], mutations(SEEDS["batch"])),
    )
    sent = 0

    @settings(max_examples=SOCKET_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(strategy)
    def run(messages: list[bytes]) -> None:
        nonlocal sent
        _exchange(server.port, messages)
        sent += 1

    run()
    assert sent >= SOCKET_EXAMPLES
    with tds() as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM dbo.Courses WHERE CourseId = %s", (9001,))
        assert cur.fetchone() == (1,)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (server.connections() or threading.active_count() > threads_before):
        time.sleep(0.05)
    assert server.connections() == 0
    assert threading.active_count() <= threads_before
