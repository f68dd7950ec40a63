"""A fault: a named, documented change to a deployed stack, its undo log, and the proof of revert.

Hand-written: the framework is a registry plus one rule, "observe, change, observe, revert,
observe": a fault declares what it touches (`observe`, read through the same APIs a person would
use), so applying it must change that reading and reverting it must bring back exactly the reading
from before. Only differing paths are reported, never values (observations can hold secrets).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fixtures.areas import VERDICT_AREAS
from twin.faults.undo import Undo, decode, encode

if TYPE_CHECKING:
    from twin.faults.context import FaultContext

# Fields that AWS rewrites on every update; a restored resource differs from the original only in these.
VOLATILE = frozenset(
    {
        "ResponseMetadata",
        "LastModified",
        "LastModifiedDate",
        "LastModifiedTime",
        "RevisionId",
        "LastUpdateStatus",
        "LastUpdateStatusReason",
        "LastUpdateStatusReasonCode",
    }
)

Change = Callable[["FaultContext", Undo], None]
Observe = Callable[["FaultContext"], Any]


class FaultError(Exception):
    """Applying or reverting a fault failed; the message is one line."""


class FaultUnavailable(FaultError):
    """The target cannot take this change at all (e.g. the control plane lacks the API it needs)."""


class NeedsFreshTwin(FaultError):
    """The change is refused on a twin that earlier runs have written to; a fresh twin takes it."""


@dataclass(frozen=True)
class Fault:
    """name, who-did-what story, areas the e2e suite must fail in, the change and what it touches.

    `collateral`: areas that may fail as well because the change really breaks them too (a removed
    invoke permission also breaks every read through the API); any other failing area is a finding.
    """

    name: str
    story: str
    areas: frozenset[str]
    change: Change
    observe: Observe
    collateral: frozenset[str] = frozenset()
    needs_sql: bool = False

    def apply(self, ctx: FaultContext) -> Revert:
        """Make the change; returns what reverts it. Rolled back when the change fails or has no effect."""
        before = stable(self.observe(ctx))
        undo = Undo()
        try:
            self.change(ctx, undo)
        except Exception as exc:
            problems = undo.replay(ctx)
            tail = f" (rollback problems: {'; '.join(problems)})" if problems else ""
            if isinstance(exc, FaultError):
                raise type(exc)(f"{self.name}: {exc}{tail}") from None
            raise FaultError(f"{self.name}: {type(exc).__name__}: {str(exc)[:300]}{tail}") from None
        if stable(self.observe(ctx)) == before:
            undo.replay(ctx)
            raise FaultError(f"{self.name}: the change left everything the fault observes as it was")
        return Revert(self, undo, before)


@dataclass
class Revert:
    """Calling it replays the undo log and checks the observation equals the one from before."""

    fault: Fault
    undo: Undo
    before: Any

    @property
    def env(self) -> dict[str, str]:
        """E2E_ overrides the pipeline sets for the suite while the change is in place (empty once reverted)."""
        return dict(self.undo.env)

    def __call__(self, ctx: FaultContext) -> None:
        problems = self.undo.replay(ctx)
        paths = differences(self.before, stable(self.fault.observe(ctx)))
        if paths:
            problems.append(f"not restored: {', '.join(paths[:8])}")
        if problems:
            raise FaultError(f"revert of {self.fault.name} is incomplete: {'; '.join(problems)}")

    def to_json(self) -> dict[str, Any]:
        return {"fault": self.fault.name, "undo": self.undo.to_json(), "before": encode(self.before), "env": self.env}

    @classmethod
    def from_json(cls, fault: Fault, data: dict[str, Any]) -> Revert:
        return cls(fault, Undo.from_json(data["undo"], data.get("env")), decode(data["before"]))


CATALOGUE: dict[str, Fault] = {}


def fault(
    name: str,
    *,
    story: str,
    areas: Iterable[str],
    observe: Observe,
    collateral: Iterable[str] = (),
    needs_sql: bool = False,
) -> Callable[[Change], Change]:
    """Register the decorated change function as a fault of the catalogue."""
    must, also = frozenset(areas), frozenset(collateral)
    unknown = (must | also) - set(VERDICT_AREAS)
    if unknown or not must:
        raise ValueError(f"fault {name}: areas must be non-empty and among {VERDICT_AREAS}, got {sorted(must | also)}")
    if name in CATALOGUE:
        raise ValueError(f"fault {name} is registered twice")

    def register(change: Change) -> Change:
        CATALOGUE[name] = Fault(name, story, must, change, observe, also - must, needs_sql)
        return change

    return register


def stable(value: Any) -> Any:
    """The observation without volatile fields, tuples as lists (what JSON round-trips to)."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list | tuple):
        return [stable(v) for v in value]
    return value


def differences(before: Any, after: Any, path: str = "$") -> list[str]:
    """Paths where two observations differ (values are never named)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[str] = []
        for key in sorted(set(before) | set(after), key=str):
            if key not in before or key not in after:
                out.append(f"{path}.{key}")
            else:
                out += differences(before[key], after[key], f"{path}.{key}")
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        pairs = enumerate(zip(before, after, strict=True))
        return [p for i, (b, a) in pairs for p in differences(b, a, f"{path}[{i}]")]
    return [] if before == after else [path]
