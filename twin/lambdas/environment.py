"""One execution environment seen from the parent: a worker process, its pipes and its log stream file.

Hand-written (no process-pool library fits): Lambda semantics need one invocation at a time per process,
module state kept between invocations, the function's own Timeout enforced by killing the process, and
stdout/stderr kept in the environment's log stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from twin.lambdas.aws import control_credentials
from twin.lambdas.code import FunctionConfig
from twin.lambdas.streams import stream_file

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
INIT_TIMEOUT_S = 10.0  # Lambda's limit for the init phase of an on-demand environment
STOP_GRACE_S = 2.0


class WorkerDied(Exception):
    """The worker process ended or broke its protocol."""


def _iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class ExecutionEnvironment:
    """A warm worker process running one function version."""

    def __init__(self, config: FunctionConfig, code_dir: Path, control_url: str, region: str, log_dir: Path) -> None:
        self.config = config
        self.generation = config.generation
        self.stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self._code_dir = code_dir
        self._control_url = control_url
        self._region = region
        self._log_file = stream_file(log_dir, config.name, self.stream)
        self._proc: asyncio.subprocess.Process | None = None
        self.alive = False

    def _env(self) -> dict[str, str]:
        cfg = self.config
        env = dict(cfg.environment)
        # Reserved variables win over the function's own, as on Lambda (which refuses to set them).
        env.update(
            {
                "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
                "LANG": "en_US.UTF-8",
                "TZ": ":UTC",
                "LAMBDA_TASK_ROOT": str(self._code_dir),
                "_HANDLER": cfg.handler,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{cfg.runtime}",
                "AWS_REGION": self._region,
                "AWS_DEFAULT_REGION": self._region,
                "AWS_LAMBDA_FUNCTION_NAME": cfg.name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(cfg.memory_mb),
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{cfg.name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": self.stream,
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_ENDPOINT_URL": self._control_url,
                "TWIN_FUNCTION_ARN": cfg.arn,
            }
        )
        handed = control_credentials()
        if handed:
            # An IAM user's keys (enforcing twin): moto refuses them with a session token, so none is set.
            env.pop("AWS_SESSION_TOKEN", None)
            env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = handed
        else:
            env.update(
                {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}
            )
        return env

    async def start(self) -> dict[str, Any] | None:
        """Start the process and wait for its init; returns the init error object, or None when ready."""
        self._log_file.parent.mkdir(parents=True, exist_ok=True)
        # The worker's stdout and stderr go straight to its stream file (the log shipper process tails it), so
        # logging costs the gateway's process nothing.
        with open(self._log_file, "ab") as log_fh:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable,
                str(WORKER_SCRIPT),
                str(self._code_dir),
                self.config.handler,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log_fh,
                env=self._env(),
                cwd=str(self._code_dir),
                start_new_session=True,  # a terminal's Ctrl-C goes to the gateway, which ends workers itself
            )
        self.alive = True
        assert self._proc.stdout is not None
        try:
            line = await asyncio.wait_for(self._proc.stdout.readline(), max(INIT_TIMEOUT_S, self.config.timeout_s))
        except TimeoutError:
            await self.stop(kill=True)
            self._emit(f"{_iso_now()} Init timed out after {INIT_TIMEOUT_S:.2f} seconds")
            return {"errorMessage": "Init timed out", "errorType": "Runtime.InitTimeout", "stackTrace": []}
        if not line:
            code = await self._proc.wait()
            self.alive = False
            return {
                "errorMessage": f"Runtime exited with error: exit status {code}",
                "errorType": "Runtime.ExitError",
                "stackTrace": [],
            }
        ready = json.loads(line)
        if ready.get("error"):
            await self.stop()
            return dict(ready["error"])
        return None

    async def invoke(self, request_id: str, payload: bytes) -> tuple[bool, bytes]:
        """Run one invocation; (ok, response payload). A timeout or crash ends the environment."""
        proc = self._proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        timeout_s = self.config.timeout_s
        deadline_ms = int((time.time() + timeout_s) * 1000)
        # One timer instead of wait_for around each read: on expiry it kills the process, so the reads below
        # end with EOF and the flag tells a timeout from a crash.
        timed_out = False

        def expire() -> None:
            nonlocal timed_out
            timed_out = True
            _signal_group(proc.pid, signal.SIGKILL)

        timer = asyncio.get_running_loop().call_later(timeout_s, expire)
        try:
            proc.stdin.write(
                json.dumps({"rid": request_id, "deadline_ms": deadline_ms, "n": len(payload)}).encode()
                + b"\n"
                + payload
            )
            await proc.stdin.drain()
            header = json.loads(await proc.stdout.readline() or b"null")
            if not isinstance(header, dict) or header.get("rid") != request_id:
                raise WorkerDied("no reply")
            body = await proc.stdout.readexactly(int(header["n"]))
        except (WorkerDied, ConnectionError, asyncio.IncompleteReadError, ValueError):
            await self.stop(kill=True)
            if timed_out:
                message = f"{_iso_now()} {request_id} Task timed out after {timeout_s:.2f} seconds"
                self._emit(message)
                self._emit(f"END RequestId: {request_id}")
                self._emit(
                    f"REPORT RequestId: {request_id}\tDuration: {timeout_s * 1000:.2f} ms\t"
                    f"Billed Duration: {int(timeout_s * 1000)} ms\tMemory Size: {self.config.memory_mb} MB\t"
                    f"Max Memory Used: {self.config.memory_mb} MB\tStatus: timeout"
                )
                return False, json.dumps({"errorMessage": message}).encode()
            message = f"RequestId: {request_id} Error: Runtime exited with error: exit status {proc.returncode}"
            self._emit(message)
            self._emit(f"END RequestId: {request_id}")
            return False, json.dumps({"errorType": "Runtime.ExitError", "errorMessage": message}).encode()
        finally:
            timer.cancel()
        return bool(header.get("ok")), body

    async def stop(self, kill: bool = False) -> None:
        """End the process: EOF on its control pipe (or SIGKILL), then reap it."""
        self.alive = False
        proc = self._proc
        if proc is None:
            return
        if proc.returncode is None:
            if kill:
                _signal_group(proc.pid, signal.SIGKILL)
            elif proc.stdin is not None:
                proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), STOP_GRACE_S)
            except TimeoutError:
                _signal_group(proc.pid, signal.SIGKILL)
                await proc.wait()

    def _emit(self, message: str) -> None:
        """A runtime line of the parent's own (timeouts, crashes): appended after the dead worker's output."""
        with open(self._log_file, "a", encoding="utf-8") as fh:
            fh.write(message + "\n")


def _signal_group(pid: int, sig: int) -> None:
    # The worker leads its own session; signalling the group also ends processes the function started.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
