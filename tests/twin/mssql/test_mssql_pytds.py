"""python-tds (the backend's and the probe's driver), unchanged, against the running stand-in:
login, queries, parameters, NULLs, every listed type, errors, transactions and row counts."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytds
import pytest

TYPES_DDL = """CREATE TABLE dbo.TypeProbe (
  Id INT NOT NULL PRIMARY KEY, B BIGINT NULL, S SMALLINT NULL, T TINYINT NULL, F BIT NULL,
  D DECIMAL(12,3) NULL, Fl FLOAT NULL, N NVARCHAR(50) NULL, NM NVARCHAR(MAX) NULL, V VARCHAR(30) NULL,
  DT DATETIME2 NULL, DA DATE NULL, G UNIQUEIDENTIFIER NULL, VB VARBINARY(16) NULL, VBM VARBINARY(MAX) NULL)"""
GUID = uuid.UUID("6F9619FF-8B86-D011-B42D-00C04FC964FF")
ROW = (
    1,
    2**40,
    -300,
    200,
    True,
    Decimal("12345.678"),
    1.5,
    "héllo ☃",
    "x" * 10000,
    "plain",
    dt.datetime(2024, 5, 6, 7, 8, 9, 123456),
    dt.date(2024, 5, 6),
    GUID,
    b"\x00\x01",
    b"\xff" * 9000,
)


@pytest.fixture(scope="module")
def typed_table(tds: Any) -> None:
    # bytes_to_unicode=False: pytds then sends bytes as VARBINARY instead of decoding them as text.
    with tds("sa", bytes_to_unicode=False) as conn, conn.cursor() as cur:
        cur.execute(TYPES_DDL)
        cur.execute(
            "INSERT INTO dbo.TypeProbe VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", ROW
        )
        cur.execute("INSERT INTO dbo.TypeProbe (Id) VALUES (2)")


def test_app_login_reads_the_seeded_courses(tds: Any) -> None:
    with tds() as conn, conn.cursor() as cur:
        cur.execute("SELECT CourseId, Code, Title, Price, IsPublished FROM dbo.Courses ORDER BY CourseId")
        rows = cur.fetchall()
    assert [r[0] for r in rows] == [*range(1, 21), 9001]
    assert rows[-1][1:3] == ("CANARY-001", "Canary course: do not delete")
    assert all(isinstance(r[3], Decimal) and r[3] == r[3].quantize(Decimal("0.01")) for r in rows)
    assert rows[9][3] == Decimal("119.70") and rows[-1][3] == 0
    assert rows[-1][4] is True


def test_wrong_password_is_error_18456_and_closed(tds: Any) -> None:
    with pytest.raises(pytds.OperationalError) as info:
        tds("learninghub_app", password="wrong")
    assert info.value.number == 18456
    assert "Login failed for user 'learninghub_app'." in str(info.value)


def test_unknown_login_is_18456(tds: Any) -> None:
    with pytest.raises(pytds.OperationalError) as info:
        tds("nobody", password="x")
    assert info.value.number == 18456


def test_unknown_database_is_4060(tds: Any) -> None:
    with pytest.raises(pytds.Error) as info:
        tds("sa", database="NoSuchDb")
    assert 'Cannot open database "NoSuchDb"' in str(info.value)


def test_every_listed_type_round_trips_through_parameters(tds: Any, typed_table: None) -> None:
    with tds("sa", bytes_to_unicode=False) as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM dbo.TypeProbe WHERE Id = %s", (1,))
        got = list(cur.fetchone())
        names = [d[0] for d in cur.description]
    assert names == ["Id", "B", "S", "T", "F", "D", "Fl", "N", "NM", "V", "DT", "DA", "G", "VB", "VBM"]
    assert got[9] == b"plain"  # VARCHAR comes back as bytes when pytds runs with bytes_to_unicode=False
    got[9] = "plain"
    assert tuple(got) == ROW


def test_nulls_come_back_as_none_with_declared_types(tds: Any, typed_table: None) -> None:
    with tds("sa") as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM dbo.TypeProbe WHERE Id = 2")
        row = cur.fetchone()
        with_value = [d[1] for d in cur.description]
        cur.execute("SELECT * FROM dbo.TypeProbe WHERE 1 = 0")
        assert cur.fetchall() == []
        empty = [d[1] for d in cur.description]
    assert row[0] == 2 and all(v is None for v in row[1:])
    assert with_value == empty  # declared types, never guessed from values


def test_declared_types_reach_the_driver(tds: Any, typed_table: None) -> None:
    with tds("sa") as conn, conn.cursor() as cur:
        cur.execute("SELECT D, N, NM FROM dbo.TypeProbe WHERE Id = 1")
        cur.fetchall()
        d, n, nm = cur.description
    assert (d[4], d[5]) == (12, 3)  # DECIMAL(12,3): precision, scale
    assert n[3] == 50 and nm[3] == -1  # NVARCHAR(50), NVARCHAR(MAX)


def test_parameters_of_every_python_type(tds: Any) -> None:
    with tds() as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT %s, %s, %s, %s, %s, %s, %s",
            (7, 2**40, 1.25, "txt", Decimal("1.50"), dt.datetime(2024, 1, 2, 3, 4, 5), GUID),
        )
        assert cur.fetchone() == (7, 2**40, 1.25, "txt", Decimal("1.50"), dt.datetime(2024, 1, 2, 3, 4, 5), GUID)
        cur.execute("SELECT %(a)s + %(b)s", {"a": 2, "b": 3})
        assert cur.fetchone() == (5,)
        cur.execute("SELECT Code FROM dbo.Courses WHERE CourseId = %s AND Title IS NOT %s", (9001, None))
        assert cur.fetchone() == ("CANARY-001",)


def test_insert_output_inserted_and_scope_identity(tds: Any) -> None:
    with tds() as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO dbo.ExamSubmissions (CourseId, UserSub, Answers, SubmittedAt) OUTPUT INSERTED.ExamId, "
            "INSERTED.UserSub VALUES (%s, %s, %s, SYSUTCDATETIME())",
            (3, "sub-a", '["x"]'),
        )
        exam_id, sub = cur.fetchone()
        assert sub == "sub-a" and exam_id > 0
        cur.execute(
            "INSERT INTO dbo.ExamSubmissions (CourseId, UserSub, Answers, SubmittedAt) VALUES "
            "(3, N'sub-b', N'[]', GETUTCDATE()); SELECT CAST(SCOPE_IDENTITY() AS INT)"
        )
        assert cur.rowcount == 1
        assert cur.nextset()
        assert cur.fetchone() == (exam_id + 1,)


def test_row_counts(tds: Any) -> None:
    with tds() as conn, conn.cursor() as cur:
        cur.execute("UPDATE dbo.Courses SET Title = Title WHERE CourseId <= %s", (4,))
        assert cur.rowcount == 4
        cur.execute("UPDATE dbo.Courses SET Title = Title WHERE CourseId = -1")
        assert cur.rowcount == 0
        cur.execute("SET NOCOUNT ON; UPDATE dbo.Courses SET Title = Title WHERE CourseId <= 2")
        assert cur.rowcount == -1


def test_transactions_commit_and_rollback(tds: Any) -> None:
    with tds(autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("UPDATE dbo.Courses SET Title = N'changed' WHERE CourseId = 7")
        conn.rollback()
        cur.execute("SELECT Title FROM dbo.Courses WHERE CourseId = 7")
        assert cur.fetchone() == ("Serverless Architectures",)
        cur.execute("UPDATE dbo.Courses SET Description = N'committed' WHERE CourseId = 7")
        conn.commit()
    with tds() as other, other.cursor() as cur:
        cur.execute("SELECT Description FROM dbo.Courses WHERE CourseId = 7")
        assert cur.fetchone() == ("committed",)


@pytest.mark.parametrize(
    ("sql", "number", "exc"),
    [
        ("SELEC 1", 102, pytds.ProgrammingError),
        ("SELECT NoSuchColumn FROM dbo.Courses", 207, pytds.ProgrammingError),
        ("SELECT * FROM dbo.NoSuchTable", 208, pytds.ProgrammingError),
        ("DELETE FROM dbo.Courses WHERE CourseId = 1", 229, pytds.OperationalError),
        (
            "INSERT INTO dbo.Courses (CourseId, Code, Title, Credits, Price, IsPublished, CreatedAt) "
            "VALUES (500, N'X-500', NULL, 1, 1, 1, SYSUTCDATETIME())",
            515,
            pytds.IntegrityError,
        ),
        (
            "INSERT INTO dbo.ExamSubmissions (CourseId, UserSub, Answers, SubmittedAt) "
            "VALUES (424242, N's', N'[]', SYSUTCDATETIME())",
            547,
            pytds.IntegrityError,
        ),
        (
            "INSERT INTO dbo.Courses (CourseId, Code, Title, Credits, Price, IsPublished, CreatedAt) "
            "VALUES (1, N'X-1', N't', 1, 1, 1, SYSUTCDATETIME())",
            2627,
            pytds.IntegrityError,
        ),
        (
            "INSERT INTO dbo.Courses (CourseId, Code, Title, Credits, Price, IsPublished, CreatedAt) "
            "VALUES (501, N'lh-101', N't', 1, 1, 1, SYSUTCDATETIME())",
            2627,
            pytds.IntegrityError,
        ),
    ],
)
def test_errors_carry_sql_server_numbers(tds: Any, sql: str, number: int, exc: type[pytds.Error]) -> None:
    with tds() as conn, conn.cursor() as cur:
        with pytest.raises(exc) as info:
            cur.execute(sql)
        assert info.value.number == number
        cur.execute("SELECT 1")  # the connection stays usable
        assert cur.fetchone() == (1,)


def test_error_through_rpc_keeps_the_connection(tds: Any) -> None:
    with tds() as conn, conn.cursor() as cur:
        with pytest.raises(pytds.ProgrammingError) as info:
            cur.execute("SELECT * FROM dbo.Missing WHERE x = %s", (1,))
        assert info.value.number == 208 and info.value.severity == 16
        cur.execute("SELECT %s", (5,))
        assert cur.fetchone() == (5,)


def test_prepared_statement_procedures(tds: Any) -> None:
    from pytds.tds_base import InternalProc

    prepare, execute = InternalProc(11, "sp_prepare"), InternalProc(12, "sp_execute")
    prepexec, unprepare = InternalProc(13, "sp_prepexec"), InternalProc(15, "sp_unprepare")
    with tds() as conn, conn.cursor() as cur:
        handle = cur.callproc(
            prepare, [pytds.output(param_type="int"), "@id int", "SELECT Code FROM dbo.Courses WHERE CourseId = @id"]
        )[0]
        assert isinstance(handle, int)
        cur.callproc(execute, [handle, 2])
        assert cur.fetchall() == [("LH-102",)]
        cur.callproc(unprepare, [handle])
        with pytest.raises(pytds.Error):
            cur.callproc(execute, [handle, 2])
        cur.callproc(
            prepexec,
            [pytds.output(param_type="int"), "@id int", "SELECT Code FROM dbo.Courses WHERE CourseId = @id", 3],
        )
        assert cur.fetchall() == [("LH-103",)]
        second = cur.get_proc_outputs()[0]
        assert isinstance(second, int) and second != handle
        cur.callproc(unprepare, [second])


def test_unread_result_then_new_query_uses_attention(tds: Any) -> None:
    with tds() as conn, conn.cursor() as cur:
        cur.execute("SELECT CourseId FROM dbo.Courses ORDER BY CourseId")
        assert cur.fetchone() == (1,)
        cur.execute("SELECT COUNT(*) FROM dbo.Courses")  # pytds cancels the pending result first
        assert cur.fetchone() == (21,)


def test_attention_stops_a_long_statement(server: Any, logins: dict[str, str]) -> None:
    """ATTENTION while SQLite is still computing: the statement is interrupted and acknowledged."""
    import time

    from tests.twin.mssql.rawtds import ATTENTION, SQL_BATCH, RawClient, batch_payload, last_done_status, packet

    client = RawClient(server.port)
    try:
        client.login("learninghub_app", logins["learninghub_app"])
        client.send(
            packet(
                SQL_BATCH,
                batch_payload(
                    "SELECT COUNT(*) FROM dbo.Courses a, dbo.Courses b, dbo.Courses c, dbo.Courses d, dbo.Courses e, "
                    "dbo.Courses f, dbo.Courses g"
                ),
            )
        )
        time.sleep(0.3)
        started = time.monotonic()
        client.send(packet(ATTENTION, b""))
        reply = client.read_message()
        assert last_done_status(reply) & 0x20  # DONE_ATTN
        assert time.monotonic() - started < 3
        client.send(packet(SQL_BATCH, batch_payload("SELECT 1")))
        assert last_done_status(client.read_message()) == 0x10  # the session goes on
    finally:
        client.close()
