"""Microsoft's mssql-python (ODBC Driver 18 provider) against the stand-in, when it is installed:
with Encrypt=optional it logs in, runs sp_prepexec with positional parameters, reads declared types
and rolls back; with the default mandatory encryption it refuses, as it does against any server
without TLS. Skipped when the package (or libltdl7, which its driver needs) is missing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

mssql_python = pytest.importorskip("mssql_python")


@pytest.fixture(scope="module")
def connect(server: Any, logins: dict[str, str]) -> Any:
    def open_(encrypt: str) -> Any:
        return mssql_python.connect(
            f"Server=127.0.0.1,{server.port};Database=LearningHub;UID=learninghub_app;"
            f"PWD={logins['learninghub_app']};Encrypt={encrypt};TrustServerCertificate=yes"
        )

    try:
        open_("optional").close()
    except Exception as exc:
        if "Failed to load the driver" in str(exc):
            pytest.skip("mssql-python's ODBC driver cannot load here (libltdl7 missing)")
        raise
    return open_


def test_encrypt_optional_works_end_to_end(connect: Any) -> None:
    conn = connect("optional")
    try:
        cur = conn.cursor()
        cur.execute("SELECT CourseId, Code, Price, CreatedAt FROM dbo.Courses WHERE CourseId = ?", 9001)
        assert tuple(cur.fetchall()[0]) == (9001, "CANARY-001", Decimal("0.00"), dt.datetime(2024, 1, 1))
        cur.execute("SELECT Code FROM dbo.Courses WHERE Code = ?", "lh-101")
        assert [tuple(r) for r in cur.fetchall()] == [("LH-101",)]
        cur.execute(
            "INSERT INTO dbo.ExamSubmissions (CourseId, UserSub, Answers, SubmittedAt) "
            "VALUES (?, ?, ?, SYSUTCDATETIME())",
            1,
            "mssql-python",
            "[]",
        )
        assert cur.rowcount == 1
        conn.rollback()
        cur.execute("SELECT COUNT(*) FROM dbo.ExamSubmissions WHERE UserSub = ?", "mssql-python")
        assert cur.fetchone()[0] == 0
    finally:
        conn.close()


def test_mandatory_encryption_is_refused_by_the_driver(connect: Any) -> None:
    with pytest.raises(Exception, match="Encryption not supported"):
        connect("yes")
