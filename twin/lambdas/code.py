"""Function configuration and code, read from the control plane and unpacked under the state folder.

Code comes from the contract endpoint `GET {control_url}/_twin/lambda/{name}/code` (moto keeps the zip only in
memory and its `Code.Location` cannot be fetched). Unpacking guards against zip entries that escape the
target folder, which zipfile.extractall only partly does.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from twin.lambdas.aws import error_code
from twin.state import StateLayout

MAX_CODE_BYTES = 250 * 1024 * 1024  # Lambda's unzipped limit, applied to the download as a sanity bound


class CodeUnavailable(Exception):
    """The control plane could not hand out the function's code."""


@dataclass(frozen=True)
class FunctionConfig:
    """What the runner needs from get_function_configuration."""

    name: str
    arn: str
    handler: str
    runtime: str
    timeout_s: float
    memory_mb: int
    code_sha256: str
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def generation(self) -> tuple[Any, ...]:
        """Changes whenever Lambda would start fresh execution environments."""
        return (
            self.handler,
            self.runtime,
            self.timeout_s,
            self.memory_mb,
            self.code_sha256,
            tuple(sorted(self.environment.items())),
        )


def function_name(name_or_arn: str) -> str:
    """`my-fn`, `arn:aws:lambda:r:a:function:my-fn[:qualifier]` or the apigateway invocation URI -> `my-fn`."""
    if "/functions/" in name_or_arn:  # arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations
        name_or_arn = name_or_arn.split("/functions/", 1)[1].split("/invocations", 1)[0]
    if name_or_arn.startswith("arn:"):
        parts = name_or_arn.split(":")
        return parts[6] if len(parts) > 6 else name_or_arn
    return name_or_arn.split(":", 1)[0]


def fetch_config(lambda_client: Any, name: str) -> FunctionConfig | None:
    """The function's configuration, or None when the control plane has no such function."""
    try:
        cfg = lambda_client.get_function_configuration(FunctionName=name)
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise
    return FunctionConfig(
        name=cfg["FunctionName"],
        arn=cfg["FunctionArn"],
        handler=cfg.get("Handler") or "lambda_function.lambda_handler",
        runtime=cfg.get("Runtime") or "python3.12",
        timeout_s=float(cfg.get("Timeout") or 3),
        memory_mb=int(cfg.get("MemorySize") or 128),
        code_sha256=cfg.get("CodeSha256") or "",
        environment=dict((cfg.get("Environment") or {}).get("Variables") or {}),
    )


def fetch_code(control_url: str, name: str, timeout_s: float = 10.0) -> bytes:
    """The deployed zip as the control plane stores it, checked against its x-code-sha256 header."""
    url = f"{control_url.rstrip('/')}/_twin/lambda/{urllib.parse.quote(name, safe='')}/code"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            data: bytes = resp.read(MAX_CODE_BYTES + 1)
            declared = resp.headers.get("x-code-sha256")
    except (urllib.error.URLError, OSError) as exc:
        raise CodeUnavailable(f"cannot fetch code of {name}: {exc}") from exc
    if len(data) > MAX_CODE_BYTES:
        raise CodeUnavailable(f"code of {name} is larger than {MAX_CODE_BYTES} bytes")
    if declared and declared != code_sha256(data):
        raise CodeUnavailable(f"code of {name} does not match its x-code-sha256 header")
    return data


def code_sha256(data: bytes) -> str:
    """Lambda's CodeSha256: base64 of the SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def install_code(state_dir: Path, name: str, sha: str, data: bytes) -> Path:
    """Unpack `data` once per code version into state_dir/lambda/<name>/<sha prefix>/ and return that folder."""
    digest = base64.b64decode(sha).hex()[:16] if sha else hashlib.sha256(data).hexdigest()[:16]
    target = StateLayout(state_dir).lambda_code / name / digest
    if target.is_dir():
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            root = partial.resolve()
            for member in archive.infolist():
                dest = (partial / member.filename).resolve()
                if root not in dest.parents and dest != root:
                    raise CodeUnavailable(f"code of {name} has an entry outside its folder: {member.filename!r}")
            archive.extractall(partial)
    except zipfile.BadZipFile as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise CodeUnavailable(f"code of {name} is not a zip file") from exc
    except CodeUnavailable:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    try:
        partial.rename(target)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)  # another installer won the race; its copy is identical
    return target
