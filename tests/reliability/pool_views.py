"""What a run left in a user pool, read with the harness's own Cognito client (timeouts, retries)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fixtures.aws import make_client_factory, make_session
from fixtures.config import load_config
from fixtures.lease import GROUP_PREFIX
from fixtures.users import EMAIL_DOMAIN, run_prefix


def cognito(env_file: Path) -> Any:
    config = load_config(env_file, environ={})
    return make_client_factory(config, make_session(config))("cognito-idp")


def run_users(idp: Any, pool_id: str, run_id: str) -> list[str]:
    """Usernames of the test users of run `run_id` (the harness's e-mail shape)."""
    found = []
    prefix = run_prefix(run_id)
    for page in idp.get_paginator("list_users").paginate(UserPoolId=pool_id, Filter=f'email ^= "{prefix}"'):
        for user in page["Users"]:
            email = next((a["Value"] for a in user["Attributes"] if a["Name"] == "email"), "")
            if email.startswith(prefix) and email.endswith("@" + EMAIL_DOMAIN):
                found.append(user["Username"])
    return sorted(found)


def all_pools(idp: Any) -> list[dict[str, Any]]:
    """Every user pool, across list pages."""
    return idp.get_paginator("list_user_pools").paginate(MaxResults=60).build_full_result()["UserPools"]


NOTHING: dict[str, list[str]] = {"users": [], "foreign pools": [], "foreign clients": [], "lease": []}


def leftovers(idp: Any, pool_id: str, run_id: str) -> dict[str, list[str]]:
    """Users, temporary foreign user pools and app clients, and the lease of run `run_id` still present."""
    foreign = f"e2e-foreign-{run_id}-"
    pools = all_pools(idp)
    pages = idp.get_paginator("list_user_pool_clients").paginate(UserPoolId=pool_id, MaxResults=60)
    clients = [c["ClientName"] for c in pages.build_full_result()["UserPoolClients"]]
    groups = idp.list_groups(UserPoolId=pool_id, Limit=60)["Groups"]
    return {
        "users": run_users(idp, pool_id, run_id),
        "foreign pools": sorted(p["Name"] for p in pools if p["Name"].startswith(foreign)),
        "foreign clients": sorted(c for c in clients if c.startswith(foreign)),
        "lease": [g["GroupName"] for g in groups if g["GroupName"] == f"{GROUP_PREFIX}{run_id}"],
    }
