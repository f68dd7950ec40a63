"""The detection campaign: every fault applied to a twin, the e2e suite run against it, the fault
reverted; plus clean runs of the whole suite on fresh twins. Lanes (one twin each) run side by side.

Hand-written scheduler. Each lane starts a fresh twin and makes a clean run on it, then takes faults
from one shared queue: apply, let the gateway and Lambda runner pick up the change (they poll the
control plane every 0.5 s), run the fault's areas of the suite plus a sanity slice (with the `E2E_`
overrides the fault says the pipeline sets, e.g. a recreated app client's id), revert. A revert
that does not verify, or an apply that failed half-way, costs the lane a fresh twin, so one fault
never poisons the next. A fault that refuses a used twin (NeedsFreshTwin) is retried once on a
fresh one. When the queue is empty, the remaining clean runs are made on fresh twins by whichever
lanes are free.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fixtures.local_twin import LaunchedTwin, TwinStartError, launch_twin
from tests.selftest.e2e_runs import SuiteRun, run_suite
from tests.selftest.twins import fault_context
from tests.selftest.verdict import FaultResult
from twin.faults import Fault, FaultError, FaultUnavailable, NeedsFreshTwin

SETTLE_S = 1.5  # gateway snapshot (0.4 s) and Lambda runner (0.5 s) refresh, with margin


@dataclass
class CampaignResult:
    faults: list[FaultResult]
    clean: list[SuiteRun]
    seconds: float


class _Lane:
    def __init__(self, index: int, work: Path, log: Callable[[str], None]) -> None:
        self.name = f"lane{index}"
        self.work = work / self.name
        self.log = log
        self.twin: LaunchedTwin | None = None
        self.count = 0

    def fresh(self) -> LaunchedTwin:
        self.stop()
        self.count += 1
        self.twin = launch_twin(self.work / f"twin{self.count}")
        return self.twin

    def stop(self) -> None:
        if self.twin is not None:
            self.twin.down()
            self.twin = None

    def clean_run(self, index: int) -> SuiteRun:
        twin = self.fresh()
        run = run_suite(twin.env_file, self.work / f"clean{index}")
        self.log(
            f"{self.name}: clean run {index}: {run.counts()} in {run.duration_s:.0f} s"
            + (f" BROKEN: {run.broken}" if run.broken else "")
        )
        return run

    def fault(self, fault: Fault) -> FaultResult:
        started = time.monotonic()
        try:
            result, healthy = self._attempt(fault, started)
        except NeedsFreshTwin:
            self.fresh()
            try:
                result, healthy = self._attempt(fault, started)
            except NeedsFreshTwin as exc:
                result, healthy = self._result(fault, started, None, problem=f"could not apply: {exc}"), False
        if not healthy:
            self.fresh()
        self.log(
            f"{self.name}: {fault.name}: "
            + ("detected" if result.detected else result.explain())
            + f" ({result.seconds:.0f} s)"
        )
        return result

    def _attempt(self, fault: Fault, started: float) -> tuple[FaultResult, bool]:
        twin = self.twin or self.fresh()
        ctx = fault_context(twin)
        try:
            try:
                revert = fault.apply(ctx)
            except NeedsFreshTwin:
                raise
            except FaultUnavailable as exc:
                return self._result(fault, started, None, problem=f"unavailable: {exc}", unavailable=True), True
            except FaultError as exc:
                return self._result(fault, started, None, problem=f"could not apply: {exc}"), False
            time.sleep(SETTLE_S)
            run = run_suite(twin.env_file, self.work / fault.name, areas=tuple(sorted(fault.areas)), env=revert.env)
            problem, healthy = run.broken, True
            try:
                revert(ctx)
            except Exception as exc:  # any failure to restore means the next fault needs a fresh twin
                problem, healthy = problem or f"revert incomplete: {exc}", False
            time.sleep(SETTLE_S)
            return self._result(fault, started, run, problem=problem), healthy
        finally:
            ctx.close()

    def _result(
        self, fault: Fault, started: float, run: SuiteRun | None, *, problem: str | None, unavailable: bool = False
    ) -> FaultResult:
        return FaultResult(
            name=fault.name, story=fault.story, areas=tuple(sorted(fault.areas)),
            collateral=tuple(sorted(fault.collateral)), run=run, lane=self.name,
            seconds=time.monotonic() - started, problem=problem, unavailable=unavailable,
        )  # fmt: skip


def run_campaign(
    faults: list[Fault], work: Path, *, lanes: int = 2, clean_runs: int = 3, log: Callable[[str], None] = print
) -> CampaignResult:
    started = time.monotonic()
    queue = deque(faults)
    lock = threading.Lock()
    clean: list[SuiteRun] = []
    results: dict[str, FaultResult] = {}
    clean_left = [clean_runs]
    errors: list[str] = []
    stop = threading.Event()  # set on interrupt: lanes finish the fault at hand and stop their twins

    def take_clean() -> int:
        with lock:
            if clean_left[0] <= 0 or stop.is_set():
                return 0
            clean_left[0] -= 1
            return clean_runs - clean_left[0]

    def next_fault() -> Fault | None:
        with lock:
            return queue.popleft() if queue and not stop.is_set() else None

    def work_lane(index: int) -> None:
        lane = _Lane(index, work, log)
        try:
            number = take_clean()
            if number:
                clean.append(lane.clean_run(number))
            else:
                lane.fresh()
            while (fault := next_fault()) is not None:
                results[fault.name] = lane.fault(fault)
            while number := take_clean():
                clean.append(lane.clean_run(number))
        except TwinStartError as exc:
            errors.append(str(exc))
        finally:
            lane.stop()

    threads = [threading.Thread(target=work_lane, args=(i,), name=f"selftest-lane{i}") for i in range(1, lanes + 1)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:  # KeyboardInterrupt, SIGTERM turned into one, a pytest timeout: no orphaned twins
        stop.set()
        for thread in threads:
            thread.join()
        raise
    if errors:
        log("; ".join(errors))
    ordered = [results[f.name] for f in faults if f.name in results]
    return CampaignResult(ordered, clean, time.monotonic() - started)
