"""LambdaRunner: invoke deployed functions by name or ARN, as the Lambda service would for API Gateway.

Hand-written glue between the control plane (configuration and code, watched in the background so an update
starts fresh environments within a second) and the per-function pools of worker processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from twin.lambdas.aws import control_client
from twin.lambdas.code import FunctionConfig, fetch_code, fetch_config, function_name, install_code
from twin.lambdas.logdelay import LogDelay
from twin.lambdas.pool import FunctionPool
from twin.state import StateLayout

log = logging.getLogger("twin.lambdas")

DEFAULT_MAX_CONCURRENCY = 4
REFRESH_INTERVAL_S = 0.5
SHIPPER_GRACE_S = 10.0
PROJECT_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True)
class Invocation:
    """Outcome of one invoke: `ok` (payload = the function's JSON result), `error` (payload = Lambda's error
    object; the function raised, timed out, crashed, or does not exist) or `timeout` (the caller's timeout
    elapsed first; the function may still be running, as on Lambda)."""

    status: Literal["ok", "error", "timeout"]
    payload: bytes
    request_id: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class LambdaRunner:
    """Runs functions stored in the control plane in warm worker processes."""

    def __init__(
        self,
        control_url: str,
        region: str,
        state_dir: str | Path,
        *,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        refresh_interval_s: float = REFRESH_INTERVAL_S,
        log_delay: LogDelay | None = None,
    ) -> None:
        """`log_delay`: how late each log stream reaches CloudWatch Logs (None: from the environment, see
        twin.lambdas.logdelay; raises LogDelayError when the environment holds a bad value)."""
        self._control_url = control_url.rstrip("/")
        self._region = region
        self._state_dir = Path(state_dir)
        self._max = max_concurrency
        self._interval = refresh_interval_s
        self._lambda = control_client("lambda", self._control_url, region)
        self._log_dir = StateLayout(self._state_dir).lambda_logs
        self._log_dir.mkdir(parents=True, exist_ok=True)
        self.log_delay = log_delay if log_delay is not None else LogDelay.from_env()
        # Log shipping runs in its own process: no pipe reading or boto3 call in the caller's event loop.
        self._shipper = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "twin.lambdas.logship",
                "--control-url",
                self._control_url,
                "--region",
                region,
                "--log-dir",
                str(self._log_dir),
                *self.log_delay.args(),
            ],
            stdin=subprocess.PIPE,
            cwd=PROJECT_ROOT,
            start_new_session=True,
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join(filter(None, [PROJECT_ROOT, os.environ.get("PYTHONPATH")])),
            },
        )
        self._pools: dict[str, FunctionPool] = {}
        self._loading: dict[str, asyncio.Future[FunctionPool | None]] = {}
        self._code_dirs: dict[tuple[str, str], asyncio.Future[Path]] = {}
        self._inflight: set[asyncio.Task[Any]] = set()
        self._refresher: asyncio.Task[None] | None = None
        self._closed = False

    async def invoke(self, function_name_or_arn: str, payload: bytes, timeout_s: float) -> Invocation:
        """Invoke synchronously (RequestResponse), giving up after timeout_s."""
        request_id = str(uuid.uuid4())
        if self._refresher is None and not self._closed:
            self._refresher = asyncio.create_task(self._refresh_forever())
        task = asyncio.create_task(self._run(function_name(function_name_or_arn), request_id, payload))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        # asyncio.wait does not cancel on timeout: the function keeps running, as Lambda behind API Gateway does.
        done, _ = await asyncio.wait((task,), timeout=timeout_s)
        if not done:
            return Invocation("timeout", b"", request_id)
        return task.result()

    async def close(self) -> None:
        """End every worker process and ship the remaining logs."""
        self._closed = True
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        await asyncio.gather(*(pool.close() for pool in self._pools.values()), return_exceptions=True)
        for task in list(self._inflight):
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)
        await asyncio.to_thread(self._stop_shipper)

    def _stop_shipper(self) -> None:
        assert self._shipper.stdin is not None
        self._shipper.stdin.close()  # EOF: one last round, then it exits
        try:
            self._shipper.wait(SHIPPER_GRACE_S)
        except subprocess.TimeoutExpired:
            self._shipper.kill()
            self._shipper.wait()

    def pool_size(self, function_name_or_arn: str) -> int:
        """Execution environments alive or starting for the function (0 if never invoked)."""
        pool = self._pools.get(function_name(function_name_or_arn))
        return pool.size if pool else 0

    async def _run(self, name: str, request_id: str, payload: bytes) -> Invocation:
        try:
            pool = await self._pool(name)
        except Exception as exc:  # the control plane did not answer: Lambda's own 5xx, a function error here
            error = {"errorType": "ServiceException", "errorMessage": f"cannot read the function: {exc}"}
            return Invocation("error", json.dumps(error).encode(), request_id)
        if pool is None:
            error = {
                "errorType": "ResourceNotFoundException",
                "errorMessage": f"Function not found: arn:aws:lambda:{self._region}:function:{name}",
            }
            return Invocation("error", json.dumps(error).encode(), request_id)
        ok, body = await pool.run(request_id, payload)
        return Invocation("ok" if ok else "error", body, request_id)

    async def _pool(self, name: str) -> FunctionPool | None:
        pool = self._pools.get(name)
        if pool is not None:
            return pool
        loading = self._loading.get(name)
        if loading is None:  # coalesce concurrent cold starts of one function into one configuration fetch
            loading = asyncio.get_running_loop().create_future()
            self._loading[name] = loading
            try:
                config = await asyncio.to_thread(fetch_config, self._lambda, name)
                pool = None
                if config is not None and not self._closed:
                    pool = FunctionPool(
                        config, self._code_dir, self._control_url, self._region, self._log_dir, self._max
                    )
                    self._pools[name] = pool
                loading.set_result(pool)
            except Exception as exc:
                loading.set_exception(exc)
                loading.exception()  # mark retrieved; this caller re-raises below
                raise
            finally:
                del self._loading[name]
        return await loading

    async def _code_dir(self, config: FunctionConfig) -> Path:
        key = (config.name, config.code_sha256)
        future = self._code_dirs.get(key)
        if future is None or (future.done() and future.exception() is not None):
            future = asyncio.ensure_future(self._download(config))
            self._code_dirs[key] = future
        return await asyncio.shield(future)

    async def _download(self, config: FunctionConfig) -> Path:
        data = await asyncio.to_thread(fetch_code, self._control_url, config.name)
        return await asyncio.to_thread(install_code, self._state_dir, config.name, config.code_sha256, data)

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            for name, pool in list(self._pools.items()):
                try:
                    config = await asyncio.to_thread(fetch_config, self._lambda, name)
                except Exception as exc:  # control plane down: keep serving what is warm
                    log.debug("cannot refresh %s: %s", name, exc)
                    continue
                if config is None:
                    # Deleted: the next invoke reloads (and finds nothing); busy environments finish first.
                    self._pools.pop(name, None)
                    await pool.close()
                elif config.generation != pool.config.generation:
                    pool.update(config)
