"""One Lambda execution environment: imports the deployed handler once, then runs invocations one at a time.

Written by hand because AWS's runtime interface client (awslambdaric) talks the Lambda Runtime API over HTTP
and needs its native extension; the twin only needs a pipe to its parent. Run as a script (never as
`-m twin...`) and stdlib only, so the function's code sees its own folder first on sys.path and no twin module.

Wire protocol (parent <-> worker), one JSON header line then raw bytes:
  parent -> stdin:   {"rid": request id, "deadline_ms": epoch ms, "n": payload length}\\n<payload>
  worker -> stdout:  {"ready": true, "init_ms": float, "error": null | error object}\\n   (once, after init)
                     {"rid": ..., "ok": bool, "n": length}\\n<payload>                   (per invocation)
The worker moves that stdout to a private descriptor first and points fds 1 and 2 at the log pipe (the
parent's stderr pipe), so whatever the function prints lands in its log stream, as on Lambda.
"""

from __future__ import annotations

import decimal
import importlib
import io
import json
import os
import resource
import sys
import time
import traceback
from typing import Any, BinaryIO


class LambdaContext:
    """The `context` argument, with the attributes the Python runtime documents."""

    def __init__(self, request_id: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = os.environ["TWIN_FUNCTION_ARN"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


def _decimal_default(value: Any) -> Any:
    # The Python runtime's marshaller turns Decimal into a number; anything else is a marshal error.
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def error_object(exc: BaseException, request_id: str, error_type: str | None = None) -> dict[str, Any]:
    frames = traceback.format_tb(exc.__traceback__)
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": request_id,
        "stackTrace": [frame.rstrip("\n") for frame in frames],
    }


def _log(text: str) -> None:
    # Flush the function's own buffered output first so runtime lines stay in order with it.
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(1, (text + "\n").encode("utf-8", "replace"))


def _log_error(err: dict[str, Any]) -> None:
    lines = [f"[ERROR] {err['errorType']}: {err['errorMessage']}"]
    if err["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(err["stackTrace"])
    _log("\n".join(lines))


def _peak_rss_mb() -> int:
    # VmHWM restarts at exec; ru_maxrss would carry the parent's peak over through fork+exec.
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def load_handler(handler: str) -> Any:
    module_path, _, func_name = handler.rpartition(".")
    if not module_path or not func_name:
        raise ValueError(f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)")
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:  # as the Python runtime: other exceptions keep their own type
        raise _InitError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}") from exc
    except SyntaxError as exc:
        raise _InitError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}") from exc
    func = getattr(module, func_name, None)
    if func is None:
        raise _InitError("Runtime.HandlerNotFound", f"Handler '{func_name}' missing on module '{module_name}'")
    return func


class _InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _send(out: BinaryIO, header: dict[str, Any], payload: bytes = b"") -> None:
    out.write(json.dumps(header).encode() + b"\n" + payload)
    out.flush()


def _invoke(func: Any, rid: str, deadline_ms: int, payload: bytes) -> tuple[bool, bytes]:
    try:
        event = json.loads(payload) if payload else {}
    except ValueError as exc:
        err = {
            "errorMessage": f"Unable to unmarshal input: {exc}",
            "errorType": "Runtime.UnmarshalError",
            "requestId": rid,
            "stackTrace": [],
        }
        _log_error(err)
        return False, json.dumps(err).encode()
    try:
        result = func(event, LambdaContext(rid, deadline_ms))
    except Exception as exc:
        err = error_object(exc, rid)
        _log_error(err)
        return False, json.dumps(err).encode()
    try:
        return True, json.dumps(result, default=_decimal_default, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        err = {
            "errorMessage": f"Unable to marshal response: {exc}",
            "errorType": "Runtime.MarshalError",
            "requestId": rid,
            "stackTrace": [],
        }
        _log_error(err)
        return False, json.dumps(err).encode()


def main() -> None:
    task_root, handler = sys.argv[1], sys.argv[2]
    control_in = os.fdopen(os.dup(0), "rb")
    control_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):  # what a started interpreter has; typeshed says only TextIO
            stream.reconfigure(line_buffering=True)
    # The script's own folder must not shadow the function's modules: Lambda puts the task root first.
    sys.path[0] = task_root
    os.chdir(task_root)

    started = time.perf_counter()
    try:
        func = load_handler(handler)
    except _InitError as exc:
        err = {"errorMessage": str(exc), "errorType": exc.error_type, "requestId": "", "stackTrace": []}
        _log_error(err)
        _send(control_out, {"ready": True, "init_ms": (time.perf_counter() - started) * 1000, "error": err})
        return
    except Exception as exc:
        err = error_object(exc, "")
        _log_error(err)
        _send(control_out, {"ready": True, "init_ms": (time.perf_counter() - started) * 1000, "error": err})
        return
    init_ms = (time.perf_counter() - started) * 1000
    _send(control_out, {"ready": True, "init_ms": init_ms, "error": None})

    memory = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
    first = True
    while True:
        line = control_in.readline()
        if not line:
            return  # parent closed the pipe: the environment is being shut down
        header = json.loads(line)
        payload = control_in.read(header["n"])
        rid = header["rid"]
        _log(f"START RequestId: {rid} Version: $LATEST")
        t0 = time.perf_counter()
        ok, body = _invoke(func, rid, header["deadline_ms"], payload)
        duration = (time.perf_counter() - t0) * 1000
        max_rss_mb = _peak_rss_mb()
        report = (
            f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms"
            f"\tMemory Size: {memory} MB\tMax Memory Used: {max_rss_mb} MB"
        )
        if first:
            report += f"\tInit Duration: {init_ms:.2f} ms"
            first = False
        _log(f"END RequestId: {rid}\n{report}")  # one write: two lines, one syscall
        _send(control_out, {"rid": rid, "ok": ok, "n": len(body)}, body)


if __name__ == "__main__":
    main()
