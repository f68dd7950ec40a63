"""The undo log of an applied fault: the exact calls that put the stack back, as data.

Hand-written because a revert must survive the process that applied the fault (`python -m
twin.faults apply` and `revert` are two commands): every step is a boto3 call or a SQL statement
with its parameters, recorded as the fault changes something, stored as JSON and replayed in
reverse. JSON has no bytes, Decimal or datetime, so those three are tagged on the way out.

A change can also name environment variables the team's pipeline sets for the e2e suite while the
change is in place (`E2E_<SECTION>__<KEY>` overrides, e.g. a recreated app client's id): they live
here because they belong to this one application of the fault, and replaying the log drops them.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

# The harness's override namespace (fixtures/config.py); anything else is not the suite's environment.
SUITE_ENV_NAME = re.compile(r"^E2E_[A-Z0-9]+__[A-Z0-9_]+$")


class Replayer(Protocol):
    """What replaying needs from the fault context."""

    def client(self, service: str) -> Any: ...

    def sql_execute(self, statement: str, params: tuple[Any, ...]) -> None: ...


@dataclass(frozen=True)
class Step:
    kind: str  # "aws" or "sql"
    target: str  # "service.operation" or the SQL statement
    params: Any  # kwargs for aws, a list of values for sql


@dataclass
class Undo:
    """Steps that undo what a fault did so far, newest last; replay runs them newest first."""

    steps: list[Step] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # suite env overrides while the change is in place

    def suite_env(self, name: str, value: str) -> None:
        """Set an E2E_ override the pipeline would export for the suite after this change."""
        if not SUITE_ENV_NAME.match(name) or not value.isprintable():
            raise ValueError(f"suite env override {name!r} must be E2E_<SECTION>__<KEY> with a printable value")
        self.env[name] = value

    def aws(self, service: str, operation: str, **params: Any) -> None:
        self.steps.append(Step("aws", f"{service}.{operation}", params))

    def sql(self, statement: str, *params: Any) -> None:
        self.steps.append(Step("sql", statement, list(params)))

    def replay(self, ctx: Replayer) -> list[str]:
        """Run every step (newest first); one failing step does not stop the others. Returns the problems.
        The suite env overrides are dropped: the pipeline no longer sets them once the change is gone."""
        problems: list[str] = []
        self.env.clear()
        for step in reversed(self.steps):
            try:
                if step.kind == "aws":
                    service, operation = step.target.split(".", 1)
                    getattr(ctx.client(service), operation)(**step.params)
                else:
                    ctx.sql_execute(step.target, tuple(step.params))
            except Exception as exc:  # keep going: a half-reverted stack is worse than a reported step
                problems.append(f"{step.target.split()[0]}: {type(exc).__name__}: {str(exc)[:200]}")
        return problems

    def to_json(self) -> list[dict[str, Any]]:
        return [{"kind": s.kind, "target": s.target, "params": encode(s.params)} for s in self.steps]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]], env: dict[str, str] | None = None) -> Undo:
        return cls([Step(d["kind"], d["target"], decode(d["params"])) for d in data], dict(env or {}))


def encode(value: Any) -> Any:
    """JSON-safe copy: bytes, Decimal and datetime become tagged objects."""
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode()}
    if isinstance(value, Decimal):
        return {"__decimal__": str(value)}
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, raw),) = value.items()
            if tag == "__bytes__":
                return base64.b64decode(raw)
            if tag == "__decimal__":
                return Decimal(raw)
            if tag == "__datetime__":
                return datetime.fromisoformat(raw)
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value
