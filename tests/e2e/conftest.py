"""Fixtures shared by the e2e checks: real path values, the reject round (one per run: its tests share a
worker), and the early mint of the short-lived tokens for the slow expiry check."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fixtures.api import ApiClient
from fixtures.config import EnvConfig
from fixtures.forge import build_cases
from fixtures.harness import Harness
from fixtures.oidc import jwks
from fixtures.reject_round import MISSING_CASES, RejectRound, concrete, run_reject_round
from fixtures.routes import parse_route_key
from fixtures.signin import Tokens
from fixtures.users import TestUser

E2E_DIR = Path(__file__).resolve().parent
EXPIRY_FIXTURE = "expiring_tokens"
PLACEHOLDER_EXAM_ID = "0"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow checks run only when selected (-m slow); the expiry check is moved last so the rest of
    the suite runs while its tokens age."""
    wants_slow = "slow" in (config.option.markexpr or "")
    for item in items:
        if E2E_DIR not in item.path.parents:
            continue  # conftest hooks see the whole session; only the e2e suite's items are ours
        if item.get_closest_marker("slow") and not wants_slow:
            item.add_marker(pytest.mark.skip(reason="slow check: select it with -m slow"))
    items.sort(key=lambda item: EXPIRY_FIXTURE in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session", autouse=True)
def _mint_expiring_tokens_first(request: pytest.FixtureRequest) -> None:
    """Mint the expiry client's tokens at session start when the expiry check will run here."""
    if any(
        EXPIRY_FIXTURE in getattr(item, "fixturenames", ()) and not item.get_closest_marker("skip")
        for item in request.session.items
    ):
        request.getfixturevalue(EXPIRY_FIXTURE)


@dataclass
class MintedTokens:
    tokens: Tokens | None
    minted_at: float
    status_when_minted: int | None
    why_missing: str = ""


@pytest.fixture(scope="session")
def expiring_tokens(
    env_config: EnvConfig, test_user: TestUser, api_client: ApiClient, control_route: tuple[str, str]
) -> MintedTokens:
    """Tokens from the short-validity app client, and the status they got right after minting."""
    client_id = env_config.cognito.expiry_client_id
    if not client_id:
        return MintedTokens(None, time.time(), None, "[cognito] expiry_client_id is not set in the env file")
    tokens = test_user.sign_in_fresh(client_id=client_id)
    method, path = control_route
    status = api_client.request(method, path, token=tokens.access_token).status_code
    return MintedTokens(tokens, time.time(), status)


@pytest.fixture(scope="session")
def lambda_logs(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("logs")


@pytest.fixture(scope="session")
def path_values(env_config: EnvConfig, api_client: ApiClient, test_user: TestUser) -> dict[str, str]:
    """Real values for path parameters: the env's, the canary course, and an exam this user submitted."""
    values = {"courseId": str(env_config.database.canary_course_id), **env_config.api.path_values}
    needs_exam = any("examId" in parse_route_key(r).params for r in env_config.api.protected_routes)
    if "examId" not in values and needs_exam and "POST /exams" in env_config.api.protected_routes:
        response = api_client.request(
            "POST",
            "/exams",
            token=test_user.tokens().id_token,
            json={"courseId": env_config.database.canary_course_id, "answers": ["e2e path value"]},
        )
        if response.status_code == 201:
            values["examId"] = str(response.json()["id"])
        else:
            # The authorizer answers before the Lambda reads the path, so a placeholder still tests it;
            # the POST's own failure is reported by the checks that send it.
            values["examId"] = PLACEHOLDER_EXAM_ID
    return values


@pytest.fixture(scope="session")
def protected_requests(env_config: EnvConfig, path_values: dict[str, str]) -> list[tuple[str, str, str]]:
    """(route key, method, path) for every protected route of the env file."""
    return [(key, *concrete(key, path_values)) for key in env_config.api.protected_routes if key != "$default"]


@pytest.fixture(scope="session")
def control_route(env_config: EnvConfig, path_values: dict[str, str]) -> tuple[str, str]:
    """A protected, unscoped GET route a valid token reaches (GET /me when listed)."""
    keys = [k for k in env_config.api.protected_routes if k not in env_config.api.scoped_routes]
    key = "GET /me" if "GET /me" in keys else next((k for k in keys if k.startswith("GET ")), None)
    if key is None:
        pytest.skip("the env file lists no protected GET route to send the control request to")
    return concrete(key, path_values)


@pytest.fixture(scope="session")
def reject_round(
    env_config: EnvConfig,
    api_client: ApiClient,
    test_user: TestUser,
    protected_requests: list[tuple[str, str, str]],
    control_route: tuple[str, str],
    lambda_logs: Any,
    harness: Harness,
) -> RejectRound:
    tokens = test_user.tokens()
    cases = [
        *MISSING_CASES,
        *build_cases(
            tokens.id_token,
            tokens.access_token,
            tokens.refresh_token,
            jwks(env_config),
            other_client_id=env_config.cognito.expiry_client_id,  # in the audience: only the signature rejects it
        ),
    ]
    return run_reject_round(
        env_config=env_config,
        api_client=api_client,
        cases=cases,
        requests_=protected_requests,
        control=control_route,
        control_token=tokens.id_token,
        logs=lambda_logs,
        run_id=harness.run_id,
    )
