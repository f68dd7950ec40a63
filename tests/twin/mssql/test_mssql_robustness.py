"""Malformed, truncated or oversized packets, a login that never finishes, a client that leaves
mid-result: that connection ends (with an error token where the stream allows), and the server
keeps serving everyone else with no connection thread left behind."""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.twin.mssql.rawtds import (
    LOGIN7,
    PRELOGIN,
    SQL_BATCH,
    RawClient,
    batch_payload,
    last_done_status,
    login7_payload,
    packet,
    prelogin_payload,
)
from twin.mssql import session as session_module


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def assert_still_serving(tds: Any) -> None:
    with tds() as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM dbo.Courses")
        assert cur.fetchone()[0] >= 21


@pytest.mark.parametrize(
    "data",
    [
        struct.pack(">BBHHBB", 18, 1, 4, 0, 0, 0),  # header length below 8
        struct.pack(">BBHHBB", 18, 1, 40000, 0, 0, 0),  # header length above 32767
        packet(PRELOGIN, b"\x00\x00\x50\x00\x10\xff"),  # option points outside the message
        packet(LOGIN7, b"\x00" * 20),  # LOGIN7 shorter than its fixed part
        packet(SQL_BATCH, batch_payload("SELECT 1")),  # a query before login
        packet(99, b"garbage"),  # unknown packet type
    ],
)
def test_malformed_first_message_ends_that_connection(server: Any, tds: Any, data: bytes) -> None:
    client = RawClient(server.port)
    try:
        client.send(data)
        assert client.closed_by_server(within=5)
    finally:
        client.close()
    assert_still_serving(tds)
    assert wait_for(lambda: server.connections() == 0)


def test_truncated_message_then_disconnect(server: Any, tds: Any) -> None:
    client = RawClient(server.port)
    client.send(packet(PRELOGIN, prelogin_payload())[:11])
    client.close()
    assert_still_serving(tds)
    assert wait_for(lambda: server.connections() == 0)


def test_a_message_that_never_ends_is_cut_off(server: Any, tds: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_module, "LOGIN_TIMEOUT_S", 1.0)
    monkeypatch.setattr(session_module, "BODY_TIMEOUT_S", 1.0)
    client = RawClient(server.port)
    try:
        client.send(packet(PRELOGIN, prelogin_payload(), status=0))  # no EOM: more packets promised, never sent
        assert client.closed_by_server(within=5)
    finally:
        client.close()
    assert_still_serving(tds)


def test_a_login_that_never_finishes_is_closed(server: Any, tds: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_module, "LOGIN_TIMEOUT_S", 1.0)
    client = RawClient(server.port)
    try:
        client.send(packet(PRELOGIN, prelogin_payload()))
        client.read_message()
        started = time.monotonic()
        assert client.closed_by_server(within=5)  # LOGIN7 never comes
        assert time.monotonic() - started < 4
    finally:
        client.close()
    assert_still_serving(tds)


def test_oversized_message_is_refused(
    server: Any, tds: Any, logins: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "MAX_MESSAGE", 64 * 1024)
    client = RawClient(server.port)
    try:
        client.login("learninghub_app", logins["learninghub_app"])
        chunk = b"\x00" * 4000
        for _ in range(40):  # 160 KB in non-final packets
            client.send(packet(SQL_BATCH, chunk, status=0))
            if client.closed_by_server(within=0.01):
                break
        assert client.closed_by_server(within=5)
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        client.close()
    assert_still_serving(tds)


def test_bad_login_version_and_integrated_auth_are_refused(server: Any, logins: dict[str, str]) -> None:
    client = RawClient(server.port)
    try:
        client.send(packet(PRELOGIN, prelogin_payload()))
        client.read_message()
        client.send(packet(LOGIN7, login7_payload("sa", logins["sa"], tds_version=0x71000001)))
        reply = client.read_message()
        assert reply[0] == 0xAA and last_done_status(reply) & 0x02
        assert client.closed_by_server(within=5)
    finally:
        client.close()


def test_client_disconnecting_mid_result(server: Any, tds: Any, logins: dict[str, str]) -> None:
    before = server.connections()
    for _ in range(5):
        client = RawClient(server.port)
        client.login("learninghub_app", logins["learninghub_app"])
        client.send(
            packet(
                SQL_BATCH,
                batch_payload("SELECT a.Title, b.Description FROM dbo.Courses a, dbo.Courses b, dbo.Courses c"),
            )
        )
        client.read_exact(8)  # the first packet header of a multi-megabyte reply, then vanish
        client.close()
    assert_still_serving(tds)
    assert wait_for(lambda: server.connections() <= before)


def test_garbage_after_login_ends_only_that_connection(server: Any, tds: Any, logins: dict[str, str]) -> None:
    client = RawClient(server.port)
    try:
        client.login("learninghub_app", logins["learninghub_app"])
        client.send(packet(3, b"\x01\x02"))  # an RPC too short to hold ALL_HEADERS
        reply = client.read_message()
        assert reply[0] == 0xAA  # ERROR token (4002), then the server closes
        assert client.closed_by_server(within=5)
    finally:
        client.close()
    assert_still_serving(tds)


def test_error_in_one_session_does_not_touch_another(tds: Any) -> None:
    with tds(autocommit=False) as a, tds() as b:
        ca, cb = a.cursor(), b.cursor()
        ca.execute("UPDATE dbo.Courses SET Description = N'held' WHERE CourseId = 12")
        with pytest.raises(Exception):  # noqa: B017 - any SQL error
            ca.execute("SELECT * FROM dbo.Nope")
        cb.execute("SELECT Description FROM dbo.Courses WHERE CourseId = 12")
        assert cb.fetchone()[0] != "held"  # READ COMMITTED: b never sees a's uncommitted write
        a.rollback()
