"""The CI policy document: load it, fill its `${Placeholder}`s for one stack, list its actions, and derive the
form moto 5.2.5 can enforce.

Hand-written: no library renders IAM policy templates (CloudFormation would, but the harness ships a plain JSON
document for any deployment tool), and the translation to moto's enforcement is specific to moto's
access_control.py, which (a) compares a statement's Resource with the literal "*" it passes for most calls, so
a scoped statement never matches (the twin names the pool for Cognito user pool calls, twin.iam.moto_auth, so
those statements keep their resources), (b) names API Gateway actions after the operation
(`apigateway:GetRoutes`) where IAM names them after the HTTP verb (`apigateway:GET`), and (c) ignores
Condition keys it is not handed. The twin form keeps every action and drops what moto cannot check.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_POLICY = PROJECT_ROOT / "env" / "ci-policy.json"
PLACEHOLDER_RE = re.compile(r"\$\{([A-Za-z]+)\}")
# API Gateway's IAM actions are HTTP verbs over resource paths; both API versions share the `apigateway` prefix.
APIGATEWAY_MODELS = ("apigatewayv2", "apigateway")
HTTP_VERBS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
# Services whose calls the enforcing twin checks against a real resource ARN (twin.iam.moto_auth).
RESOURCE_CHECKED = frozenset({"cognito-idp"})

Policy = dict[str, Any]


class PolicyError(Exception):
    """The policy file is unusable; the message is one line naming the file and the fix."""


def load_policy(path: Path = DEFAULT_POLICY) -> Policy:
    """Read and shape-check a policy document (Version, a list of Allow/Deny statements with Action)."""
    try:
        policy = json.loads(path.read_text())
    except FileNotFoundError:
        raise PolicyError(f"policy file {path} does not exist; pass the path of the CI policy JSON") from None
    except json.JSONDecodeError as exc:
        raise PolicyError(f"policy file {path} is not JSON (line {exc.lineno}: {exc.msg})") from None
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if not isinstance(policy, dict) or not isinstance(statements, list) or not statements:
        raise PolicyError(f"policy file {path} has no Statement list")
    for index, statement in enumerate(statements):
        where = f"policy file {path}, statement {statement.get('Sid', index) if isinstance(statement, dict) else index}"
        if not isinstance(statement, dict) or statement.get("Effect") not in {"Allow", "Deny"}:
            raise PolicyError(f"{where}: Effect must be Allow or Deny")
        if "NotAction" in statement or "NotResource" in statement:
            raise PolicyError(f"{where}: NotAction/NotResource are not supported; list the actions")
        if not _as_list(statement.get("Action")):
            raise PolicyError(f"{where}: Action must name at least one action")
    return policy


def placeholders(policy: Policy) -> set[str]:
    """Names of the `${Name}` placeholders the policy uses."""
    return set(PLACEHOLDER_RE.findall(json.dumps(policy)))


def render(policy: Policy, values: Mapping[str, str]) -> Policy:
    """The policy with every `${Name}` replaced by values[Name]; a missing value is a PolicyError."""
    missing = sorted(placeholders(policy) - set(values))
    if missing:
        raise PolicyError(
            f"no value for placeholder(s) {', '.join(missing)}; give them or drop the statements using them"
        )
    text = PLACEHOLDER_RE.sub(lambda m: json.dumps(values[m.group(1)])[1:-1], json.dumps(policy))
    rendered: Policy = json.loads(text)  # the dumps of a Policy, with strings replaced inside strings
    return rendered


def actions(policy: Policy, effect: str = "Allow") -> list[str]:
    """Every action the policy's statements of `effect` name, sorted and unique."""
    return sorted({a for s in policy["Statement"] if s["Effect"] == effect for a in _as_list(s["Action"])})


def allows(policy: Policy, action: str) -> bool:
    """Whether some Allow statement names `action` (IAM wildcards, case-insensitive) and no Deny on every resource
    does (a Deny scoped to particular resources only carves those out)."""

    def named(statement: dict[str, Any]) -> bool:
        return any(_action_matches(pattern, action) for pattern in _as_list(statement["Action"]))

    statements = policy["Statement"]
    return any(named(s) for s in statements if s["Effect"] == "Allow") and not any(
        named(s) for s in statements if s["Effect"] == "Deny" and "*" in _as_list(s.get("Resource", "*"))
    )


def without_action(policy: Policy, action: str) -> Policy:
    """A copy with `action` removed from every statement (statements left empty are dropped)."""
    trimmed = copy.deepcopy(policy)
    kept = []
    for statement in trimmed["Statement"]:
        remaining = [a for a in _as_list(statement["Action"]) if a.lower() != action.lower()]
        if remaining:
            statement["Action"] = remaining
            kept.append(statement)
    if not kept:
        raise PolicyError(f"removing {action} leaves no statement")
    trimmed["Statement"] = kept
    return trimmed


def twin_form(policy: Policy) -> Policy:
    """What moto 5.2.5 can enforce: the same actions per statement (API Gateway verbs as moto's operation names),
    no Condition, and Resource "*" unless every action is of a service the twin checks resources for (see the
    module docstring)."""
    statements = []
    for statement in policy["Statement"]:
        named = _as_list(statement["Action"])
        expanded = sorted({name for action in named for name in _moto_actions(action)})
        checked = all(action.partition(":")[0].lower() in RESOURCE_CHECKED for action in named)
        twin = {
            "Effect": statement["Effect"],
            "Action": expanded,
            "Resource": statement.get("Resource", "*") if checked else "*",
        }
        if "Sid" in statement:
            twin["Sid"] = statement["Sid"]
        statements.append(twin)
    return {"Version": policy.get("Version", "2012-10-17"), "Statement": statements}


def iam_action(signing_name: str, operation: str, http_method: str | None) -> str:
    """The IAM action that authorizes one botocore operation (API Gateway: the HTTP verb)."""
    if signing_name == "apigateway" and http_method:
        return f"apigateway:{http_method.upper()}"
    return f"{signing_name}:{operation}"


def _moto_actions(action: str) -> Iterator[str]:
    prefix, _, name = action.partition(":")
    if prefix.lower() == "apigateway" and name.upper() in HTTP_VERBS:
        yield from (f"apigateway:{op}" for op in _apigateway_operations(name.upper()))
    else:
        yield action


@cache
def _apigateway_operations(verb: str) -> tuple[str, ...]:
    session = botocore.session.get_session()
    names: set[str] = set()
    for service in APIGATEWAY_MODELS:
        model = session.get_service_model(service)
        names.update(op for op in model.operation_names if model.operation_model(op).http.get("method") == verb)
    return tuple(sorted(names))


def _action_matches(pattern: str, action: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, action, flags=re.IGNORECASE) is not None


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return list(value) if isinstance(value, list) else []
