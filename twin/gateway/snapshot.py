"""Immutable snapshot of every HTTP API in the control plane, as the gateway serves it.

Hand-written loader over boto3: moto has no get_authorizers (list), so authorizers are read one by one from the
ids routes reference; Lambda resource policies are read for every function an integration targets. A new
snapshot replaces the old one whole, so a request always sees one consistent configuration.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Any

from twin.gateway.authorizer import AuthorizerConfig
from twin.gateway.cors import Cors
from twin.gateway.policy import ResourcePolicy
from twin.gateway.routing import Route, RouteTable, compile_route
from twin.lambdas.aws import error_code
from twin.lambdas.code import function_name

log = logging.getLogger("twin.gateway")

DEFAULT_TIMEOUT_MS = 30_000  # HTTP API default (and maximum) integration timeout


@dataclass(frozen=True)
class Integration:
    integration_id: str
    integration_type: str
    uri: str
    payload_version: str
    timeout_ms: int

    @property
    def function(self) -> str | None:
        """Target function name for a Lambda proxy integration."""
        if self.integration_type != "AWS_PROXY" or ":lambda:" not in self.uri:
            return None
        return function_name(self.uri)


@dataclass(frozen=True)
class ApiSnapshot:
    api_id: str
    name: str
    cors: Cors | None
    routes: RouteTable
    integrations: dict[str, Integration]
    authorizers: dict[str, AuthorizerConfig | None]  # None: referenced by a route but not found
    serving: bool  # has a `$default` stage with auto-deploy
    stage_variables: dict[str, str] = field(default_factory=dict)
    loaded_at: float = 0.0  # time.monotonic() of the last full read


@dataclass(frozen=True)
class Snapshot:
    apis: dict[str, ApiSnapshot]
    policies: dict[str, ResourcePolicy | None]  # function name -> policy (None: no policy or no function)


def _pages(call: Any, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    for _ in range(1000):  # bounded: moto pages by 25 at most
        resp = call(**kwargs, **({"NextToken": token} if token else {}))
        items.extend(resp.get(key) or [])
        token = resp.get("NextToken")
        if not token:
            break
    return items


def load_api(apigw: Any, api: dict[str, Any], now: float) -> ApiSnapshot:
    api_id = api["ApiId"]
    routes = [r for r in (compile_route(raw) for raw in _pages(apigw.get_routes, "Items", ApiId=api_id)) if r]
    integrations = {
        raw["IntegrationId"]: Integration(
            integration_id=raw["IntegrationId"],
            integration_type=str(raw.get("IntegrationType") or ""),
            uri=str(raw.get("IntegrationUri") or ""),
            payload_version=str(raw.get("PayloadFormatVersion") or "2.0"),
            timeout_ms=int(raw.get("TimeoutInMillis") or DEFAULT_TIMEOUT_MS),
        )
        for raw in _pages(apigw.get_integrations, "Items", ApiId=api_id)
    }
    authorizers: dict[str, AuthorizerConfig | None] = {}
    for authorizer_id in {r.authorizer_id for r in routes if r.authorizer_id}:
        try:
            authorizers[authorizer_id] = AuthorizerConfig.from_api(
                apigw.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
            )
        except Exception as exc:
            if error_code(exc) != "NotFoundException":
                raise
            authorizers[authorizer_id] = None
    stage = next((s for s in _pages(apigw.get_stages, "Items", ApiId=api_id) if s.get("StageName") == "$default"), None)
    return ApiSnapshot(
        api_id=api_id,
        name=str(api.get("Name") or ""),
        cors=Cors.from_api(api.get("CorsConfiguration")),
        routes=RouteTable(_unique(routes)),
        integrations=integrations,
        authorizers=authorizers,
        serving=bool(stage and stage.get("AutoDeploy")),
        stage_variables=dict((stage or {}).get("StageVariables") or {}),
        loaded_at=now,
    )


def _unique(routes: list[Route]) -> list[Route]:
    # moto accepts duplicate route keys (AWS refuses them); the first one created wins.
    seen: set[str] = set()
    out = []
    for route in routes:
        if route.route_key not in seen:
            seen.add(route.route_key)
            out.append(route)
    return out


def load_policy(lambda_client: Any, function: str) -> ResourcePolicy | None:
    try:
        return ResourcePolicy.parse(lambda_client.get_policy(FunctionName=function)["Policy"])
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise


def _try_load(apigw: Any, api: dict[str, Any], now: float) -> ApiSnapshot | None:
    try:
        return load_api(apigw, api, now)
    except Exception as exc:
        log.warning("cannot read API %s: %s", api.get("ApiId"), exc)
        return None


def _try_policy(lambda_client: Any, function: str, previous: Snapshot) -> ResourcePolicy | None:
    try:
        return load_policy(lambda_client, function)
    except Exception as exc:
        log.warning("cannot read the policy of %s: %s", function, exc)
        return previous.policies.get(function)


def load_snapshot(
    apigw: Any, lambda_client: Any, previous: Snapshot, hot: set[str], cold_budget: int, pool: Executor
) -> Snapshot:
    """What the gateway serves. get_apis is read every time (new APIs and CORS changes show at once); the rest
    is re-read for new and `hot` APIs (recently requested) plus the `cold_budget` longest-unread others, so a
    round stays cheap when the control plane holds many APIs. An API that fails to load keeps its previous
    snapshot. APIs are read in parallel on `pool` (the control plane serves requests in threads)."""
    now = time.monotonic()
    items = [a for a in _pages(apigw.get_apis, "Items") if a.get("ProtocolType") in (None, "HTTP")]
    old = previous.apis
    cold = sorted(
        (a["ApiId"] for a in items if a["ApiId"] in old and a["ApiId"] not in hot),
        key=lambda api_id: old[api_id].loaded_at,
    )
    due = {a["ApiId"] for a in items if a["ApiId"] not in old or a["ApiId"] in hot} | set(cold[:cold_budget])
    by_id = {a["ApiId"]: a for a in items}
    apis: dict[str, ApiSnapshot] = {}
    due_list = sorted(due)
    loaded = dict(zip(due_list, pool.map(lambda api_id: _try_load(apigw, by_id[api_id], now), due_list), strict=True))
    for api in items:
        api_id = api["ApiId"]
        fresh = loaded.get(api_id)
        if fresh is not None:
            apis[api_id] = fresh
            continue
        due.discard(api_id)
        if api_id in old:
            apis[api_id] = replace(
                old[api_id], name=str(api.get("Name") or ""), cors=Cors.from_api(api.get("CorsConfiguration"))
            )
    # A function's policy is re-read when any API re-read this round targets it (APIs may share a function);
    # otherwise the previous read stands.
    targets = {api_id: {i.function for i in snap.integrations.values() if i.function} for api_id, snap in apis.items()}
    to_read = {f for api_id in due for f in targets.get(api_id, ())}
    policies: dict[str, ResourcePolicy | None] = {}
    for function in set().union(*targets.values()) - to_read:
        if function in previous.policies:
            policies[function] = previous.policies[function]
        else:
            to_read.add(function)
    read_list = sorted(to_read)
    for function, policy in zip(
        read_list, pool.map(lambda f: _try_policy(lambda_client, f, previous), read_list), strict=True
    ):
        policies[function] = policy
    return Snapshot(apis=apis, policies=policies)
