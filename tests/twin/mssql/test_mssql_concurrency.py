"""Concurrent clients on one SQLite file (WAL): readers never wait for writers, a writer waits for
another writer's commit (bounded) instead of surfacing "database is locked", and a burst of
parallel write transactions finishes without a single spurious error."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytds
import pytest

from twin.mssql import engine as engine_module


def test_a_writer_waits_for_another_writers_commit(tds: Any) -> None:
    holder = tds(autocommit=False)
    waiter = tds()
    try:
        hc = holder.cursor()
        hc.execute("UPDATE dbo.Courses SET Description = N'first' WHERE CourseId = 13")
        done: dict[str, float] = {}

        def second_writer() -> None:
            started = time.monotonic()
            waiter.cursor().execute("UPDATE dbo.Courses SET Description = N'second' WHERE CourseId = 14")
            done["waited"] = time.monotonic() - started

        t = threading.Thread(target=second_writer)
        t.start()
        time.sleep(0.5)
        assert "waited" not in done  # blocked behind the open write transaction, not failed
        holder.commit()
        t.join(10)
        assert done["waited"] >= 0.4
        wc = waiter.cursor()
        wc.execute("SELECT Description FROM dbo.Courses WHERE CourseId IN (13, 14) ORDER BY CourseId")
        assert wc.fetchall() == [("first",), ("second",)]
    finally:
        holder.close()
        waiter.close()


def test_lock_wait_is_bounded(tds: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "LOCK_TIMEOUT_S", 0.5)
    holder = tds(autocommit=False)
    other = tds()
    try:
        holder.cursor().execute("UPDATE dbo.Courses SET Description = N'held' WHERE CourseId = 15")
        with pytest.raises(pytds.Error) as info:
            other.cursor().execute("UPDATE dbo.Courses SET Description = N'other' WHERE CourseId = 16")
        assert info.value.number == 1222
        holder.rollback()
    finally:
        holder.close()
        other.close()


def test_readers_do_not_wait_for_an_open_write(tds: Any) -> None:
    holder = tds(autocommit=False)
    reader = tds()
    try:
        holder.cursor().execute("UPDATE dbo.Courses SET Description = N'uncommitted' WHERE CourseId = 17")
        started = time.monotonic()
        cur = reader.cursor()
        cur.execute("SELECT Description FROM dbo.Courses WHERE CourseId = 17")
        assert cur.fetchone()[0] != "uncommitted"
        assert time.monotonic() - started < 1
    finally:
        holder.rollback()
        holder.close()
        reader.close()


def test_parallel_write_transactions_never_see_lock_errors(tds: Any) -> None:
    workers, per_worker = 6, 25

    def work(n: int) -> int:
        conn = tds(autocommit=False)
        try:
            cur = conn.cursor()
            for i in range(per_worker):
                cur.execute(
                    "INSERT INTO dbo.ExamSubmissions (CourseId, UserSub, Answers, SubmittedAt) "
                    "OUTPUT INSERTED.ExamId VALUES (%s, %s, %s, SYSUTCDATETIME())",
                    (1 + (n + i) % 20, f"load-{n}", f'["{i}"]'),
                )
                cur.fetchall()
                cur.execute("SELECT COUNT(*) FROM dbo.ExamSubmissions WHERE UserSub = %s", (f"load-{n}",))
                assert cur.fetchone() == (i + 1,)
                conn.commit()
            return per_worker
        finally:
            conn.close()

    with ThreadPoolExecutor(workers) as pool:
        assert sum(pool.map(work, range(workers))) == workers * per_worker
    with tds() as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM dbo.ExamSubmissions WHERE UserSub LIKE 'load-%'")
        assert cur.fetchone() == (workers * per_worker,)


def test_a_writer_that_disconnects_releases_the_writer_slot(tds: Any, server: Any, logins: dict[str, str]) -> None:
    from tests.twin.mssql.rawtds import SQL_BATCH, RawClient, batch_payload, packet

    client = RawClient(server.port)
    client.login("learninghub_app", logins["learninghub_app"])
    client.send(
        packet(
            SQL_BATCH,
            batch_payload("BEGIN TRAN; UPDATE dbo.Courses SET Description = N'abandoned' WHERE CourseId = 18"),
        )
    )
    client.read_message()
    client.close()  # gone with the transaction open
    started = time.monotonic()
    with tds() as conn, conn.cursor() as cur:
        cur.execute("UPDATE dbo.Courses SET Description = N'next writer' WHERE CourseId = 18")
        cur.execute("SELECT Description FROM dbo.Courses WHERE CourseId = 18")
        assert cur.fetchone() == ("next writer",)
    assert time.monotonic() - started < 5  # rolled back and released, not held until a timeout
