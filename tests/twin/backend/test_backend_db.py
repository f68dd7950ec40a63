"""The deployed handler against the SQL Server stand-in over real TDS, with its credentials read
from Secrets Manager on the control plane: reads, writes, ownership, and a broken connection."""

from __future__ import annotations

import json
import re
import secrets
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.twin.backend.events import OTHER_SUB, SUB, id_claims, make_event
from twin.services import Service, start_service, stop_services, wait_ready

APP_PASSWORD = "App#" + secrets.token_hex(8)
SEED_IDS = [*range(1, 21), 9001]
ROOT = Path(__file__).resolve().parents[3]

Loader = Callable[..., ModuleType]


def _start_sql(state_dir: Path, port: int = 0) -> Service:
    service = start_service(
        "mssql",
        "twin.mssql",
        ["--port", str(port), "--state-dir", str(state_dir)],
        state_dir,
        env={
            "PYTHONPATH": str(ROOT),
            "TWIN_MSSQL_SA_PASSWORD": "Sa#" + secrets.token_hex(8),
            "TWIN_MSSQL_APP_PASSWORD": APP_PASSWORD,
        },
    )
    wait_ready(service, timeout_s=60)
    return service


@pytest.fixture(scope="module")
def sql_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    service = _start_sql(tmp_path_factory.mktemp("mssql"))
    try:
        yield int(service.info["port"])
    finally:
        stop_services([service])


@pytest.fixture
def app(load_backend: Loader, control_url: str, db_secret: Callable[..., str], sql_port: int) -> ModuleType:
    return load_backend(endpoint_url=control_url, secret_id=db_secret("127.0.0.1", sql_port, APP_PASSWORD))


def call(app: ModuleType, route_key: str, path: str, sub: str = SUB, **kwargs: Any) -> tuple[int, Any, dict[str, str]]:
    response = app.handler(make_event(route_key, path, claims=id_claims(sub=sub), **kwargs), None)
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def test_courses_are_listed_in_id_order(app: ModuleType) -> None:
    status, body, _ = call(app, "GET /courses", "/courses")
    assert status == 200
    assert [c["id"] for c in body["courses"]] == SEED_IDS
    for course in body["courses"]:
        assert set(course) == {"id", "code", "title", "credits", "price", "published"}
        assert re.fullmatch(r"[0-9]+\.[0-9]{2}", course["price"]), course
        assert isinstance(course["credits"], int) and isinstance(course["published"], bool)


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ({"limit": "5"}, [1, 2, 3, 4, 5]),
        ({"limit": "5", "offset": "18"}, [19, 20, 9001]),
        ({"offset": "20"}, [9001]),
        ({"offset": "500"}, []),
    ],
)
def test_courses_are_paged(app: ModuleType, query: dict[str, str], ids: list[int]) -> None:
    status, body, _ = call(app, "GET /courses", "/courses", query=query)
    assert status == 200 and [c["id"] for c in body["courses"]] == ids


def test_canary_course_with_description(app: ModuleType) -> None:
    status, body, _ = call(app, "GET /courses/{courseId}", "/courses/9001", path_params={"courseId": "9001"})
    assert status == 200
    assert (body["id"], body["code"], body["title"]) == (9001, "CANARY-001", "Canary course: do not delete")
    assert body["published"] is True and "description" in body


@pytest.mark.parametrize("course_id", ["987654321", "0", "-1"])
def test_unknown_course_is_404(app: ModuleType, course_id: str) -> None:
    status, body, _ = call(app, "GET /courses/{courseId}", f"/courses/{course_id}", path_params={"courseId": course_id})
    assert (status, body) == (404, {"message": "course not found"})


def test_exam_round_trip_and_ownership(app: ModuleType) -> None:
    answers = ["B", 'it\'s "quoted"; DROP TABLE dbo.Courses; --', "ünïcødé ✓"]
    status, body, headers = call(app, "POST /exams", "/exams", body={"courseId": 9001, "answers": answers})
    assert status == 201 and isinstance(body["id"], int)
    exam_id = body["id"]
    assert headers["location"] == f"/exams/{exam_id}"

    status, exam, _ = call(app, "GET /exams/{examId}", f"/exams/{exam_id}", path_params={"examId": str(exam_id)})
    assert status == 200
    assert (exam["id"], exam["courseId"], exam["answers"]) == (exam_id, 9001, answers)
    assert exam["submittedAt"].endswith("Z")
    submitted = datetime.fromisoformat(exam["submittedAt"].removesuffix("Z"))
    now = datetime.now(UTC).replace(tzinfo=None)  # SYSUTCDATETIME() is naive UTC
    assert abs((now - submitted).total_seconds()) < 300

    status, body, _ = call(
        app, "GET /exams/{examId}", f"/exams/{exam_id}", sub=OTHER_SUB, path_params={"examId": str(exam_id)}
    )
    assert (status, body) == (404, {"message": "exam not found"})
    assert [c["id"] for c in call(app, "GET /courses", "/courses")[1]["courses"]] == SEED_IDS


def test_unknown_exam_is_404(app: ModuleType) -> None:
    status, body, _ = call(app, "GET /exams/{examId}", "/exams/2000000000", path_params={"examId": "2000000000"})
    assert (status, body) == (404, {"message": "exam not found"})


def test_exam_for_an_unknown_course_is_404(app: ModuleType) -> None:
    status, body, _ = call(app, "POST /exams", "/exams", body={"courseId": 987654321, "answers": ["A"]})
    assert (status, body) == (404, {"message": "course not found"})


def test_connection_is_reused_across_warm_invocations(app: ModuleType) -> None:
    db = sys.modules["learninghub_api.db"]
    call(app, "GET /courses", "/courses")
    first = db._connection
    call(app, "GET /courses/{courseId}", "/courses/1", path_params={"courseId": "1"})
    assert first is not None and db._connection is first


def test_restarted_server_costs_one_reconnect_and_a_stopped_one_is_503(
    load_backend: Loader, control_url: str, db_secret: Callable[..., str], tmp_path: Path
) -> None:
    service = _start_sql(tmp_path)
    port = int(service.info["port"])
    try:
        app = load_backend(endpoint_url=control_url, secret_id=db_secret("127.0.0.1", port, APP_PASSWORD))
        assert call(app, "GET /courses", "/courses")[0] == 200
        stop_services([service])
        service = _start_sql(tmp_path, port)  # same port and data: the warm connection is now dead
        assert call(app, "GET /courses", "/courses")[0] == 200
        stop_services([service])
        assert call(app, "GET /courses", "/courses")[:2] == (503, {"message": "database unavailable"})
    finally:
        stop_services([service])
