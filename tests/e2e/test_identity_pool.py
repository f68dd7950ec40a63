"""Identity pool posture: no guest access unless the env says so, only this user pool as provider, role
trust bound to this pool (StringEquals aud) and to authenticated identities (amr), no wildcard grants
on the authenticated role, and an unauthenticated role that can do no more than the authenticated one.

Roles are the pool's mapping (GetIdentityPoolRoles) plus every IAM role whose trust policy lets this
pool's identities in (an unbound cognito-identity trust counts): a role that is not mapped but trusts
the pool can still be assumed with AssumeRoleWithWebIdentity. Skipped when the env file has no
[cognito] identity_pool_id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import allure
import pytest

from fixtures.config import EnvConfig
from fixtures.posture.expect import named_clients
from fixtures.posture.policy import (
    PolicyError,
    Statement,
    parse_policy,
    trust_findings,
    trust_reaches_pool,
    uncovered_grants,
    wildcard_findings,
)
from fixtures.posture.verdict import aws_errors_fail, fail, fail_on

pytestmark = pytest.mark.identity_pool

MAX_PAGES = 50
FIX_POOL_ID = "copy the ID from Cognito > Identity pools into the env file, or remove the key"


def role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def pool_id(env_config: EnvConfig) -> str:
    if not env_config.cognito.identity_pool_id:
        pytest.skip("the env file has no [cognito] identity_pool_id: this stack has no identity pool")
    return env_config.cognito.identity_pool_id


@pytest.fixture(scope="module")
def identity(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("cognito-identity")


@pytest.fixture(scope="module")
def iam(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("iam")


@pytest.fixture(scope="module")
def description(identity: Any, pool_id: str) -> dict[str, Any]:
    with aws_errors_fail(f"describing [cognito] identity_pool_id {pool_id}", FIX_POOL_ID):
        return identity.describe_identity_pool(IdentityPoolId=pool_id)


@pytest.fixture(scope="module")
def mapped(identity: Any, pool_id: str) -> dict[str, str]:
    """{"authenticated": arn, "unauthenticated": arn} as the pool maps them ({} when it maps none)."""
    with aws_errors_fail(f"reading the roles of [cognito] identity_pool_id {pool_id}", FIX_POOL_ID):
        return dict(identity.get_identity_pool_roles(IdentityPoolId=pool_id).get("Roles") or {})


@pytest.fixture(scope="module")
def trusting(iam: Any, pool_id: str) -> dict[str, list[Statement]]:
    """Every role (by name) whose trust policy admits identities of this pool, with that trust policy."""
    out: dict[str, list[Statement]] = {}
    kwargs: dict[str, Any] = {"MaxItems": 100}
    for _ in range(MAX_PAGES):
        page = iam.list_roles(**kwargs)
        for role in page.get("Roles", []):
            try:
                trust = parse_policy(role.get("AssumeRolePolicyDocument") or {"Statement": []})
            except PolicyError:
                continue  # not ours to judge here: the mapped roles are parsed strictly below
            if trust_reaches_pool(trust, pool_id):
                out[role["RoleName"]] = trust
        if not page.get("IsTruncated"):
            break
        kwargs["Marker"] = page["Marker"]
    return out


def unreadable(what: str, exc: PolicyError) -> str:
    return f"{what} is not a readable IAM policy ({exc}); fix the document."


def strict_parse(document: Any, what: str) -> list[Statement]:
    try:
        return parse_policy(document)
    except PolicyError as exc:
        fail(unreadable(what, exc))


def trust_of(iam: Any, name: str) -> list[Statement]:
    """The role's trust policy; PolicyError when it is not a readable IAM policy."""
    return parse_policy(iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"])


def permissions_of(iam: Any, name: str) -> list[Statement]:
    """Inline and attached (default version) policy statements of a role."""
    statements: list[Statement] = []
    for policy_name in _paged(iam.list_role_policies, "PolicyNames", RoleName=name):
        doc = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
        statements += strict_parse(doc, f"inline policy {policy_name} of role {name}")
    for attached in _paged(iam.list_attached_role_policies, "AttachedPolicies", RoleName=name):
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"])
        statements += strict_parse(version["PolicyVersion"]["Document"], f"policy {attached['PolicyArn']}")
    return statements


def _paged(call: Callable[..., dict[str, Any]], key: str, **kwargs: Any) -> list[Any]:
    items: list[Any] = []
    for _ in range(MAX_PAGES):
        page = call(**kwargs)
        items += page.get(key, [])
        if not page.get("IsTruncated"):
            return items
        kwargs["Marker"] = page["Marker"]
    return items


@allure.title("No guest access unless the env file allows it, and no basic (classic) flow")
def test_guest_access_as_the_env_says(env_config: EnvConfig, description: dict[str, Any], pool_id: str) -> None:
    """Prowler cognito_identity_pool_guest_access_disabled (unless the env allows guests), and the basic
    (classic) flow off, since it hands out role credentials without the enhanced flow's checks."""
    findings: list[str] = []
    if description.get("AllowUnauthenticatedIdentities") and not env_config.identity_pool.allow_unauthenticated:
        findings.append(
            f"identity pool {pool_id} gives AWS credentials to unauthenticated (guest) identities; set "
            "AllowUnauthenticatedIdentities to false (or allow it in [identity_pool] of the env file)."
        )
    if description.get("AllowClassicFlow"):
        findings.append(f"identity pool {pool_id} allows the basic (classic) flow; set AllowClassicFlow to false.")
    fail_on(findings)


@allure.title("Only this user pool, through the env file's app clients, signs in to the identity pool")
def test_only_this_user_pool_signs_in(env_config: EnvConfig, description: dict[str, Any], pool_id: str) -> None:
    """The pool's only login provider is this user pool, through the env file's app clients."""
    provider = f"cognito-idp.{env_config.aws.region}.amazonaws.com/{env_config.cognito.user_pool_id}"
    clients = set(named_clients(env_config))
    providers = description.get("CognitoIdentityProviders") or []
    findings = [
        f"identity pool {pool_id} accepts tokens from {p.get('ProviderName')} client {p.get('ClientId')}, "
        "which the env file does not name; remove that provider."
        for p in providers
        if p.get("ProviderName") != provider or p.get("ClientId") not in clients
    ]
    if not any(p.get("ProviderName") == provider for p in providers):
        findings.append(
            f"identity pool {pool_id} does not list the user pool {provider} as a provider; add it "
            "with the web client id."
        )
    others = {
        k: description.get(k)
        for k in ("SupportedLoginProviders", "OpenIdConnectProviderARNs", "SamlProviderARNs", "DeveloperProviderName")
        if description.get(k)
    }
    if others:
        findings.append(
            f"identity pool {pool_id} also accepts {sorted(others)}, which the env file does not "
            "expect; remove those providers."
        )
    fail_on(findings)


@allure.title("Every role the pool can hand out trusts only this pool (aud) and authenticated identities (amr)")
def test_role_trust_is_bound_to_this_pool(
    iam: Any, pool_id: str, mapped: dict[str, str], trusting: dict[str, list[Statement]]
) -> None:
    """Every mapped or trusting role: StringEquals aud = this pool; amr = authenticated unless it is
    the pool's unauthenticated role."""
    unauth = role_name(mapped["unauthenticated"]) if mapped.get("unauthenticated") else None
    findings: list[str] = []
    if not mapped.get("authenticated"):
        findings.append(f"identity pool {pool_id} maps no authenticated role; set one with set-identity-pool-roles.")
    names = {role_name(arn) for arn in mapped.values()} | set(trusting)
    for name in sorted(names):
        try:
            trust = trusting.get(name) or trust_of(iam, name)
        except PolicyError as exc:
            findings.append(unreadable(f"the trust policy of role {name}", exc))
            continue
        findings += trust_findings(trust, name, pool_id, authenticated=name != unauth)
    fail_on(findings)


@allure.title("The authenticated role grants no wildcard actions or resources")
def test_authenticated_role_grants_no_wildcards(iam: Any, mapped: dict[str, str]) -> None:
    """No wildcard actions, all-resource grants or NotAction/NotResource on the authenticated role."""
    if not mapped.get("authenticated"):
        pytest.skip("the pool maps no authenticated role (reported by the trust check)")
    name = role_name(mapped["authenticated"])
    fail_on(wildcard_findings(permissions_of(iam, name), name))


@allure.title("The unauthenticated role can do no more than the authenticated role")
def test_unauthenticated_role_can_do_no_more(iam: Any, mapped: dict[str, str]) -> None:
    """Every grant of the unauthenticated role is also granted to the authenticated role."""
    if not mapped.get("unauthenticated"):
        pytest.skip("the pool maps no unauthenticated role")
    if not mapped.get("authenticated"):
        pytest.skip("the pool maps no authenticated role (reported by the trust check)")
    unauth, auth = role_name(mapped["unauthenticated"]), role_name(mapped["authenticated"])
    extra = uncovered_grants(permissions_of(iam, unauth), permissions_of(iam, auth))
    fail_on(
        f"the unauthenticated role {unauth} can do what the authenticated role {auth} cannot: {item}; "
        "remove it from the unauthenticated role."
        for item in extra
    )
