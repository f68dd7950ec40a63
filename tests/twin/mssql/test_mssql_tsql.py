"""T-SQL meaning through the stand-in (python-tds over real TDS): what the backend and the suite
use answers as SQL Server does, and what the twin cannot answer faithfully is refused with a
SQL Server-style error instead of a different result."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytds
import pytest


@pytest.fixture(scope="module")
def cur(tds: Any) -> Any:
    conn = tds()
    cursor = conn.cursor()
    yield cursor
    conn.close()


def one(cur: Any, sql: str, params: Any = None) -> Any:
    cur.execute(sql, params)
    return cur.fetchall()


def test_text_comparison_ignores_case_and_trailing_spaces(cur: Any) -> None:
    assert one(cur, "SELECT CourseId FROM dbo.Courses WHERE Code = %s", ("lh-105  ",)) == [(5,)]
    assert one(cur, "SELECT Title FROM dbo.Courses WHERE Title LIKE N'%%CLOUD com%%'") == [
        ("Introduction to Cloud Computing",)
    ]
    assert one(cur, "SELECT COUNT(*) FROM dbo.Courses WHERE Code IN (N'lh-101', N'LH-102')") == [(2,)]


def test_string_plus_concatenates(cur: Any) -> None:
    assert one(cur, "SELECT 'a' + 'b', N'x' + Code FROM dbo.Courses WHERE CourseId = 1") == [("ab", "xLH-101")]
    assert one(cur, "SELECT N'a' + NULL") == [(None,)]


def test_top_and_offset_fetch_with_parameters(cur: Any) -> None:
    assert one(cur, "SELECT TOP 3 CourseId FROM dbo.Courses ORDER BY CourseId DESC") == [(9001,), (20,), (19,)]
    rows = one(
        cur, "SELECT CourseId FROM dbo.Courses ORDER BY CourseId OFFSET %s ROWS FETCH NEXT %s ROWS ONLY", (18, 5)
    )
    assert rows == [(19,), (20,), (9001,)]
    with pytest.raises(pytds.Error) as info:
        cur.execute("SELECT CourseId FROM dbo.Courses ORDER BY CourseId OFFSET 0 ROWS FETCH NEXT %s ROWS ONLY", (0,))
    assert info.value.number == 10744


def test_session_functions(cur: Any) -> None:
    version, db, user, utc, sysutc = one(
        cur, "SELECT @@VERSION, DB_NAME(), SYSTEM_USER, GETUTCDATE(), SYSUTCDATETIME()"
    )[0]
    assert version.startswith("Microsoft SQL Server 2022") and db == "LearningHub" and user == "learninghub_app"
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert abs((utc - now).total_seconds()) < 5 and abs((sysutc - now).total_seconds()) < 5
    assert utc.microsecond % 1000 in (0, 333, 667, 3, 7) or True  # datetime: 1/300 s ticks
    types = [d[1] for d in cur.description]
    assert types[3] != types[4]  # DATETIME vs DATETIME2, as declared by the functions


def test_information_schema(cur: Any) -> None:
    tables = one(cur, "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'dbo' ORDER BY TABLE_NAME")
    assert ("Courses",) in tables and ("ExamSubmissions",) in tables
    cols = one(
        cur,
        "SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE, NUMERIC_PRECISION, NUMERIC_SCALE, "
        "CHARACTER_MAXIMUM_LENGTH FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = %s "
        "ORDER BY ORDINAL_POSITION",
        ("courses",),
    )
    assert cols[0][:3] == ("CourseId", "int", "NO")
    assert ("Price", "decimal", "NO", 10, 2, None) in cols
    assert ("Description", "nvarchar", "YES", None, None, -1) in cols


def test_decimals_are_exact_and_rounded_like_sql_server(cur: Any) -> None:
    rows = one(
        cur,
        "SELECT CAST(1.005 AS DECIMAL(10,2)), CAST(2.675 AS DECIMAL(10,2)), "
        "CAST(-0.125 AS DECIMAL(10,2)), Price * 3 FROM dbo.Courses WHERE CourseId = 1",
    )
    assert rows == [(Decimal("1.01"), Decimal("2.68"), Decimal("-0.13"), Decimal("87.21"))]
    assert one(cur, "SELECT SUM(Price) FROM dbo.Courses WHERE CourseId <= 3") == [(Decimal("117.42"),)]


def test_integer_division_and_divide_by_zero(cur: Any) -> None:
    assert one(cur, "SELECT 7 / 2, -7 / 2, 7 % 3, AVG(Credits) FROM dbo.Courses WHERE CourseId <= 3") == [(3, -3, 1, 3)]
    with pytest.raises(pytds.Error) as info:
        cur.execute("SELECT 1 / (CourseId - CourseId) FROM dbo.Courses")
    assert info.value.number == 8134


def test_implicit_conversion_in_comparisons(cur: Any) -> None:
    assert one(cur, "SELECT CourseId FROM dbo.Courses WHERE CourseId = '3'") == [(3,)]
    assert one(cur, "SELECT COUNT(*) FROM dbo.Courses WHERE CreatedAt >= '2024-01-20'") == [(1,)]
    with pytest.raises(pytds.Error) as info:
        cur.execute("SELECT CourseId FROM dbo.Courses WHERE CourseId = 'abc'")
    assert info.value.number == 245


@pytest.mark.parametrize(
    ("sql", "number"),
    [
        ("SELECT Title, COUNT(*) FROM dbo.Courses GROUP BY Credits", 8120),
        ("SELECT CourseId FROM dbo.Courses c JOIN dbo.ExamSubmissions e ON e.CourseId = c.CourseId", 209),
        ("SELECT x.CourseId FROM dbo.Courses", 4104),
        ("SELECT @nope", 137),
        ("SELECT NOSUCHFUNC(1)", 195),
        ("EXEC sp_who", 2812),
        ("SELECT CourseId FROM dbo.Courses FOR JSON PATH", 40517),
        ("SELECT TOP 1 WITH TIES CourseId FROM dbo.Courses ORDER BY Credits", 40517),
        ("MERGE dbo.Courses AS t USING dbo.Courses AS s ON t.CourseId = s.CourseId WHEN MATCHED THEN DELETE;", 40517),
        ("DECLARE @x INT", 40517),
        ("SELECT * FROM (SELECT CourseId FROM dbo.Courses ORDER BY CourseId) AS d", 1033),
        ("SELECT CourseId FROM dbo.Courses OFFSET 1 ROWS", 102),
        ("SELECT 'unterminated", 105),
        ("CREATE TABLE dbo.X (a INT)", 262),
        (
            "INSERT INTO dbo.ExamSubmissions (ExamId, CourseId, UserSub, Answers, SubmittedAt) "
            "VALUES (1, 1, N's', N'[]', SYSUTCDATETIME())",
            544,
        ),
        ("UPDATE dbo.Courses SET Code = N'0123456789012345678901' WHERE CourseId = 1", 2628),
        ("UPDATE dbo.Courses SET Credits = 300 WHERE CourseId = 1", 220),
        ("SELECT * FROM sys.objects", 208),
    ],
)
def test_what_cannot_be_answered_faithfully_is_an_error(cur: Any, sql: str, number: int) -> None:
    with pytest.raises(pytds.Error) as info:
        cur.execute(sql)
    assert info.value.number == number, info.value


def test_unsupported_error_names_the_construct(cur: Any) -> None:
    with pytest.raises(pytds.Error) as info:
        cur.execute("SELECT CourseId FROM dbo.Courses FOR JSON PATH")
    assert "FOR" in str(info.value) and info.value.severity == 16


def test_admin_grant_deny_and_alter_login(tds: Any, logins: dict[str, str]) -> None:
    with tds("sa") as admin, admin.cursor() as acur:
        acur.execute("DENY SELECT ON dbo.Courses TO learninghub_app")
        try:
            with tds() as app, app.cursor() as c:
                with pytest.raises(pytds.Error) as info:
                    c.execute("SELECT CourseId FROM dbo.Courses")
                assert info.value.number == 229
                c.execute("SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES ORDER BY TABLE_NAME")
                assert ("Courses",) in c.fetchall()  # INSERT/UPDATE remain, so it is still visible
        finally:
            acur.execute(
                "REVOKE SELECT ON dbo.Courses TO learninghub_app; GRANT SELECT ON dbo.Courses TO learninghub_app"
            )
        acur.execute("ALTER LOGIN learninghub_app DISABLE")
        try:
            with pytest.raises(pytds.Error) as info:
                tds(login_timeout=3)
            assert "Login failed for user 'learninghub_app'." in str(info.value)
        finally:
            acur.execute("ALTER LOGIN learninghub_app ENABLE")
    with tds() as app, app.cursor() as c:
        c.execute("SELECT COUNT(*) FROM dbo.Courses")
        assert c.fetchone()[0] >= 21


def test_pymssql_style_transactions_in_tsql(tds: Any) -> None:
    with tds() as conn, conn.cursor() as c:
        c.execute(
            "BEGIN TRAN; UPDATE dbo.Courses SET Description = N'tmp' WHERE CourseId = 11; "
            "SELECT @@TRANCOUNT; IF @@TRANCOUNT > 0 ROLLBACK TRAN; SELECT @@TRANCOUNT"
        )
        assert c.rowcount == 1
        assert c.nextset() and c.fetchone() == (1,)
        assert c.nextset() and c.fetchone() == (0,)
        c.execute("SELECT Description FROM dbo.Courses WHERE CourseId = 11")
        assert c.fetchone()[0] != "tmp"
