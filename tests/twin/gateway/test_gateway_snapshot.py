"""The configuration snapshot (twin/gateway/snapshot.py) read directly, one round at a time: a function's
resource policy is re-read whenever an API re-read in that round targets it, even when another API that
shares the function is not due (it used to keep the stale policy of whichever API came first)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.twin.gateway.gateway_support import deploy_api, grant
from twin.gateway.snapshot import Snapshot, load_snapshot


@pytest.mark.parametrize("due", ["first", "second"])
def test_a_shared_functions_policy_is_reread_with_any_api_that_is_due(clients: dict[str, Any], due: str) -> None:
    first = deploy_api(clients, {"GET /p": {}}, permission=None)
    second = deploy_api(clients, {"GET /p": {}}, function=first.function, permission=None)
    apigw, lambda_client = clients["apigatewayv2"], clients["lambda"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        before = load_snapshot(apigw, lambda_client, Snapshot(apis={}, policies={}), set(), 0, pool)
        assert before.policies[first.function] is None
        grant(clients, first.function, second.api_id, sid="later")
        hot = {first.api_id if due == "first" else second.api_id}
        after = load_snapshot(apigw, lambda_client, before, hot, 0, pool)
    assert after.policies[first.function] is not None, "the statement added since the last round was not read"
