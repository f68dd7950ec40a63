"""Lambda AddPermission refuses a StatementId that the function's policy already holds.

Hand-written: moto appends a second statement with the same Sid; Lambda answers HTTP 409
ResourceConflictException "The statement id (X) provided already exists. Please provide a new
statement id, or remove the existing statement.". The check runs before moto parses the statement.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.awslambda.policy import Policy
from moto.core.exceptions import JsonRESTError

from ._guard import replace, require

require("lambda_permissions", Policy, [("add_statement", ("self", "raw", "qualifier"))])


class StatementConflict(JsonRESTError):
    code = 409

    def __init__(self, sid: str) -> None:
        super().__init__(
            "ResourceConflictException",
            f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
            "or remove the existing statement.",
        )


def _unique_sid(original: Callable[..., tuple[Any, str]]) -> Callable[..., tuple[Any, str]]:
    def add_statement(self: Policy, raw: str, qualifier: str | None = None) -> tuple[Any, str]:
        sid = json.loads(raw).get("StatementId")
        if sid and any(statement.get("Sid") == sid for statement in self.statements):
            raise StatementConflict(sid)
        return original(self, raw, qualifier)

    return add_statement


def apply() -> None:
    replace(Policy, "add_statement", _unique_sid, "lambda_permissions")
