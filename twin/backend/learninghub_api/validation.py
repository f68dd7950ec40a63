"""Validation of everything a request carries: path ids, query parameters, the JSON body, claims.

Each function returns clean Python values or raises HttpError(400) with a message that names the
field and what is expected, so a caller can fix the request from the message alone.
Hand-written rather than a schema library: the rules are few, and the zip carries no dependencies.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from learninghub_api.web import HttpError

INT_MIN, INT_MAX = -2_147_483_648, 2_147_483_647  # SQL Server INT
MAX_PAGE = 100
MAX_ANSWERS = 200
_INTEGER = re.compile(r"-?[0-9]{1,10}")
_EXAM_FIELDS = {"courseId", "answers"}


def _bounded_int(text: str, name: str, low: int, high: int) -> int:
    # fullmatch on ASCII digits only: int() alone would take " 7", "+7", "7_0" and Arabic-Indic digits.
    if not _INTEGER.fullmatch(text) or not low <= int(text) <= high:
        raise HttpError(400, f"{name} must be an integer from {low} to {high}")
    return int(text)


def path_id(event: dict[str, Any], name: str) -> int:
    """Any SQL Server INT (a well-formed id that matches nothing is a 404, not a 400)."""
    value = (event.get("pathParameters") or {}).get(name)
    if value is None:
        raise HttpError(400, f"path parameter {name} is missing")
    return _bounded_int(value, name, INT_MIN, INT_MAX)


def paging(event: dict[str, Any]) -> tuple[int, int]:
    """(limit, offset) from ?limit=1..100&offset>=0; defaults 100 and 0."""
    query = event.get("queryStringParameters") or {}
    limit = _bounded_int(query["limit"], "limit", 1, MAX_PAGE) if "limit" in query else MAX_PAGE
    offset = _bounded_int(query["offset"], "offset", 0, INT_MAX) if "offset" in query else 0
    return limit, offset


def _body_text(event: dict[str, Any]) -> str:
    body: str | None = event.get("body")  # API Gateway's payload 2.0: a string, or absent
    if body is None or body == "":
        raise HttpError(400, 'request body is required: {"courseId": int, "answers": [string, ...]}')
    if not event.get("isBase64Encoded"):
        return body
    try:
        return base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise HttpError(400, "request body must be UTF-8 JSON") from None


def exam_submission(event: dict[str, Any]) -> tuple[int, list[str]]:
    """(courseId, answers) from {"courseId": int, "answers": [1..200 strings]}."""
    try:
        body = json.loads(_body_text(event))
    except ValueError:
        raise HttpError(400, "request body must be valid JSON") from None
    if not isinstance(body, dict):
        raise HttpError(400, "request body must be a JSON object")
    unknown = sorted(set(body) - _EXAM_FIELDS)
    if unknown:
        raise HttpError(400, f"unknown field(s): {', '.join(unknown)}; expected courseId and answers")
    course_id = body.get("courseId")
    # bool is an int in Python; JSON true must not pass as course 1.
    if not isinstance(course_id, int) or isinstance(course_id, bool) or not INT_MIN <= course_id <= INT_MAX:
        raise HttpError(400, f"courseId must be an integer from {INT_MIN} to {INT_MAX}")
    answers = body.get("answers")
    if not isinstance(answers, list) or not 1 <= len(answers) <= MAX_ANSWERS:
        raise HttpError(400, f"answers must be a list of 1 to {MAX_ANSWERS} strings")
    if not all(isinstance(a, str) for a in answers):
        raise HttpError(400, "every answer must be a string")
    return course_id, answers


def claims(event: dict[str, Any]) -> dict[str, str]:
    """The JWT claims the authorizer passed on; empty when the route has no authorizer."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    return (authorizer.get("jwt") or {}).get("claims") or {}


def caller_sub(event: dict[str, Any]) -> str:
    sub = claims(event).get("sub")
    if not sub:
        # Not a client error: the gateway's authorizer guarantees a sub on this route. Raising
        # (500) keeps a detached authorizer visible instead of answering as if it were attached.
        raise RuntimeError("no sub claim in the event: is the JWT authorizer attached to this route?")
    return sub
