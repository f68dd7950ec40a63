"""Lambda permissions: only API Gateway, and only this API, may invoke the function; every route's
integration points at a function that exists, and every route really invokes it (its x-e2e-probe
shows up in the function's logs) without a server error."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import allure
import pytest
from botocore.exceptions import ClientError

from fixtures.api import ApiClient
from fixtures.config import EnvConfig
from fixtures.harness import Harness
from fixtures.lambda_logs import PROBE_HEADER, find_probes, new_probe
from fixtures.lambda_policy import (
    function_policy,
    function_url_configs,
    policy_problems,
    public_function_urls,
    unqualified,
)
from fixtures.posture.verdict import FIX_FUNCTION_NAME, aws_errors_collect, aws_errors_fail, fail, fail_on
from fixtures.reject_round import CLOCK_SKEW_MS, LOG_WAIT_S, UNPROVEN, body_for, concrete
from fixtures.routes import deployed_routes
from fixtures.users import TestUser

pytestmark = pytest.mark.lambda_permissions
FUNCTION_IN_URI = re.compile(r"(arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:[\w-]+(?::[\w$-]+)?)")
FIX_API_ID = "set [api] api_id to the ID of the HTTP API (API Gateway > APIs)"
SERVER_ERRORS = {
    500: "the function failed or API Gateway may not invoke it (read the function's logs and resource policy)",
    502: "the function returned a response API Gateway cannot map (payload format 2.0 shape)",
    503: "the function could not reach a dependency (database) or timed out",
    504: "the integration timed out (function timeout above 29 s or a slow database)",
}


@pytest.fixture(scope="session")
def integrated_functions(env_config: EnvConfig, aws_client: Callable[[str], Any]) -> dict[str, list[str]]:
    """Function ARN -> route keys whose integration targets it."""
    apigw = aws_client("apigatewayv2")
    api_id = env_config.api.api_id
    functions: dict[str, list[str]] = {}
    with aws_errors_fail(f"reading the routes and integrations of [api] api_id {api_id}", FIX_API_ID):
        routes = deployed_routes(apigw, api_id)
        targets = {r.target for r in routes if r.target and r.target.startswith("integrations/")}
        integrations = {
            t: apigw.get_integration(ApiId=api_id, IntegrationId=t.split("/", 1)[1]) for t in targets
        }  # one read per integration, however many routes share it
    for route in routes:
        integration = integrations.get(route.target) if route.target else None
        if integration is None:
            continue
        match = FUNCTION_IN_URI.search(integration.get("IntegrationUri", ""))
        if match:
            functions.setdefault(match.group(1), []).append(route.key)
    return functions


@allure.title("Only this API may invoke the function (resource policy)")
def test_function_policy_allows_only_this_api(
    env_config: EnvConfig, aws_client: Callable[[str], Any], integrated_functions: dict[str, list[str]]
) -> None:
    lam = aws_client("lambda")
    functions = dict(integrated_functions) or {env_config.lambda_.function_name: []}
    wrong: dict[str, list[str]] = {}
    findings: list[str] = []  # a function that cannot be read is one finding; the others are still checked
    for function, keys in sorted(functions.items()):
        fix = f"deploy it or fix the integration URI of {keys}" if keys else FIX_FUNCTION_NAME
        with aws_errors_collect(findings, f"reading function {function}", fix):
            arn = lam.get_function(FunctionName=function)["Configuration"]["FunctionArn"]
            statements = function_policy(lam, function)
            _, partition, _, region, account, *_ = arn.split(":")
            prefix = f"arn:{partition}:execute-api:{region}:{account}:{env_config.api.api_id}/"
            allure.attach(
                json.dumps(statements, indent=2), name=f"policy of {function}", attachment_type="application/json"
            )
            problems = policy_problems(statements, prefix)
            if problems:
                wrong[function.rsplit(":", 1)[-1]] = problems
    if wrong:
        findings.append(
            f"function policies are wrong: {wrong}: keep one statement with principal apigateway.amazonaws.com "
            f"and SourceArn arn:aws:execute-api:<region>:<account>:{env_config.api.api_id}/*/*/* "
            "(aws lambda add-permission)"
        )
    fail_on(findings)


@allure.title("No integrated function has a public function URL (unqualified or on an alias)")
def test_no_public_function_url(
    env_config: EnvConfig, aws_client: Callable[[str], Any], integrated_functions: dict[str, list[str]]
) -> None:
    lam = aws_client("lambda")
    # By name: the integrations' functions are the stack's own (moto's ListAliases does not take an ARN).
    names = {unqualified(f).split(":")[-1] for f in integrated_functions} | {env_config.lambda_.function_name}
    public = {}
    findings: list[str] = []
    for function in sorted(names):
        with aws_errors_collect(findings, f"reading the function URLs of {function}", FIX_FUNCTION_NAME):
            configs = function_url_configs(lam, function)
            allure.attach(
                json.dumps(configs, indent=2, default=str),
                name=f"function URLs of {function}",
                attachment_type="application/json",
            )
            if urls := public_function_urls(configs):
                public[function] = urls
    if public:
        findings.append(
            f"functions have a public function URL (auth type NONE) that bypasses API Gateway and its authorizer: "
            f"{public}: delete each URL or set its auth type to AWS_IAM"
        )
    fail_on(findings)


@allure.title("Every route's integration targets an existing function")
def test_every_integration_targets_an_existing_function(
    env_config: EnvConfig, aws_client: Callable[[str], Any], integrated_functions: dict[str, list[str]]
) -> None:
    lam = aws_client("lambda")
    listed = set(env_config.api.public_routes) | set(env_config.api.protected_routes)
    covered = {key for keys in integrated_functions.values() for key in keys}
    without = sorted(listed - covered)
    if without:
        fail(f"routes {without} have no Lambda integration: attach the function's AWS_PROXY integration to them")
    missing = {}
    findings: list[str] = []
    for function, keys in integrated_functions.items():
        with aws_errors_collect(findings, f"reading function {function}", f"fix the integration URI of {keys}"):
            try:
                lam.get_function(FunctionName=function)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
                missing[function] = keys
    if missing:
        findings.append(
            f"integrations point at functions that do not exist {missing}: fix the integration URI or deploy them"
        )
    fail_on(findings)


@allure.title("Every route invokes the function (probe in its logs) without a server error")
def test_every_route_invokes_without_server_error(
    env_config: EnvConfig,
    api_client: ApiClient,
    test_user: TestUser,
    path_values: dict[str, str],
    integrated_functions: dict[str, list[str]],
    lambda_logs: Any,
    harness: Harness,
) -> None:
    token = test_user.tokens().id_token
    function_of = {key: arn.split(":")[6] for arn, keys in integrated_functions.items() for key in keys}
    since_ms = int(time.time() * 1000) - CLOCK_SKEW_MS
    errors, refused = {}, {}
    probes: dict[str, set[str]] = {}  # function name -> probes of the requests that should have invoked it
    route_of: dict[str, str] = {}
    for key in [*env_config.api.public_routes, *env_config.api.protected_routes]:
        if key == "$default" or key in env_config.api.scoped_routes:
            continue  # sign-in tokens lack custom scopes: test_scoped_routes_forbid_tokens_without_scope
        method, path = concrete(key, path_values)
        probe = new_probe(harness.run_id, "invoke")
        protected = key in env_config.api.protected_routes
        response = api_client.request(
            method,
            path,
            token=token if protected else None,
            headers={PROBE_HEADER: probe},
            json=body_for(method, env_config),
        )
        if response.status_code >= 500:
            errors[key] = f"{response.status_code}: {SERVER_ERRORS.get(response.status_code, 'server error')}"
        elif response.status_code in (401, 403):
            # The authorizer answered, so nothing reached the function; test_authorizer reports the refusal.
            refused[key] = response.status_code
        else:
            function = function_of.get(key, env_config.lambda_.function_name)
            probes.setdefault(function, set()).add(probe)
            route_of[probe] = f"{key} ({response.status_code}, logs /aws/lambda/{function})"
    if errors:
        fail(f"routes answered with server errors: {errors}")
    if not route_of:
        pytest.skip(f"the authorizer refused every route {refused} (reported by the authorizer checks): no invocation")
    seen: set[str] = set()
    for function, sent in probes.items():
        seen |= find_probes(lambda_logs, function, sent, since_ms=since_ms, until_found=sent, timeout_s=LOG_WAIT_S)
    if not seen:
        fail(
            f"none of the requests' x-e2e-probe headers appeared in {', '.join(f'/aws/lambda/{f}' for f in probes)} "
            + UNPROVEN.format(claim="the invocations")
        )
    missing = sorted(route for probe, route in route_of.items() if probe not in seen)
    if missing:
        fail(
            f"routes {missing} answered without invoking the function (their x-e2e-probe never reached its logs "
            "while other requests' did): deploy each route with an AWS_PROXY integration to the function"
        )
