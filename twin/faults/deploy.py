"""Lambda deploys as a pipeline makes them: a changed copy of twin/backend/ zipped and uploaded with
update_function_code, and configuration updates that make Lambda start fresh execution environments.

Hand-written glue. The undo of a code deploy is the exact zip that ran before, read back from the
control plane (`GET /_twin/lambda/{name}/code`, checked against CodeSha256), so the revert restores
the same CodeSha256 and not merely equivalent code.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from twin.faults.context import FaultContext
from twin.faults.lookup import function_configuration
from twin.faults.model import FaultError
from twin.faults.undo import Undo
from twin.provision.artifact import BACKEND_DIR, build_backend_zip

CODE_TIMEOUT_S = 10
STAMP_VARIABLE = "DEPLOYED_AT"


def deployed_zip(ctx: FaultContext) -> bytes:
    name = urllib.parse.quote(ctx.target.function_name, safe="")
    url = f"{ctx.target.endpoint_url}/_twin/lambda/{name}/code"
    with urllib.request.urlopen(url, timeout=CODE_TIMEOUT_S) as response:
        data: bytes = response.read()
    expected = function_configuration(ctx)["CodeSha256"]
    if base64.b64encode(hashlib.sha256(data).digest()).decode() != expected:
        raise FaultError("the control plane handed out code that does not match the function's CodeSha256")
    return data


def patched_backend(edits: list[tuple[str, str, str]]) -> bytes:
    """The deployment zip of twin/backend/ with each (file, old, new) edit made; `old` must occur once."""
    with tempfile.TemporaryDirectory(prefix="fault-backend-") as tmp:
        copy = Path(tmp) / "backend"
        shutil.copytree(BACKEND_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
        for relative, old, new in edits:
            path = copy / relative
            text = path.read_text()
            if text.count(old) != 1:
                raise FaultError(
                    f"{relative} holds {text.count(old)} copies of the code this fault edits, "
                    "expected 1: update the fault to the backend's current code"
                )
            path.write_text(text.replace(old, new))
        return build_backend_zip(copy)


def _wait_updated(ctx: FaultContext) -> None:
    ctx.client("lambda").get_waiter("function_updated_v2").wait(
        FunctionName=ctx.target.function_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )


def deploy_code(ctx: FaultContext, undo: Undo, zip_bytes: bytes) -> None:
    original = deployed_zip(ctx)
    undo.aws("lambda", "update_function_code", FunctionName=ctx.target.function_name, ZipFile=original)
    ctx.client("lambda").update_function_code(FunctionName=ctx.target.function_name, ZipFile=zip_bytes)
    _wait_updated(ctx)


def update_configuration(ctx: FaultContext, undo: Undo, **changes: Any) -> None:
    """update_function_configuration with `changes`; the undo puts back each field as it was."""
    current = function_configuration(ctx)
    previous: dict[str, Any] = {}
    for field in changes:
        if field == "VpcConfig":
            vpc = current.get("VpcConfig") or {}
            previous[field] = {k: vpc.get(k, []) for k in ("SubnetIds", "SecurityGroupIds")}
        elif field == "Environment":
            previous[field] = {"Variables": (current.get("Environment") or {}).get("Variables", {})}
        else:
            previous[field] = current.get(field)
    undo.aws("lambda", "update_function_configuration", FunctionName=ctx.target.function_name, **previous)
    ctx.client("lambda").update_function_configuration(FunctionName=ctx.target.function_name, **changes)
    _wait_updated(ctx)


def stamp_deploy(ctx: FaultContext, undo: Undo) -> None:
    """The pipeline's deploy stamp (an environment variable): Lambda starts fresh environments, so
    warm ones stop reusing a database connection made with the old secret."""
    variables = dict((function_configuration(ctx).get("Environment") or {}).get("Variables", {}))
    variables[STAMP_VARIABLE] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    update_configuration(ctx, undo, Environment={"Variables": variables})
