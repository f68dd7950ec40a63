"""One function per route of the reference API (docs/ARCHITECTURE.md, "Reference API").

Each takes the payload-2.0 event and returns the response; errors are raised as HttpError.
"""

from __future__ import annotations

from typing import Any

from learninghub_api import db, validation
from learninghub_api.web import HttpError, json_response

Event = dict[str, Any]
Response = dict[str, Any]


def health(event: Event) -> Response:
    return json_response(event, 200, {"status": "ok"})


def me(event: Event) -> Response:
    claims = validation.claims(event)
    return json_response(
        event,
        200,
        {
            "sub": claims.get("sub"),
            "username": claims.get("cognito:username") or claims.get("username"),
            "email": claims.get("email"),
            "token_use": claims.get("token_use"),
        },
    )


def list_courses(event: Event) -> Response:
    limit, offset = validation.paging(event)
    return json_response(event, 200, {"courses": db.list_courses(limit, offset)})


def get_course(event: Event) -> Response:
    course = db.get_course(validation.path_id(event, "courseId"))
    if course is None:
        raise HttpError(404, "course not found")
    return json_response(event, 200, course)


def submit_exam(event: Event) -> Response:
    course_id, answers = validation.exam_submission(event)
    sub = validation.caller_sub(event)
    if not db.course_exists(course_id):
        raise HttpError(404, "course not found")
    exam_id = db.insert_exam(course_id, sub, answers)
    return json_response(event, 201, {"id": exam_id}, headers={"location": f"/exams/{exam_id}"})


def get_exam(event: Event) -> Response:
    exam_id = validation.path_id(event, "examId")
    exam = db.get_exam(exam_id, validation.caller_sub(event))
    if exam is None:
        raise HttpError(404, "exam not found")
    return json_response(event, 200, exam)
