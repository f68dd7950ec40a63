"""A small IAM policy evaluator for the identity-pool roles: trust bindings, wildcards, and "can do no more".

Written by hand because no installed library reads IAM documents (moto evaluates only what its own
backends need and boto3 none at all), and the questions asked here are narrow: is a trust policy
bound to one identity pool with `StringEquals` on `aud` and to authenticated identities on `amr`;
does a permission policy grant wildcard actions or resources; is every grant of one role covered by
the grants of another. The rules are deliberately conservative for a security gate: what cannot be
proved safe (NotAction, NotResource, a condition we do not model) is reported, never assumed fine.
Deny statements are ignored when comparing roles, so a grant hidden only by a Deny is still reported.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

COGNITO_IDENTITY = "cognito-identity.amazonaws.com"
AUD_KEY = f"{COGNITO_IDENTITY}:aud"
AMR_KEY = f"{COGNITO_IDENTITY}:amr"
ASSUME_WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"


class PolicyError(ValueError):
    """The document is not an IAM policy this evaluator can read (one line, names the problem)."""


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    # principal type ("AWS", "Federated", "Service", "*") -> values
    principals: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # lower-cased operator -> lower-cased condition key -> values
    conditions: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    sid: str = ""

    @property
    def label(self) -> str:
        return f"statement {self.sid!r}" if self.sid else "a statement"


def parse_policy(document: str | Mapping[str, Any]) -> list[Statement]:
    """Statements of a policy given as a dict, JSON text or URL-encoded JSON (as IAM stores it)."""
    if isinstance(document, str):
        text = document.strip()
        if text.startswith("%"):
            text = urllib.parse.unquote(text)
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PolicyError(f"policy document is not JSON ({exc.msg})") from None
    if not isinstance(document, Mapping):
        raise PolicyError("policy document is not a JSON object")
    raw = document.get("Statement")
    if raw is None:
        raise PolicyError("policy document has no Statement")
    items = [raw] if isinstance(raw, Mapping) else raw
    if not isinstance(items, list) or not all(isinstance(s, Mapping) for s in items):
        raise PolicyError("policy Statement must be an object or a list of objects")
    return [_statement(s) for s in items]


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise PolicyError(f"{what} must be a string or a list of strings")
    return tuple(values)


def _statement(raw: Mapping[str, Any]) -> Statement:
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"statement Effect must be Allow or Deny, got {effect!r}")
    principals: dict[str, tuple[str, ...]] = {}
    principal = raw.get("Principal")
    if principal == "*":
        principals["*"] = ("*",)
    elif isinstance(principal, Mapping):
        for kind, values in principal.items():
            principals[str(kind)] = _strings(values, f"Principal {kind}")
    conditions: dict[str, dict[str, tuple[str, ...]]] = {}
    for operator, block in (raw.get("Condition") or {}).items():
        if not isinstance(block, Mapping):
            raise PolicyError(f"Condition {operator} must be an object")
        conditions[operator.lower()] = {
            key.lower(): tuple(str(v) for v in (vals if isinstance(vals, list) else [vals]))
            for key, vals in block.items()
        }
    return Statement(
        effect=effect,
        actions=_strings(raw.get("Action"), "Action"),
        not_actions=_strings(raw.get("NotAction"), "NotAction"),
        resources=_strings(raw.get("Resource"), "Resource"),
        not_resources=_strings(raw.get("NotResource"), "NotResource"),
        principals=principals,
        conditions=conditions,
        sid=str(raw.get("Sid") or ""),
    )


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def glob_match(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM-style match of a literal value: `*` any run of characters, `?` one character."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, flags=0 if case_sensitive else re.IGNORECASE) is not None


def glob_covers(general: str, specific: str, *, case_sensitive: bool = True) -> bool:
    """True when every string `specific` matches is also matched by `general` (both IAM globs).

    Sound for `*`/`?` globs: `?` in `general` covers a literal or `?`, never a `*` (which may stand
    for zero or several characters); `*` in `general` absorbs anything.
    """
    if not case_sensitive:
        general, specific = general.lower(), specific.lower()

    @cache
    def covers(i: int, j: int) -> bool:
        if i == len(general):
            return j == len(specific)
        g = general[i]
        if g == "*":
            return covers(i + 1, j) or (j < len(specific) and covers(i, j + 1))
        if j == len(specific) or specific[j] == "*":
            return False
        if g == "?" or g == specific[j]:
            return covers(i + 1, j + 1)
        return False

    return covers(0, 0)


def _action_covers(general: str, specific: str) -> bool:
    # IAM action names are case-insensitive.
    return glob_covers(general, specific, case_sensitive=False)


def _resource_is_wildcard(resource: str) -> str | None:
    """Why a resource pattern is too broad, or None when it is scoped (per-user `${...}/*` is fine)."""
    if resource == "*":
        return "every resource"
    parts = resource.split(":", 5)
    if len(parts) < 6:
        return f"the malformed resource {resource!r}" if has_wildcard(resource) else None
    _, partition, service, _region, account, rest = parts
    if has_wildcard(service) or has_wildcard(partition):
        return f"resources of any service ({resource})"
    if has_wildcard(account):
        return f"resources in any account ({resource})"
    if rest in ("*", "") or rest.startswith("*"):
        return f"every resource of {service} ({resource})"
    return None


def wildcard_findings(statements: Iterable[Statement], role: str) -> list[str]:
    """Allow statements that grant wildcard actions or resources, or grant by exclusion."""
    out: list[str] = []
    for s in statements:
        if s.effect != "Allow":
            continue
        if s.not_actions:
            out.append(f"role {role}: {s.label} allows every action except {list(s.not_actions)} (NotAction); "
                       "list the exact actions the app needs instead.")
        if s.not_resources:
            out.append(f"role {role}: {s.label} allows every resource except {list(s.not_resources)} "
                       "(NotResource); list the exact resource ARNs instead.")
        wild = [a for a in s.actions if has_wildcard(a)]
        if wild:
            out.append(f"role {role}: {s.label} grants wildcard actions {wild}; "
                       "replace them with the exact actions the app needs.")
        for r in s.resources:
            why = _resource_is_wildcard(r)
            if why:
                out.append(f"role {role}: {s.label} grants access to {why}; scope Resource to the app's own "
                           "ARNs (e.g. a per-user ${cognito-identity.amazonaws.com:sub} prefix).")
    return out


def _grant_covered(action: str, resource: str, broad: Iterable[Statement]) -> bool:
    for b in broad:
        if b.effect != "Allow" or b.not_actions or b.not_resources:
            continue
        if any(_action_covers(ba, action) for ba in b.actions) and any(
            glob_covers(br, resource) for br in b.resources
        ):
            return True
    return False


def uncovered_grants(narrow: Iterable[Statement], broad: Iterable[Statement]) -> list[str]:
    """Grants of `narrow` that no Allow of `broad` covers (conditions ignored on both sides)."""
    broad = list(broad)
    out: list[str] = []
    for s in narrow:
        if s.effect != "Allow":
            continue
        if s.not_actions or s.not_resources:
            out.append(f"{s.label} grants by exclusion (NotAction/NotResource)")
            continue
        for action in s.actions:
            for resource in s.resources:
                if not _grant_covered(action, resource, broad):
                    out.append(f"{action} on {resource}")
    return out


def _trusts_cognito_identity(s: Statement) -> bool:
    if s.effect != "Allow":
        return False
    federated = s.principals.get("Federated", ())
    return COGNITO_IDENTITY in federated and any(_action_covers(a, ASSUME_WEB_IDENTITY) for a in s.actions)


def _trusts_anyone(s: Statement) -> bool:
    if s.effect != "Allow":
        return False
    return "*" in s.principals or "*" in s.principals.get("AWS", ()) or "*" in s.principals.get("Federated", ())


def _condition_values(s: Statement, operators: Iterable[str], key: str) -> tuple[str, ...] | None:
    for op in operators:
        values = s.conditions.get(op.lower(), {}).get(key)
        if values is not None:
            return values
    return None


def aud_pools(s: Statement) -> tuple[str, ...] | None:
    """Identity pools a cognito-identity trust statement is bound to; None when not bound by StringEquals."""
    return _condition_values(s, ["StringEquals", "ForAnyValue:StringEquals", "ForAllValues:StringEquals"], AUD_KEY)


def trust_reaches_pool(statements: Iterable[Statement], pool_id: str) -> bool:
    """True when identities of `pool_id` can assume the role (bound to it, or not bound at all)."""
    for s in statements:
        if _trusts_anyone(s):
            return True
        if _trusts_cognito_identity(s):
            pools = aud_pools(s)
            like = _condition_values(s, ["StringLike", "ForAnyValue:StringLike"], AUD_KEY)
            if pools is None and like is None:
                return True
            if pools is not None and pool_id in pools:
                return True
            if like is not None and any(glob_match(p, pool_id) for p in like):
                return True
    return False


def trust_findings(statements: Iterable[Statement], role: str, pool_id: str, *, authenticated: bool) -> list[str]:
    """Problems of a role's trust policy for the identity pool `pool_id`.

    Every statement that lets cognito-identity assume the role must say StringEquals aud = this pool
    (otherwise identities of any pool, in any account, can assume it); for the authenticated role it
    must also require amr = "authenticated" (otherwise guest identities can assume it).
    """
    statements = list(statements)
    out: list[str] = []
    for s in statements:
        if _trusts_anyone(s):
            out.append(f"role {role}: {s.label} of the trust policy lets any principal assume the role; "
                       f"restrict Principal to Federated {COGNITO_IDENTITY}.")
    trusting = [s for s in statements if _trusts_cognito_identity(s)]
    if not trusting:
        out.append(f"role {role}: the trust policy does not let {COGNITO_IDENTITY} assume it with "
                   f"{ASSUME_WEB_IDENTITY}; fix the trust policy or the pool's role mapping.")
    for s in trusting:
        pools = aud_pools(s)
        if pools is None:
            like = _condition_values(s, ["StringLike", "ForAnyValue:StringLike"], AUD_KEY)
            how = f"only StringLike {list(like)}" if like else "no aud condition"
            out.append(f"role {role}: {s.label} of the trust policy has {how}, so identities of other identity "
                       f"pools can assume it; add Condition StringEquals {{\"{AUD_KEY}\": \"{pool_id}\"}}.")
        elif set(pools) != {pool_id}:
            out.append(f"role {role}: {s.label} of the trust policy is bound to {sorted(pools)} instead of "
                       f"only {pool_id}; set StringEquals {AUD_KEY} to {pool_id} alone.")
        if authenticated:
            amr = _condition_values(
                s, ["ForAnyValue:StringLike", "ForAnyValue:StringEquals", "StringLike", "StringEquals"], AMR_KEY
            )
            if amr is None or set(amr) != {"authenticated"}:
                found = f"amr {list(amr)}" if amr is not None else "no amr condition"
                out.append(f"role {role}: {s.label} of the trust policy has {found}, so unauthenticated (guest) "
                           f"identities can assume the authenticated role; add Condition ForAnyValue:StringLike "
                           f"{{\"{AMR_KEY}\": \"authenticated\"}}.")
    return out
