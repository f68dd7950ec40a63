"""Per-function pool of execution environments: warm reuse, bounded concurrency, a queue beyond it.

Hand-written because the rules are Lambda's, not a generic pool's: an environment serves one invocation at a
time, the hottest idle one is reused first, new ones start cold up to the concurrency bound, and a code or
configuration change retires every environment of the old version (idle ones at once, busy ones when done).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from twin.lambdas.code import FunctionConfig
from twin.lambdas.environment import ExecutionEnvironment

CodeDirFor = Callable[[FunctionConfig], Awaitable[Path]]


class FunctionPool:
    """Execution environments of one function."""

    def __init__(
        self,
        config: FunctionConfig,
        code_dir_for: CodeDirFor,
        control_url: str,
        region: str,
        log_dir: Path,
        max_concurrency: int,
    ) -> None:
        self.config = config
        self._code_dir_for = code_dir_for
        self._control_url = control_url
        self._region = region
        self._log_dir = log_dir
        self._max = max_concurrency
        self._idle: list[ExecutionEnvironment] = []
        self._count = 0  # environments alive or starting
        self._waiters: deque[asyncio.Future[ExecutionEnvironment | None]] = deque()
        self._all: set[ExecutionEnvironment] = set()
        self._closed = False
        self._stopping: set[asyncio.Task[None]] = set()

    @property
    def size(self) -> int:
        """Environments alive or starting."""
        return self._count

    async def run(self, request_id: str, payload: bytes) -> tuple[bool, bytes]:
        """Invoke on a warm environment, or a cold one; (ok, response payload)."""
        env_or_error = await self._acquire()
        if isinstance(env_or_error, dict):
            return False, json.dumps({**env_or_error, "requestId": request_id}).encode()
        env = env_or_error
        try:
            return await env.invoke(request_id, payload)
        finally:
            await self._release(env)

    def update(self, config: FunctionConfig) -> None:
        """A new function version: idle environments of the old one end now, busy ones after their invocation."""
        self.config = config
        stale = [env for env in self._idle if env.generation != config.generation]
        self._idle = [env for env in self._idle if env.generation == config.generation]
        for env in stale:
            self._retire(env)

    async def close(self) -> None:
        """End every environment."""
        self._closed = True
        for waiter in self._waiters:
            if not waiter.done():
                waiter.cancel()
        envs = list(self._all)
        self._idle.clear()
        await asyncio.gather(*(env.stop() for env in envs), *self._stopping, return_exceptions=True)

    async def _acquire(self) -> ExecutionEnvironment | dict[str, Any]:
        while True:
            if self._closed:
                return {"errorMessage": "the runner is shutting down", "errorType": "ServiceException"}
            while self._idle:
                env = self._idle.pop()  # LIFO: the most recently used environment is the warmest
                if env.alive and env.generation == self.config.generation:
                    return env
                self._retire(env)
            if self._count < self._max:
                return await self._spawn()
            waiter: asyncio.Future[ExecutionEnvironment | None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            handed = await waiter
            if handed is not None:
                return handed

    async def _spawn(self) -> ExecutionEnvironment | dict[str, Any]:
        self._count += 1
        config = self.config
        env: ExecutionEnvironment | None = None
        try:
            code_dir = await self._code_dir_for(config)
            env = ExecutionEnvironment(config, code_dir, self._control_url, self._region, self._log_dir)
            self._all.add(env)
            init_error = await env.start()
        except Exception as exc:
            if env is not None:
                self._all.discard(env)
                await env.stop(kill=True)
            self._count -= 1
            self._wake(None)
            return {"errorMessage": f"cannot start the function: {exc}", "errorType": "ServiceException"}
        if init_error is not None:
            self._all.discard(env)
            self._count -= 1
            self._wake(None)
            return init_error
        return env

    async def _release(self, env: ExecutionEnvironment) -> None:
        if env.alive and env.generation == self.config.generation and not self._closed:
            if not self._wake(env):
                self._idle.append(env)
            return
        self._retire(env)
        self._wake(None)

    def _retire(self, env: ExecutionEnvironment) -> None:
        if env in self._all:
            self._all.discard(env)
            self._count -= 1
            task = asyncio.get_running_loop().create_task(env.stop())
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)

    def _wake(self, handed: ExecutionEnvironment | None) -> bool:
        """Give `handed` (or, with None, a free slot) to the oldest live waiter; False if nobody waits."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(handed)
                return True
        return False
