"""Identity pool faults: guest access, the classic flow, extra login providers (UpdateIdentityPool),
and loose role trust or grants (IAM UpdateAssumeRolePolicy, PutRolePolicy, CreateRole)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from twin.faults.context import FaultContext
from twin.faults.lookup import identity_roles
from twin.faults.model import fault
from twin.faults.undo import Undo

ROGUE_ROLE = "learninghub-cognito-analytics"
EXTRA_POLICY = "fault-extra-grant"
POOL_FIELDS = (
    "IdentityPoolId", "IdentityPoolName", "AllowUnauthenticatedIdentities", "AllowClassicFlow",
    "SupportedLoginProviders", "DeveloperProviderName", "OpenIdConnectProviderARNs", "CognitoIdentityProviders",
    "SamlProviderARNs", "IdentityPoolTags",
)  # fmt: skip


# UpdateIdentityPool replaces the whole configuration: a revert names every list it must empty again.
CLEARED: dict[str, dict[str, str] | list[str] | list[dict[str, str | bool]]] = {
    "SupportedLoginProviders": {},
    "OpenIdConnectProviderARNs": [],
    "SamlProviderARNs": [],
    "CognitoIdentityProviders": [],
}


def observe_pool(ctx: FaultContext) -> dict[str, Any]:
    """The pool's configuration; an empty provider list reads the same as an absent one."""
    pool = ctx.client("cognito-identity").describe_identity_pool(IdentityPoolId=ctx.target.identity_pool_id)
    return {k: v for k, v in pool.items() if v not in ({}, [], "", None)}


def change_pool(ctx: FaultContext, undo: Undo, edit: Callable[[dict[str, Any]], None]) -> None:
    current = {**CLEARED, **{k: v for k, v in observe_pool(ctx).items() if k in POOL_FIELDS}}
    undo.aws("cognito-identity", "update_identity_pool", **current)
    wanted = dict(current)
    edit(wanted)
    ctx.client("cognito-identity").update_identity_pool(**wanted)


def _pool_fault(name: str, story: str, edit: Callable[[dict[str, Any]], None]) -> None:
    def change(ctx: FaultContext, undo: Undo) -> None:
        change_pool(ctx, undo, edit)

    fault(name, story=story, areas={"identity_pool"}, observe=observe_pool)(change)


_pool_fault(
    "identity-guest-access",
    "Guest access is switched on so the landing page can call an analytics API without signing in.",
    lambda p: p.update(AllowUnauthenticatedIdentities=True),
)
_pool_fault(
    "identity-classic-flow",
    "The basic (classic) authflow is enabled for an old mobile SDK, skipping the enhanced flow's checks.",
    lambda p: p.update(AllowClassicFlow=True),
)
_pool_fault(
    "identity-extra-login-provider",
    "Sign-in with Facebook is added to the identity pool for a pilot; it now hands out AWS credentials to "
    "identities this stack never expected.",
    lambda p: p.update(SupportedLoginProviders={"graph.facebook.com": "123456789012345"}),
)


def observe_role(ctx: FaultContext, kind: str) -> dict[str, Any]:
    iam, name = ctx.client("iam"), identity_roles(ctx)[kind]
    role = iam.get_role(RoleName=name)["Role"]
    inline = {
        p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
        for p in iam.list_role_policies(RoleName=name)["PolicyNames"]
    }
    return {"trust": role["AssumeRolePolicyDocument"], "inline": inline}


def put_inline(ctx: FaultContext, undo: Undo, kind: str, document: dict[str, Any]) -> None:
    name = identity_roles(ctx)[kind]
    ctx.client("iam").put_role_policy(RoleName=name, PolicyName=EXTRA_POLICY, PolicyDocument=json.dumps(document))
    undo.aws("iam", "delete_role_policy", RoleName=name, PolicyName=EXTRA_POLICY)


def _allow(actions: list[str], resource: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}


@fault(
    "identity-auth-trust-unbound",
    story="The authenticated role's trust policy is rewritten without the aud condition, so identities of "
    "any identity pool in any account may assume it.",
    areas={"identity_pool"},
    observe=lambda ctx: observe_role(ctx, "authenticated"),
)
def _trust_unbound(ctx: FaultContext, undo: Undo) -> None:
    iam, name = ctx.client("iam"), identity_roles(ctx)["authenticated"]
    trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    undo.aws("iam", "update_assume_role_policy", RoleName=name, PolicyDocument=json.dumps(trust))
    loose = json.loads(json.dumps(trust))
    for statement in loose["Statement"]:
        statement.get("Condition", {}).pop("StringEquals", None)
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(loose))


@fault(
    "identity-auth-role-wildcard",
    story="To unblock a file upload feature the authenticated role gets s3:* on every resource.",
    areas={"identity_pool"},
    observe=lambda ctx: observe_role(ctx, "authenticated"),
)
def _auth_wildcard(ctx: FaultContext, undo: Undo) -> None:
    put_inline(ctx, undo, "authenticated", _allow(["s3:*"], "*"))


@fault(
    "identity-guest-role-grants-more",
    story="The unauthenticated (guest) role is given dynamodb:Scan on the course table for a public "
    "catalogue page, a grant signed-in users do not have.",
    areas={"identity_pool"},
    observe=lambda ctx: observe_role(ctx, "unauthenticated"),
)
def _guest_grants_more(ctx: FaultContext, undo: Undo) -> None:
    put_inline(
        ctx,
        undo,
        "unauthenticated",
        _allow(["dynamodb:Scan"], "arn:aws:dynamodb:us-east-1:123456789012:table/learninghub-courses"),
    )


def observe_role_names(ctx: FaultContext) -> list[str]:
    return sorted(r["RoleName"] for r in ctx.client("iam").list_roles(MaxItems=1000)["Roles"])


@fault(
    "identity-rogue-role-trusts-pool",
    story="An analytics team creates its own role trusting cognito-identity.amazonaws.com without any "
    "condition; every identity, of any pool, can assume it with AssumeRoleWithWebIdentity.",
    areas={"identity_pool"},
    observe=observe_role_names,
)
def _rogue_role(ctx: FaultContext, undo: Undo) -> None:
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }]}  # fmt: skip
    ctx.client("iam").create_role(RoleName=ROGUE_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
    undo.aws("iam", "delete_role", RoleName=ROGUE_ROLE)
