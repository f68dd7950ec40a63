"""What one fault's e2e run says: per area caught, missed, also failing (declared), or unexpected.

Hand-written rule of the self-test: a fault is detected when every area it must trip has a check
that failed with its own finding (outcome `failed`: the check's one-line message, see
outcomes_plugin.py) and, where the fault declares what that message must say (`MUST_SAY` in its
catalogue module), a finding that says it. A traceback (outcome `error`: a crashed fixture, an
exception in the body) proves nothing about the stack: an area with only those is CRASHED, one
whose findings never name the misconfiguration is UNNAMED, and neither counts as caught. The run
must fail nowhere else (errors included) than in those areas and the ones the fault declares as
collateral. A run that broke, or a fault that could not be applied or reverted, is a problem of its
own and never counts as detected.
"""

from __future__ import annotations

from dataclasses import dataclass

from fixtures.areas import VERDICT_AREAS
from tests.selftest.e2e_runs import CheckOutcome, SuiteRun
from twin.faults.catalogue import MUST_SAY

CAUGHT, MISSED, ALSO, UNEXPECTED, QUIET = "caught", "MISSED", "also", "UNEXPECTED", "-"
CRASHED, UNNAMED = "CRASHED", "UNNAMED"  # the area failed only with tracebacks / with findings that do not say it
NOT_CAUGHT = (MISSED, CRASHED, UNNAMED)


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
    must_say: str | None = None  # what a finding must contain; by default the fault's MUST_SAY entry

    @property
    def expected_text(self) -> str | None:
        return self.must_say or MUST_SAY.get(self.name)

    def tripped(self) -> dict[str, list[str]]:
        return self.run.tripped() if self.run else {}

    def _says_it(self, test: CheckOutcome) -> bool:
        text = self.expected_text
        return test.outcome == "failed" and (text is None or text.lower() in test.message.lower())

    def _required_cell(self, area: str) -> str:
        tests = [t for t in (self.run.tests if self.run else ()) if area in t.areas]
        if any(self._says_it(t) for t in tests):
            return CAUGHT
        if any(t.outcome == "failed" for t in tests):
            return UNNAMED
        return CRASHED if any(t.outcome == "error" for t in tests) else MISSED

    def cells(self) -> dict[str, str]:
        tripped = self.tripped()
        out = {}
        for area in VERDICT_AREAS:
            if area in self.areas:
                out[area] = self._required_cell(area)
            elif area in tripped:
                out[area] = ALSO if area in self.collateral else UNEXPECTED
            else:
                out[area] = QUIET
        return out

    def missed(self) -> list[str]:
        return [a for a, c in self.cells().items() if c in NOT_CAUGHT]

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
        cells = self.cells()
        missed, crashed, unnamed = ([a for a, c in cells.items() if c == kind] for kind in NOT_CAUGHT)
        if missed:
            parts.append(
                f"no e2e check failed in {missed}: a check is missing there (finding for the "
                "e2e suite; do not weaken the fault)"
            )
        if crashed:
            run_tests = self.run.tests if self.run else ()
            tests = sorted(t.nodeid for t in run_tests if t.outcome == "error" and set(t.areas) & set(crashed))
            parts.append(
                f"checks of {crashed} only crashed with a traceback ({tests[:4]}), which proves nothing: "
                "make the check fail with a message naming the misconfiguration"
            )
        if unnamed:
            parts.append(
                f"checks of {unnamed} failed, but no message says {self.expected_text!r}: a check must "
                "name the misconfiguration (or the fault's MUST_SAY is wrong)"
            )
        if self.unexpected():
            tripped = self.tripped()
            tests = sorted({t for a in self.unexpected() for t in tripped[a]})[:4]
            parts.append(
                f"failed outside its areas in {self.unexpected()} ({tests}): declare the area as "
                "collateral if the fault really breaks it, else the suite is flaky there"
            )
        return f"{self.name}: " + "; ".join(parts)
