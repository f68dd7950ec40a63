"""A stack set up the way AWS recommends today: a user pool with the UPDATED issuer configuration, app clients
that allow only choice-based sign-in (ALLOW_USER_AUTH + refresh) and rotate refresh tokens. The e2e suite must
pass clean on it (env file set accordingly), and still fail in the authorizer area when the authorizer is left
on the other issuer form of the pool."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fixtures.local_twin import LaunchedTwin as Twin
from fixtures.local_twin import launched_twin
from tests.selftest.e2e_runs import SuiteRun, run_suite
from tests.selftest.twins import fault_context
from twin.faults import catalogue
from twin.faults.catalogue.cognito import CLIENT_FIELDS

pytestmark = [pytest.mark.selftest, pytest.mark.timeout(20 * 60)]
FLOWS = ["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
OVERRIDES = {"E2E_COGNITO__ALLOWED_AUTH_FLOWS": ",".join(FLOWS)}


def settings(twin: Twin) -> dict[str, Any]:
    return tomllib.loads(twin.env_file.read_text())


def modernise_clients(twin: Twin) -> None:
    """What an operator does in the console: each named app client to USER_AUTH + refresh, with rotation."""
    ctx = fault_context(twin)
    idp = ctx.client("cognito-idp")
    for client_id in (ctx.target.client_id, settings(twin)["cognito"]["expiry_client_id"]):
        current = idp.describe_user_pool_client(UserPoolId=ctx.target.user_pool_id, ClientId=client_id)
        wanted = {k: v for k, v in current["UserPoolClient"].items() if k in CLIENT_FIELDS}
        wanted.update(
            ExplicitAuthFlows=FLOWS, RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 10}
        )
        idp.update_user_pool_client(UserPoolId=ctx.target.user_pool_id, ClientId=client_id, **wanted)


@pytest.fixture(scope="module")
def current_twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    with launched_twin(tmp_path_factory.mktemp("current-aws"), extra_args=("--issuer-type", "UPDATED")) as twin:
        modernise_clients(twin)
        yield twin


def failures(run: SuiteRun) -> list[str]:
    return [f"{t.nodeid}: {t.message[:300]}" for t in run.failing()]


def test_the_suite_is_green_on_a_current_stack(current_twin: Twin, tmp_path: Path) -> None:
    assert settings(current_twin)["cognito"]["issuer_type"] == "UPDATED", "the twin wrote the pool's issuer type"
    run = run_suite(current_twin.env_file, tmp_path / "clean", env=OVERRIDES)
    assert run.broken is None, run.broken
    assert failures(run) == []
    assert run.counts().get("passed", 0) >= 90


def test_an_authorizer_left_on_the_other_issuer_fails_in_the_authorizer_area(
    current_twin: Twin, tmp_path: Path
) -> None:
    ctx = fault_context(current_twin)
    revert = catalogue()["authorizer-issuer-other-form"].apply(ctx)
    try:
        run = run_suite(current_twin.env_file, tmp_path / "fault", areas=("authorizer",), env=OVERRIDES)
    finally:
        revert(ctx)
    assert run.broken is None, run.broken
    assert "authorizer" in run.tripped(), failures(run)
