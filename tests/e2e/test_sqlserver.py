"""SQL Server through the API: the canary course is read back, an exam written through the API is
read back by its owner only, and (direct probe) the API's rows equal the database's rows."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import allure
import pytest

from fixtures.api import ApiClient
from fixtures.config import EnvConfig
from fixtures.dbprobe import API_PROBE, SECRET_SHAPE_ERRORS, DbProbeError, DbSecret, query, read_secret, shape_problem
from fixtures.posture.verdict import aws_errors_fail, fail
from fixtures.users import TestUser

pytestmark = pytest.mark.sqlserver
UNKNOWN_COURSE_ID = 987654321
PAGE = 100
MAX_PAGES = 50


def require_routes(env_config: EnvConfig, *keys: str) -> None:
    missing = [k for k in keys if k not in env_config.api.protected_routes]
    if missing:
        pytest.skip(f"the env file lists no {missing} (these checks target the reference API)")


def expect_status(response: Any, status: int, what: str, fix: str) -> dict[str, Any]:
    """The JSON object the response carries, once its status is `status`."""
    if response.status_code != status:
        fail(f"{what} answered {response.status_code} {response.text[:200]!r}, expected {status}: {fix}")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        fail(
            f"{what} answered {status} with {response.text[:200]!r}, which is not a JSON object: the Lambda must "
            "return a JSON object body (payload format 2.0, content-type application/json)"
        )
    return body


@pytest.fixture(scope="session")
def submitted_exam(env_config: EnvConfig, api_client: ApiClient, test_user: TestUser) -> dict[str, Any]:
    """An exam the test user submitted through the API, with unique answers to find it again."""
    require_routes(env_config, "POST /exams", "GET /exams/{examId}")
    answers = [f"e2e-{secrets.token_hex(4)}", "B", "C"]
    body = {"courseId": env_config.database.canary_course_id, "answers": answers}
    response = api_client.request("POST", "/exams", token=test_user.tokens().id_token, json=body)
    created = expect_status(
        response, 201, "POST /exams with a valid body", "the Lambda must insert into dbo.ExamSubmissions"
    )
    return {"id": created["id"], "answers": answers, "location": response.headers.get("location")}


@pytest.fixture(scope="session")
def db_secret(env_config: EnvConfig, aws_client: Callable[[str], Any]) -> DbSecret:
    if env_config.database.probe != "direct":
        pytest.skip('[database] probe is "api": the direct comparison with SQL Server is off')
    secret_id = env_config.database.secret_id
    with aws_errors_fail(f"reading [database] secret_id {secret_id!r}", f"fix the secret's name, {API_PROBE}"):
        try:
            return read_secret(aws_client("secretsmanager"), secret_id)
        except SECRET_SHAPE_ERRORS as exc:
            fail(shape_problem(secret_id, exc))


def db_rows(secret: DbSecret, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    try:
        return query(secret, sql, params)
    except DbProbeError as exc:
        fail(str(exc))


@allure.title("The canary course arrives through GET /courses")
def test_canary_course_listed(env_config: EnvConfig, api_client: ApiClient, id_token: str) -> None:
    require_routes(env_config, "GET /courses")
    body = expect_status(
        api_client.request("GET", "/courses", token=id_token),
        200,
        "GET /courses",
        "the Lambda must read dbo.Courses (check its DB secret and security group)",
    )
    ids = [c.get("id") for c in body.get("courses", [])]
    if env_config.database.canary_course_id not in ids:
        fail(
            f"GET /courses does not list the canary course {env_config.database.canary_course_id} (got {len(ids)} "
            "courses): restore the canary row in dbo.Courses or point the Lambda at the right database"
        )


@allure.title("The canary course arrives through GET /courses/{courseId}")
def test_canary_course_by_id(env_config: EnvConfig, api_client: ApiClient, id_token: str) -> None:
    require_routes(env_config, "GET /courses/{courseId}")
    canary = env_config.database.canary_course_id
    course = expect_status(
        api_client.request("GET", f"/courses/{canary}", token=id_token),
        200,
        f"GET /courses/{canary}",
        "restore the canary row in dbo.Courses",
    )
    if course.get("id") != canary or not course.get("published"):
        fail(f"GET /courses/{canary} returned {course!r}: the canary course must exist and be published")
    expect_status(
        api_client.request("GET", f"/courses/{UNKNOWN_COURSE_ID}", token=id_token),
        404,
        f"GET /courses/{UNKNOWN_COURSE_ID} (no such course)",
        "the Lambda must answer 404 for unknown courses",
    )


@allure.title("An exam written through POST /exams is read back by GET /exams/{examId}")
def test_exam_round_trip(
    env_config: EnvConfig, api_client: ApiClient, test_user: TestUser, submitted_exam: dict[str, Any]
) -> None:
    exam_id = submitted_exam["id"]
    exam = expect_status(
        api_client.request("GET", f"/exams/{exam_id}", token=test_user.tokens().id_token),
        200,
        f"GET /exams/{exam_id} by its owner",
        "the Lambda must read back what it wrote (same database, committed insert)",
    )
    expected = {"id": exam_id, "courseId": env_config.database.canary_course_id, "answers": submitted_exam["answers"]}
    wrong = {k: (exam.get(k), v) for k, v in expected.items() if exam.get(k) != v}
    if wrong or not exam.get("submittedAt"):
        fail(f"GET /exams/{exam_id} differs from what was written (got, expected): {wrong or 'no submittedAt'}")


@allure.title("Another user's exam is 404")
def test_other_users_exam_is_not_found(
    api_client: ApiClient, second_user: TestUser, submitted_exam: dict[str, Any]
) -> None:
    exam_id = submitted_exam["id"]
    response = api_client.request("GET", f"/exams/{exam_id}", token=second_user.tokens().id_token)
    if response.status_code != 404:
        fail(
            f"another user reading exam {exam_id} got {response.status_code}, expected 404: the Lambda must filter "
            "exams by the caller's sub from the JWT claims"
        )


def api_courses(api_client: ApiClient, token: str) -> list[dict[str, Any]]:
    courses: list[dict[str, Any]] = []
    for page in range(MAX_PAGES):
        response = api_client.request("GET", f"/courses?limit={PAGE}&offset={page * PAGE}", token=token)
        batch = expect_status(response, 200, "GET /courses (paged)", "the Lambda must read dbo.Courses")["courses"]
        courses.extend(batch)
        if len(batch) < PAGE:
            break
    return courses


@allure.title("The API's course rows equal SQL Server's rows (direct probe)")
def test_api_courses_equal_database_rows(
    env_config: EnvConfig, api_client: ApiClient, id_token: str, db_secret: DbSecret
) -> None:
    require_routes(env_config, "GET /courses")
    rows = db_rows(
        db_secret, "SELECT CourseId, Code, Title, Credits, Price, IsPublished FROM dbo.Courses ORDER BY CourseId"
    )
    from_db = [
        {
            "id": r[0],
            "code": r[1],
            "title": r[2],
            "credits": r[3],
            "price": f"{Decimal(r[4]):.2f}",
            "published": bool(r[5]),
        }
        for r in rows
    ]
    from_api = [
        {k: c.get(k) for k in ("id", "code", "title", "credits", "price", "published")}
        for c in api_courses(api_client, id_token)
    ]
    if from_api != from_db:
        diff = [(a, d) for a, d in zip(from_api, from_db, strict=False) if a != d][:3]
        fail(
            f"GET /courses ({len(from_api)} rows) differs from dbo.Courses ({len(from_db)} rows), first differences "
            f"(api, db): {diff}: the Lambda must read the database named in secret {env_config.database.secret_id}"
        )


@allure.title("The exam row in SQL Server equals what the API returned (direct probe)")
def test_exam_row_equals_database_row(test_user: TestUser, submitted_exam: dict[str, Any], db_secret: DbSecret) -> None:
    rows = db_rows(
        db_secret,
        "SELECT ExamId, CourseId, UserSub, Answers FROM dbo.ExamSubmissions WHERE ExamId = %s",
        (submitted_exam["id"],),
    )
    if len(rows) != 1:
        fail(
            f"exam {submitted_exam['id']} created through the API is not in dbo.ExamSubmissions: the Lambda "
            "writes to another database than the one in its secret"
        )
    _, _, user_sub, answers = rows[0]
    if user_sub != test_user.sub or json.loads(answers) != submitted_exam["answers"]:
        fail(
            f"dbo.ExamSubmissions row for exam {submitted_exam['id']} has UserSub/answers that differ from the "
            "caller's sub and body: the Lambda must store the JWT sub and the submitted answers"
        )
