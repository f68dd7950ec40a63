"""Background refresh of the gateway's configuration snapshot (and of the authorizers' signing keys).

A plain thread, because boto3 is blocking and the request path must never wait on the control plane: each
round builds a whole new Snapshot and swaps it in with one assignment; requests read whatever is current.

AWS timing: on AWS a Lambda permission change (AddPermission/RemovePermission) and an authorizer update take
effect some seconds after the call returns (eventual consistency). `Propagation` reproduces that on request:
a changed resource policy or authorizer configuration is served only once it has been observed unchanged for
`delay_s`; until then the previous one is. Off (0) by default: see twin/gateway/README.md for why.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from twin.gateway.jwks import KeyStore
from twin.gateway.snapshot import Snapshot, load_snapshot
from twin.lambdas.aws import control_client

log = logging.getLogger("twin.gateway")


HOT_S = 15.0  # an API requested this recently is re-read fully every round
COLD_BUDGET = 2  # other APIs re-read per round, longest-unread first
PROPAGATION_ENV = "TWIN_GATEWAY_PROPAGATION_DELAY_S"


class Propagation:
    """Delays changes of Lambda resource policies and of authorizer configurations by `delay_s`.

    `apply(served, observed)` returns what to serve: `observed` (the control plane as last read), except that a
    policy or authorizer that differs from `served` keeps its served value until the same new value has been
    observed for `delay_s` (a further change restarts the wait for the newest value; a change undone in time
    never shows). Resources the gateway has not served yet (a new API's authorizers, the policy of a function
    no served API targeted) and whole APIs appearing or going are not delayed: they come with a deployment,
    which this class does not model. The first call serves `observed` as is (the state at start has settled).
    """

    def __init__(self, delay_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.delay_s = delay_s
        self._clock = clock
        self._pending: dict[Hashable, tuple[Any, float]] = {}  # key -> (observed value, first seen)
        self._started = False

    def pending(self) -> int:
        """How many observed changes are not served yet."""
        return len(self._pending)

    def apply(self, served: Snapshot, observed: Snapshot) -> Snapshot:
        if self.delay_s <= 0 or not self._started:
            self._started = True
            self._pending.clear()
            return observed
        now = self._clock()
        seen: set[Hashable] = set()
        policies = dict(observed.policies)
        for function, policy in observed.policies.items():
            if function in served.policies:
                policies[function] = self._settle(("policy", function), served.policies[function], policy, now, seen)
        apis = dict(observed.apis)
        for api_id, api in observed.apis.items():
            before = served.apis.get(api_id)
            if before is None:
                continue
            authorizers = dict(api.authorizers)
            for authorizer_id, config in api.authorizers.items():
                if authorizer_id in before.authorizers:
                    authorizers[authorizer_id] = self._settle(
                        ("authorizer", api_id, authorizer_id), before.authorizers[authorizer_id], config, now, seen
                    )
            if authorizers != api.authorizers:
                apis[api_id] = replace(api, authorizers=authorizers)
        for key in set(self._pending) - seen:  # the resource went away: nothing left to propagate
            del self._pending[key]
        return Snapshot(apis=apis, policies=policies)

    def _settle(self, key: Hashable, served: Any, observed: Any, now: float, seen: set[Hashable]) -> Any:
        if observed == served:
            self._pending.pop(key, None)
            return observed
        seen.add(key)
        pending = self._pending.get(key)
        if pending is None or pending[0] != observed:
            pending = self._pending[key] = (observed, now)
        if now - pending[1] >= self.delay_s:
            del self._pending[key]
            seen.discard(key)
            return observed
        return served


class Refresher:
    """Keeps `current` fresh: a new snapshot every `interval_s`. New APIs, CORS changes and any change to an API
    requested in the last 15 s show within a second; other APIs are re-read round-robin. Resource-policy and
    authorizer changes show `propagation_delay_s` later still (default 0)."""

    def __init__(
        self,
        control_url: str,
        region: str,
        keys: KeyStore,
        interval_s: float = 0.4,
        always_hot: str | None = None,
        propagation_delay_s: float = 0.0,
    ) -> None:
        self._apigw = control_client("apigatewayv2", control_url, region)
        self._lambda = control_client("lambda", control_url, region)
        self._keys = keys
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._prefetcher = ThreadPoolExecutor(max_workers=2, thread_name_prefix="jwks-prefetch")
        self._readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="config-read")
        self.current = Snapshot(apis={}, policies={})
        # What the control plane said at the last read. Rounds build on it (not on `current`, which may still
        # hold delayed values), so a resource that is not re-read in a round keeps its newest observed value.
        self._observed = self.current
        self._propagation = Propagation(propagation_delay_s)
        self._used: dict[str, float] = {}
        self._always_hot = always_hot

    def touch(self, api_id: str) -> None:
        """Called per request: keeps this API hot. A plain dict write, safe from the event loop."""
        self._used[api_id] = time.monotonic()

    def _hot(self) -> set[str]:
        now = time.monotonic()
        hot = {api_id for api_id, used in list(self._used.items()) if now - used < HOT_S}
        if self._always_hot:
            hot.add(self._always_hot)
        return hot

    def load_once(self) -> Snapshot:
        """One synchronous round (raises when the control plane cannot be read); returns what is now served."""
        observed = load_snapshot(self._apigw, self._lambda, self._observed, self._hot(), COLD_BUDGET, self._readers)
        self._observed = observed
        self.current = self._propagation.apply(self.current, observed)
        for issuer in sorted(
            {a.issuer for api in observed.apis.values() for a in api.authorizers.values() if a is not None and a.issuer}
        ):
            # Off this thread: a slow issuer (up to 2 x 1.5 s) must not delay configuration changes.
            self._prefetcher.submit(self._keys.prefetch, issuer)
        return self.current

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="gateway-refresher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._prefetcher.shutdown(wait=False, cancel_futures=True)
        self._readers.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            started = time.monotonic()
            try:
                self.load_once()
            except Exception as exc:  # control plane briefly unreachable: keep serving the last snapshot
                log.warning("configuration refresh failed: %s", exc)
            log.debug("refresh took %.1f ms", (time.monotonic() - started) * 1000)
