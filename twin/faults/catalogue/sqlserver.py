"""SQL Server faults: the DB secret pointing at the wrong login or database, the canary row missing
or changed (SQL as `sa`), and backend deploys with a broken query or no ownership filter."""

from __future__ import annotations

import json
from typing import Any

from twin.faults.context import FaultContext
from twin.faults.deploy import deploy_code, patched_backend, stamp_deploy
from twin.faults.lookup import function_configuration
from twin.faults.model import FaultError, NeedsFreshTwin, fault
from twin.faults.undo import Undo

DB_FILE = "learninghub_api/db.py"
CANARY_COLUMNS = "CourseId, Code, Title, Description, Credits, Price, IsPublished, CreatedAt"
# Every read and write goes through the API, so a broken database also fails the invoke check.
THROUGH_API = ("lambda_permissions",)


def observe_secret_and_function(ctx: FaultContext) -> dict[str, Any]:
    """The secret's current value and the function's environment (may hold the password: never printed)."""
    value = ctx.client("secretsmanager").get_secret_value(SecretId=ctx.target.secret_id)["SecretString"]
    return {"secret": json.loads(value), "environment": function_configuration(ctx).get("Environment")}


def change_secret(ctx: FaultContext, undo: Undo, **changes: Any) -> None:
    """A new secret version with `changes`, then a deploy, so the function's next connection uses it."""
    sm = ctx.client("secretsmanager")
    current = sm.get_secret_value(SecretId=ctx.target.secret_id)["SecretString"]
    undo.aws("secretsmanager", "put_secret_value", SecretId=ctx.target.secret_id, SecretString=current)
    sm.put_secret_value(SecretId=ctx.target.secret_id, SecretString=json.dumps({**json.loads(current), **changes}))
    stamp_deploy(ctx, undo)


@fault(
    "db-secret-wrong-password",
    story="A hand-run rotation writes a new password into the secret but never changes the login in SQL "
    "Server; after the next deploy the function cannot sign in.",
    areas={"sqlserver"},
    collateral=THROUGH_API,
    observe=observe_secret_and_function,
)
def _secret_wrong_password(ctx: FaultContext, undo: Undo) -> None:
    change_secret(ctx, undo, password="Rotated-but-not-applied-1!")


@fault(
    "db-secret-wrong-database",
    story="The secret is copied from the staging stack and names the database LearningHub_Staging, which "
    "this server does not have.",
    areas={"sqlserver"},
    collateral=THROUGH_API,
    observe=observe_secret_and_function,
)
def _secret_wrong_database(ctx: FaultContext, undo: Undo) -> None:
    change_secret(ctx, undo, dbname="LearningHub_Staging")


def observe_canary(ctx: FaultContext) -> list[tuple[Any, ...]]:
    return ctx.sql_query(
        f"SELECT {CANARY_COLUMNS} FROM dbo.Courses WHERE CourseId = %s", (ctx.target.canary_course_id,)
    )


def canary_row(ctx: FaultContext) -> tuple[Any, ...]:
    rows = observe_canary(ctx)
    if len(rows) != 1:
        raise FaultError(f"the canary course {ctx.target.canary_course_id} is not in dbo.Courses")
    return rows[0]


@fault(
    "canary-course-deleted",
    story="A data-cleanup script deletes courses whose code starts with a test prefix, taking the canary "
    "course with it.",
    areas={"sqlserver"},
    observe=observe_canary,
    needs_sql=True,
)
def _canary_deleted(ctx: FaultContext, undo: Undo) -> None:
    row = canary_row(ctx)
    exams = ctx.sql_query("SELECT COUNT(*) FROM dbo.ExamSubmissions WHERE CourseId = %s", (row[0],))[0][0]
    if exams:
        raise NeedsFreshTwin(
            f"{exams} exam submissions reference the canary course, so SQL Server refuses "
            "the delete; apply this fault to a fresh twin"
        )
    undo.sql(
        f"INSERT INTO dbo.Courses ({CANARY_COLUMNS}) VALUES (%s, %s, %s, %s, %s, CAST(%s AS DECIMAL(10,2)), %s, "
        "CAST(%s AS DATETIME2))",
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        str(row[5]),
        row[6],
        row[7].isoformat(sep=" "),
    )
    ctx.sql_execute("DELETE FROM dbo.Courses WHERE CourseId = %s", (row[0],))


@fault(
    "canary-course-unpublished",
    story="A content editor bulk-unpublishes old courses, the canary among them; it no longer shows as published.",
    areas={"sqlserver"},
    observe=observe_canary,
    needs_sql=True,
)
def _canary_unpublished(ctx: FaultContext, undo: Undo) -> None:
    row = canary_row(ctx)
    undo.sql("UPDATE dbo.Courses SET IsPublished = %s WHERE CourseId = %s", row[6], row[0])
    ctx.sql_execute("UPDATE dbo.Courses SET IsPublished = 0 WHERE CourseId = %s", (row[0],))


def observe_code(ctx: FaultContext) -> dict[str, Any]:
    config = function_configuration(ctx)
    return {"CodeSha256": config["CodeSha256"], "CodeSize": config["CodeSize"]}


@fault(
    "deploy-ignores-exam-ownership",
    story="A refactor of get_exam drops the `AND UserSub = %s` filter; any signed-in user reads anyone's exam by id.",
    areas={"sqlserver"},
    observe=observe_code,
)
def _deploy_ignores_ownership(ctx: FaultContext, undo: Undo) -> None:
    deploy_code(ctx, undo, patched_backend([
        (DB_FILE, ' WHERE ExamId = %s AND UserSub = %s",\n        (exam_id, user_sub),',
         ' WHERE ExamId = %s",\n        (exam_id,),'),
    ]))  # fmt: skip


@fault(
    "deploy-broken-course-query",
    story="A deploy renames the table in the course-list query to dbo.Course (a typo no unit test ran "
    "against SQL Server); GET /courses fails on every call.",
    areas={"sqlserver"},
    collateral=("lambda_permissions", "cors"),
    observe=observe_code,
)
def _deploy_broken_query(ctx: FaultContext, undo: Undo) -> None:
    deploy_code(ctx, undo, patched_backend([
        (DB_FILE, '"SELECT CourseId, Code, Title, Credits, Price, IsPublished FROM dbo.Courses "\n        "ORDER BY',
         '"SELECT CourseId, Code, Title, Credits, Price, IsPublished FROM dbo.Course "\n        "ORDER BY'),
    ]))  # fmt: skip


@fault(
    "deploy-stores-wrong-owner",
    story="A deploy stores the caller's username instead of the token's sub as the exam owner; owners "
    "can no longer read their exams and the row names the wrong user.",
    areas={"sqlserver"},
    observe=observe_code,
)
def _deploy_wrong_owner(ctx: FaultContext, undo: Undo) -> None:
    deploy_code(ctx, undo, patched_backend([
        ("learninghub_api/routes.py", "sub = validation.caller_sub(event)\n    if not db.course_exists",
         'sub = validation.claims(event).get("cognito:username") or validation.caller_sub(event)\n'
         "    if not db.course_exists"),
    ]))  # fmt: skip
