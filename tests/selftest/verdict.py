"""What one fault's e2e run says: per area caught, missed, also failing (declared), or unexpected.

Hand-written rule of the self-test: a fault is detected when every area it must trip has a failing
check (a failed assertion or an error), and the run fails nowhere else than in those areas and the
ones the fault declares as collateral. A run that broke, or a fault that could not be applied or
reverted, is a problem of its own and never counts as detected.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.selftest.e2e_runs import SuiteRun
from twin.faults import AREAS

CAUGHT, MISSED, ALSO, UNEXPECTED, QUIET = "caught", "MISSED", "also", "UNEXPECTED", "-"


@dataclass(frozen=True)
class FaultResult:
    name: str
    story: str
    areas: tuple[str, ...]
    collateral: tuple[str, ...]
    run: SuiteRun | None
    lane: str
    seconds: float
    problem: str | None = None  # could not apply, revert incomplete, run broken
    unavailable: bool = False  # the twin cannot take this change (a missing control-plane API)

    def tripped(self) -> dict[str, list[str]]:
        return self.run.tripped() if self.run else {}

    def cells(self) -> dict[str, str]:
        tripped = self.tripped()
        out = {}
        for area in AREAS:
            if area in self.areas:
                out[area] = CAUGHT if area in tripped else MISSED
            elif area in tripped:
                out[area] = ALSO if area in self.collateral else UNEXPECTED
            else:
                out[area] = QUIET
        return out

    def missed(self) -> list[str]:
        return [a for a, c in self.cells().items() if c == MISSED]

    def unexpected(self) -> list[str]:
        return [a for a, c in self.cells().items() if c == UNEXPECTED]

    @property
    def detected(self) -> bool:
        return self.problem is None and self.run is not None and not self.missed() and not self.unexpected()

    def explain(self) -> str:
        """One line for a failed assertion: what went wrong and what to do."""
        if self.problem:
            return f"{self.name}: {self.problem}"
        parts = []
        if self.missed():
            parts.append(f"no e2e check failed in {self.missed()}: a check is missing there (finding for the "
                         "e2e suite; do not weaken the fault)")
        if self.unexpected():
            tripped = self.tripped()
            tests = sorted({t for a in self.unexpected() for t in tripped[a]})[:4]
            parts.append(f"failed outside its areas in {self.unexpected()} ({tests}): declare the area as "
                         "collateral if the fault really breaks it, else the suite is flaky there")
        return f"{self.name}: " + "; ".join(parts)
