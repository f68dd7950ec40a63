"""Lambda resource-policy check for API Gateway's invoke: may `apigateway.amazonaws.com` call this function
for this request's SourceArn?

Hand-written because only the slice of IAM that Lambda resource policies use for this grant matters here:
Allow/Deny statements, the service principal, lambda:InvokeFunction, and the ArnLike/ArnEquals/StringLike/
StringEquals conditions on AWS:SourceArn and AWS:SourceAccount. A statement with any other condition does not
apply (deny by default), which is the safe reading for a test twin.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

SERVICE = "apigateway.amazonaws.com"
_ACTIONS = {"lambda:invokefunction", "lambda:*", "*"}


@dataclass(frozen=True)
class ResourcePolicy:
    """Parsed statements of a function's policy (get_policy's `Policy` string)."""

    statements: tuple[dict[str, Any], ...]

    @classmethod
    def parse(cls, text: str) -> ResourcePolicy:
        doc = json.loads(text)
        raw = doc.get("Statement") or []
        return cls(tuple(s for s in (raw if isinstance(raw, list) else [raw]) if isinstance(s, dict)))


def source_arns(
    region: str, account: str, api_id: str, stage: str, method: str, route_path: str | None, raw_path: str
) -> list[str]:
    """The execute-api ARNs a request may present: `$default` route -> `{api}/{stage}/$default`; otherwise
    `{api}/{stage}/{METHOD}/{path}` with the route's template and with the concrete path (which one AWS sends
    is undocumented, so both are tried)."""
    prefix = f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}"
    if route_path is None:
        return [f"{prefix}/$default"]
    arns = [f"{prefix}/{method}/{route_path.lstrip('/')}"]
    concrete = f"{prefix}/{method}/{raw_path.lstrip('/')}"
    if concrete != arns[0]:
        arns.append(concrete)
    return arns


def allows(policy: ResourcePolicy | None, arns: list[str], account: str) -> bool:
    """True when some Allow statement grants the invoke for one of `arns` and no Deny statement refuses it."""
    if policy is None:
        return False
    allowed = False
    for statement in policy.statements:
        if not _grants(statement, arns, account):
            continue
        if str(statement.get("Effect")) == "Deny":
            return False
        if str(statement.get("Effect")) == "Allow":
            allowed = True
    return allowed


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants(statement: dict[str, Any], arns: list[str], account: str) -> bool:
    actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
    if not any(a in _ACTIONS for a in actions):
        return False
    principal = statement.get("Principal")
    if principal != "*":
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        aws = _as_list(principal.get("AWS")) if isinstance(principal, dict) else []
        if SERVICE not in services and "*" not in aws:
            return False
    conditions = statement.get("Condition") or {}
    if not isinstance(conditions, dict):
        return False
    for operator, tests in conditions.items():
        if not isinstance(tests, dict):
            return False
        for key, expected in tests.items():
            if not _condition(operator, key.lower(), _as_list(expected), arns, account):
                return False
    return True


def _condition(operator: str, key: str, expected: list[Any], arns: list[str], account: str) -> bool:
    if key == "aws:sourcearn":
        actual = arns
    elif key == "aws:sourceaccount":
        actual = [account]
    else:
        return False
    if operator in ("ArnLike", "StringLike"):
        return any(_like(str(pattern), value, arn=operator == "ArnLike") for pattern in expected for value in actual)
    if operator in ("ArnEquals", "StringEquals"):
        return any(str(pattern) == value for pattern in expected for value in actual)
    return False


def _like(pattern: str, value: str, arn: bool) -> bool:
    if arn:
        # ArnLike compares the six ARN fields separately; wildcards do not cross the ':' separators of the
        # first five fields, but may cover '/' inside the resource part.
        p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
        if len(p_parts) != 6 or len(v_parts) != 6:
            return False
        return all(_wildcard(p).fullmatch(v) is not None for p, v in zip(p_parts, v_parts, strict=True))
    return _wildcard(pattern).fullmatch(value) is not None


@lru_cache(maxsize=1024)
def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)
