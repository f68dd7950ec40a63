"""Background refresh of the gateway's configuration snapshot (and of the authorizers' signing keys).

A plain thread, because boto3 is blocking and the request path must never wait on the control plane: each
round builds a whole new Snapshot and swaps it in with one assignment; requests read whatever is current.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from twin.gateway.jwks import KeyStore
from twin.gateway.snapshot import Snapshot, load_snapshot
from twin.lambdas.aws import control_client

log = logging.getLogger("twin.gateway")


HOT_S = 15.0  # an API requested this recently is re-read fully every round
COLD_BUDGET = 2  # other APIs re-read per round, longest-unread first


class Refresher:
    """Keeps `current` fresh: a new snapshot every `interval_s`. New APIs, CORS changes and any change to an API
    requested in the last 15 s show within a second; other APIs are re-read round-robin."""

    def __init__(self, control_url: str, region: str, keys: KeyStore, interval_s: float = 0.4,
                 always_hot: str | None = None) -> None:
        self._apigw = control_client("apigatewayv2", control_url, region)
        self._lambda = control_client("lambda", control_url, region)
        self._keys = keys
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._prefetcher = ThreadPoolExecutor(max_workers=2, thread_name_prefix="jwks-prefetch")
        self._readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="config-read")
        self.current = Snapshot(apis={}, policies={})
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
        """One synchronous round (raises when the control plane cannot be read)."""
        snapshot = load_snapshot(self._apigw, self._lambda, self.current, self._hot(), COLD_BUDGET, self._readers)
        self.current = snapshot
        for issuer in sorted({a.issuer for api in snapshot.apis.values() for a in api.authorizers.values()
                              if a is not None and a.issuer}):
            # Off this thread: a slow issuer (up to 2 x 1.5 s) must not delay configuration changes.
            self._prefetcher.submit(self._keys.prefetch, issuer)
        return snapshot

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
