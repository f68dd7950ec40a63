"""Lambda entry point of the learninghub reference API (HTTP API, payload format 2.0).

The routing table, the mapping of errors to answers, and one JSON log line per invocation
{"requestId", "routeKey", "probe", "status"} (nothing else: never a header value, token or body).
Routes and data access live in the learninghub_api package beside this file, in the same zip.
No web framework: seven fixed route keys arrive already matched by API Gateway, so a dict is the
router, and the zip stays the standard library plus boto3 and python-tds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from learninghub_api import routes
from learninghub_api.db import DatabaseUnavailable
from learninghub_api.web import HttpError, json_response, request_id

ROUTES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "GET /health": routes.health,
    "GET /me": routes.me,
    "GET /courses": routes.list_courses,
    "GET /courses/{courseId}": routes.get_course,
    "POST /exams": routes.submit_exam,
    "GET /exams/{examId}": routes.get_exam,
    "GET /reports/courses": routes.list_courses,  # the scoped route (custom scope): the catalogue for reporting
}


def _answer(event: dict[str, Any]) -> dict[str, Any]:
    route = ROUTES.get(event.get("routeKey", ""))
    try:
        if route is None:
            raise HttpError(404, "not found")
        return route(event)
    except HttpError as exc:
        return json_response(event, exc.status, {"message": exc.message})
    except DatabaseUnavailable:
        return json_response(event, 503, {"message": "database unavailable"})


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    status = 500  # what the gateway answers when this raises
    try:
        response = _answer(event)
        status = response["statusCode"]
        return response
    finally:
        print(
            json.dumps(
                {
                    "requestId": request_id(event),
                    "routeKey": event.get("routeKey"),
                    "probe": (event.get("headers") or {}).get("x-e2e-probe"),
                    "status": status,
                }
            ),
            flush=True,
        )
