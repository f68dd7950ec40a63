"""pymssql (FreeTDS), unchanged, against the running stand-in: it sends ENCRYPT_OFF, no RPC
(parameters are inlined as N'...' literals), T-SQL BEGIN TRAN / IF @@TRANCOUNT > 0 COMMIT TRAN."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pymssql
import pytest

DDL = """CREATE TABLE dbo.MsTypes (
  Id INT NOT NULL PRIMARY KEY, B BIGINT NULL, S SMALLINT NULL, T TINYINT NULL, F BIT NULL,
  D DECIMAL(9,4) NULL, Fl FLOAT NULL, N NVARCHAR(40) NULL, NM NVARCHAR(MAX) NULL, V VARCHAR(20) NULL,
  DT DATETIME2 NULL, DA DATE NULL, G UNIQUEIDENTIFIER NULL, VB VARBINARY(MAX) NULL)"""
GUID = uuid.UUID("0E984725-C51C-4BF4-9960-E1C80E27ABA0")
ROW = (
    1,
    -(2**40),
    32000,
    255,
    False,
    Decimal("-12.3456"),
    -0.5,
    "Grüße ✓",
    "y" * 6000,
    "ascii",
    dt.datetime(2023, 12, 31, 23, 59, 58, 500000),
    dt.date(2020, 2, 29),
    GUID,
    b"\x01\x02\x03",
)


@pytest.fixture(scope="module")
def ms_table(ms: Any) -> None:
    conn = ms("sa", autocommit=True)
    try:
        cur = conn.cursor()
        cur.execute(DDL)
        cur.execute("INSERT INTO dbo.MsTypes VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", ROW)
        cur.execute("INSERT INTO dbo.MsTypes (Id) VALUES (%s)", (2,))
    finally:
        conn.close()


def test_login_and_query(ms: Any) -> None:
    conn = ms()
    try:
        cur = conn.cursor()
        cur.execute("SELECT CourseId, Code FROM dbo.Courses WHERE CourseId = %s", (9001,))
        assert cur.fetchall() == [(9001, "CANARY-001")]
        cur.execute("SELECT DB_NAME(), SYSTEM_USER")
        assert cur.fetchone() == ("LearningHub", "learninghub_app")
    finally:
        conn.close()


def test_wrong_password_is_18456(ms: Any) -> None:
    with pytest.raises(pymssql.OperationalError) as info:
        ms(password="nope")
    number, text = info.value.args[0]
    assert number == 18456 and b"Login failed for user 'learninghub_app'." in text


def test_unknown_database_is_4060(ms: Any) -> None:
    with pytest.raises(pymssql.OperationalError) as info:
        ms(database="Elsewhere")
    # SQL Server sends 4060 (class 11) then 18456; DB-Lib reports the last one (which earlier message
    # text it keeps depends on its process-wide handler state, so only the number is checked here;
    # the 4060 text is checked through python-tds).
    assert info.value.args[0][0] == 18456


def test_every_listed_type_and_nulls(ms: Any, ms_table: None) -> None:
    conn = ms("sa")
    try:
        cur = conn.cursor()
        cur.execute("SELECT * FROM dbo.MsTypes ORDER BY Id")
        full, nulls = cur.fetchall()
    finally:
        conn.close()
    assert full[:10] == ROW[:10]
    assert full[10] == ROW[10] and full[11] == ROW[11]
    assert uuid.UUID(str(full[12])) == GUID
    assert bytes(full[13]) == ROW[13]
    assert nulls[0] == 2 and all(v is None for v in nulls[1:])


def test_case_insensitive_and_string_concat(ms: Any) -> None:
    conn = ms()
    try:
        cur = conn.cursor()
        cur.execute("SELECT Code + N'/' + Title FROM dbo.Courses WHERE Code = %s", ("canary-001",))
        assert cur.fetchall() == [("CANARY-001/Canary course: do not delete",)]
    finally:
        conn.close()


def test_errors_keep_numbers(ms: Any) -> None:
    conn = ms()
    try:
        cur = conn.cursor()
        with pytest.raises(pymssql.ProgrammingError) as missing:
            cur.execute("SELECT * FROM dbo.Nope")
        assert missing.value.args[0] == 208
        with pytest.raises(pymssql.DatabaseError) as denied:
            cur.execute("DELETE FROM dbo.Courses WHERE CourseId = %s", (1,))
        assert denied.value.args[0] == 229
        with pytest.raises(pymssql.IntegrityError) as info:
            cur.execute(
                "INSERT INTO dbo.ExamSubmissions (CourseId, UserSub, Answers, SubmittedAt) "
                "VALUES (%s, %s, %s, SYSUTCDATETIME())",
                (31337, "s", "[]"),
            )
        assert info.value.args[0] == 547
        cur.execute("SELECT 2")
        assert cur.fetchone() == (2,)
    finally:
        conn.close()


def test_transactions_and_row_counts(ms: Any) -> None:
    conn = ms()
    try:
        cur = conn.cursor()
        cur.execute(
            "INSERT INTO dbo.ExamSubmissions (CourseId, UserSub, Answers, SubmittedAt) "
            "VALUES (%s, %s, %s, SYSUTCDATETIME())",
            (2, "pymssql-rollback", "[]"),
        )
        assert cur.rowcount == 1
        conn.rollback()
        cur.execute("SELECT COUNT(*) FROM dbo.ExamSubmissions WHERE UserSub = %s", ("pymssql-rollback",))
        assert cur.fetchone() == (0,)
        cur.execute(
            "INSERT INTO dbo.ExamSubmissions (CourseId, UserSub, Answers, SubmittedAt) "
            "OUTPUT INSERTED.ExamId VALUES (%s, %s, %s, SYSUTCDATETIME())",
            (2, "pymssql-commit", "[]"),
        )
        exam_id = cur.fetchone()[0]
        conn.commit()
        cur.execute("UPDATE dbo.ExamSubmissions SET Score = %s WHERE ExamId = %s", (Decimal("87.50"), exam_id))
        assert cur.rowcount == 1
        conn.commit()
    finally:
        conn.close()
    other = ms()
    try:
        cur = other.cursor()
        cur.execute("SELECT UserSub, Score FROM dbo.ExamSubmissions WHERE ExamId = %s", (exam_id,))
        assert cur.fetchone() == ("pymssql-commit", Decimal("87.50"))
    finally:
        other.close()
