"""The deployed handler with real payload-2.0 events: routing, validation, claims, log lines.

Nothing here reaches SQL Server: every request is answered before the data access (or proves
that an unreachable database is a 503)."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from tests.tokens import throwaway_jwt
from tests.twin.backend.events import SUB, id_claims, log_lines, make_event

Loader = Callable[..., ModuleType]
Capture = pytest.CaptureFixture[str]


def _body(response: dict[str, Any]) -> Any:
    assert response["headers"]["content-type"] == "application/json"
    return json.loads(response["body"])


def test_health_answers_and_logs_one_line(load_backend: Loader, capsys: Capture) -> None:
    app = load_backend()
    event = make_event("GET /health", "/health", headers={"x-e2e-probe": "probe-123"})
    response = app.handler(event, None)
    assert response["statusCode"] == 200 and _body(response) == {"status": "ok"}
    assert response["headers"]["x-request-id"] == event["requestContext"]["requestId"]
    assert log_lines(capsys.readouterr().out) == [
        {
            "requestId": event["requestContext"]["requestId"],
            "routeKey": "GET /health",
            "probe": "probe-123",
            "status": 200,
        }
    ]


def test_log_line_never_carries_the_token(load_backend: Loader, capsys: Capture) -> None:
    app = load_backend()
    token = throwaway_jwt(kid="k1")
    app.handler(make_event("GET /me", "/me", claims=id_claims(), headers={"authorization": f"Bearer {token}"}), None)
    out = capsys.readouterr()
    assert token not in out.out + out.err
    [line] = log_lines(out.out)
    assert line["probe"] is None and line["status"] == 200


def test_me_from_id_token_claims(load_backend: Loader) -> None:
    response = load_backend().handler(make_event("GET /me", "/me", claims=id_claims()), None)
    assert _body(response) == {"sub": SUB, "username": "alice", "email": "alice@example.test", "token_use": "id"}


def test_me_from_access_token_claims_has_no_email(load_backend: Loader) -> None:
    claims = {
        "sub": SUB,
        "client_id": "webclient",
        "token_use": "access",
        "username": "alice",
        "scope": "aws.cognito.signin.user.admin",
    }
    response = load_backend().handler(make_event("GET /me", "/me", claims=claims), None)
    assert _body(response) == {"sub": SUB, "username": "alice", "email": None, "token_use": "access"}


def test_unknown_route_is_404(load_backend: Loader) -> None:
    response = load_backend().handler(make_event("$default", "/nope"), None)
    assert response["statusCode"] == 404 and _body(response) == {"message": "not found"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": "0"}, "limit must be an integer from 1 to 100"),
        ({"limit": "101"}, "limit must be an integer from 1 to 100"),
        ({"limit": "ten"}, "limit must be an integer from 1 to 100"),
        ({"limit": "1,2"}, "limit must be an integer from 1 to 100"),  # ?limit=1&limit=2 arrives comma-joined
        ({"limit": " 5"}, "limit must be an integer from 1 to 100"),
        ({"limit": "5.0"}, "limit must be an integer from 1 to 100"),
        ({"offset": "-1"}, "offset must be an integer from 0 to 2147483647"),
        ({"offset": "1e3"}, "offset must be an integer from 0 to 2147483647"),
        ({"offset": "99999999999"}, "offset must be an integer from 0 to 2147483647"),
    ],
)
def test_course_paging_is_validated(load_backend: Loader, query: dict[str, str], message: str) -> None:
    response = load_backend().handler(make_event("GET /courses", "/courses", claims=id_claims(), query=query), None)
    assert response["statusCode"] == 400 and _body(response) == {"message": message}


@pytest.mark.parametrize("course_id", ["abc", "1.5", "+1", " 1", "0x10", "2147483648", "١٢"])
def test_course_id_must_be_an_integer(load_backend: Loader, course_id: str) -> None:
    event = make_event(
        "GET /courses/{courseId}", f"/courses/{course_id}", claims=id_claims(), path_params={"courseId": course_id}
    )
    response = load_backend().handler(event, None)
    assert response["statusCode"] == 400
    assert _body(response)["message"].startswith("courseId must be an integer")


def test_exam_id_must_be_an_integer(load_backend: Loader) -> None:
    event = make_event("GET /exams/{examId}", "/exams/x", claims=id_claims(), path_params={"examId": "x"})
    response = load_backend().handler(event, None)
    assert response["statusCode"] == 400 and _body(response)["message"].startswith("examId must be an integer")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "request body is required"),
        ("", "request body is required"),
        ("{not json", "request body must be valid JSON"),
        ([1, 2], "request body must be a JSON object"),
        ({"courseId": 1, "answers": ["a"], "score": 100}, "unknown field(s): score"),
        ({"answers": ["a"]}, "courseId must be an integer"),
        ({"courseId": "1", "answers": ["a"]}, "courseId must be an integer"),
        ({"courseId": True, "answers": ["a"]}, "courseId must be an integer"),
        ({"courseId": 1.0, "answers": ["a"]}, "courseId must be an integer"),
        ({"courseId": 2**31, "answers": ["a"]}, "courseId must be an integer"),
        ({"courseId": 1}, "answers must be a list of 1 to 200 strings"),
        ({"courseId": 1, "answers": []}, "answers must be a list of 1 to 200 strings"),
        ({"courseId": 1, "answers": ["a"] * 201}, "answers must be a list of 1 to 200 strings"),
        ({"courseId": 1, "answers": "abc"}, "answers must be a list of 1 to 200 strings"),
        ({"courseId": 1, "answers": ["a", 2]}, "every answer must be a string"),
        ({"courseId": 1, "answers": ["a", None]}, "every answer must be a string"),
    ],
)
def test_exam_body_is_validated(load_backend: Loader, body: Any, message: str) -> None:
    event = make_event("POST /exams", "/exams", claims=id_claims(), body=body)
    response = load_backend().handler(event, None)
    assert response["statusCode"] == 400 and _body(response)["message"].startswith(message)


def test_base64_body_that_is_not_utf8_is_400(load_backend: Loader) -> None:
    event = make_event("POST /exams", "/exams", claims=id_claims())
    event.update(body="//79", isBase64Encoded=True)  # bytes ff fe fd
    response = load_backend().handler(event, None)
    assert response["statusCode"] == 400 and _body(response) == {"message": "request body must be UTF-8 JSON"}


def test_base64_body_is_decoded(load_backend: Loader) -> None:
    event = make_event(
        "POST /exams", "/exams", claims=id_claims(), body={"courseId": 1, "answers": []}, base64_body=True
    )
    response = load_backend().handler(event, None)
    assert _body(response) == {"message": "answers must be a list of 1 to 200 strings"}


@pytest.mark.parametrize(
    ("route_key", "path", "kwargs"),
    [
        ("POST /exams", "/exams", {"body": {"courseId": 1, "answers": ["a"]}}),
        ("GET /exams/{examId}", "/exams/1", {"path_params": {"examId": "1"}}),
    ],
)
def test_exam_routes_without_authorizer_claims_raise(
    load_backend: Loader,
    capsys: Capture,
    route_key: str,
    path: str,
    kwargs: dict[str, Any],
) -> None:
    """A detached authorizer must show (500 from the gateway), not look like a working one."""
    app = load_backend()
    with pytest.raises(RuntimeError, match="JWT authorizer attached"):
        app.handler(make_event(route_key, path, **kwargs), None)
    [line] = log_lines(capsys.readouterr().out)
    assert line["status"] == 500 and line["routeKey"] == route_key


def test_unreachable_database_is_503(
    load_backend: Loader,
    control_url: str,
    db_secret: Callable[..., str],
    capsys: Capture,
) -> None:
    import socket

    with socket.socket() as closed:  # a port that was free a moment ago: connection refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    app = load_backend(endpoint_url=control_url, secret_id=db_secret("127.0.0.1", port, "Secret#Pw-1234"))
    response = app.handler(make_event("GET /courses", "/courses", claims=id_claims()), None)
    assert response["statusCode"] == 503 and _body(response) == {"message": "database unavailable"}
    out = capsys.readouterr()
    assert "Secret#Pw-1234" not in out.out + out.err
    assert log_lines(out.out)[0]["status"] == 503


def test_missing_secret_is_503(load_backend: Loader, control_url: str) -> None:
    app = load_backend(endpoint_url=control_url, secret_id="learninghub/does-not-exist")
    response = app.handler(
        make_event("GET /courses/{courseId}", "/courses/1", claims=id_claims(), path_params={"courseId": "1"}), None
    )
    assert response["statusCode"] == 503 and _body(response) == {"message": "database unavailable"}
