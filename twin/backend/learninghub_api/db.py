"""Data access: SQL Server through python-tds, credentials from Secrets Manager.

Module state plays the part of a warm Lambda container: the Secrets Manager client, the secret and
the connection are made on first use and reused by later invocations. A failure that means the
database (or the way to it) is gone drops the connection and the cached secret (it may have been
rotated) and tries once more; a second failure is DatabaseUnavailable. Every statement is
parameterised (pytds sends it through sp_executesql).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
import pytds
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

LOGIN_TIMEOUT_S = 2
QUERY_TIMEOUT_S = 3
_SECRETS_CONFIG = Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 1})
# The database or the path to it is unavailable, as opposed to a bug in a statement
# (pytds.ProgrammingError, IntegrityError), which is left to raise.
_UNAVAILABLE = (pytds.OperationalError, pytds.InterfaceError, OSError, BotoCoreError, ClientError)

_secrets_client: Any = None
_secret: dict[str, Any] | None = None
_connection: Any = None


class DatabaseUnavailable(Exception):
    """Secret or SQL Server unreachable even after one reconnect."""


def _db_secret() -> dict[str, Any]:
    global _secrets_client, _secret
    if _secret is None:
        if _secrets_client is None:
            # The endpoint comes from AWS_ENDPOINT_URL when set (the twin), else the region's own.
            _secrets_client = boto3.client("secretsmanager", config=_SECRETS_CONFIG)
        value = _secrets_client.get_secret_value(SecretId=os.environ["DB_SECRET_ID"])
        _secret = json.loads(value["SecretString"])
    return _secret


def _open() -> Any:
    global _connection
    if _connection is None:
        secret = _db_secret()
        _connection = pytds.connect(
            dsn=secret["host"],
            port=int(secret["port"]),
            database=secret["dbname"],
            user=secret["username"],
            password=secret["password"],
            login_timeout=LOGIN_TIMEOUT_S,
            timeout=QUERY_TIMEOUT_S,
            autocommit=True,
            appname="learninghub-api",
            disable_connect_retry=True,  # this module retries once itself, within the Lambda timeout
        )
    return _connection


def _forget() -> None:
    global _connection, _secret
    if _connection is not None:
        with contextlib.suppress(Exception):  # it is thrown away because it is already broken
            _connection.close()
    _connection = None
    _secret = None


def _execute(sql: str, params: tuple[Any, ...], read: Callable[[Any], Any]) -> Any:
    with _open().cursor() as cursor:
        cursor.execute(sql, params)
        return read(cursor)


def _run(sql: str, params: tuple[Any, ...], read: Callable[[Any], Any]) -> Any:
    try:
        return _execute(sql, params, read)
    except _UNAVAILABLE:
        _forget()
    try:
        return _execute(sql, params, read)
    except _UNAVAILABLE as exc:
        _forget()
        raise DatabaseUnavailable(type(exc).__name__) from exc


def _price(value: Decimal) -> str:
    return f"{value:.2f}"


def _timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with a Z (DATETIME2 from SYSUTCDATETIME() comes back naive)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


def _course(row: tuple[Any, ...]) -> dict[str, Any]:
    course_id, code, title, credits, price, published = row[:6]
    return {
        "id": course_id,
        "code": code,
        "title": title,
        "credits": credits,
        "price": _price(price),
        "published": bool(published),
    }


def list_courses(limit: int, offset: int) -> list[dict[str, Any]]:
    rows = _run(
        "SELECT CourseId, Code, Title, Credits, Price, IsPublished FROM dbo.Courses "
        "ORDER BY CourseId OFFSET %s ROWS FETCH NEXT %s ROWS ONLY",
        (offset, limit),
        lambda c: c.fetchall(),
    )
    return [_course(row) for row in rows]


def get_course(course_id: int) -> dict[str, Any] | None:
    row = _run(
        "SELECT CourseId, Code, Title, Credits, Price, IsPublished, Description FROM dbo.Courses WHERE CourseId = %s",
        (course_id,),
        lambda c: c.fetchone(),
    )
    if row is None:
        return None
    return {**_course(row), "description": row[6]}


def course_exists(course_id: int) -> bool:
    row = _run("SELECT 1 FROM dbo.Courses WHERE CourseId = %s", (course_id,), lambda c: c.fetchone())
    return row is not None


def insert_exam(course_id: int, user_sub: str, answers: list[str]) -> int:
    row = _run(
        "INSERT INTO dbo.ExamSubmissions (CourseId, UserSub, Answers, SubmittedAt) "
        "OUTPUT INSERTED.ExamId VALUES (%s, %s, %s, SYSUTCDATETIME())",
        (course_id, user_sub, json.dumps(answers)),
        lambda c: c.fetchone(),
    )
    return int(row[0])


def get_exam(exam_id: int, user_sub: str) -> dict[str, Any] | None:
    """The exam if `user_sub` submitted it; None for unknown ids and other users' exams alike."""
    row = _run(
        "SELECT ExamId, CourseId, Answers, SubmittedAt FROM dbo.ExamSubmissions WHERE ExamId = %s AND UserSub = %s",
        (exam_id, user_sub),
        lambda c: c.fetchone(),
    )
    if row is None:
        return None
    return {"id": row[0], "courseId": row[1], "answers": json.loads(row[2]), "submittedAt": _timestamp(row[3])}
