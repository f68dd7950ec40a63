"""Faults the self-test expects to fail today, each with the reason and the part that must change.

Marked xfail(strict=True): they stay visible in every run, and the day the gap is closed the test
passes unexpectedly and fails the run, which is the reminder to delete the entry here.
"""

from __future__ import annotations

# Findings for the e2e suite: the fault is applied and verified, no check of its area fails.
MISSING_CHECKS: dict[str, str] = {}
# Gaps of the twin's control plane (moto 5.2.5 plus the gap layer): the fault cannot be applied or reverted.
TWIN_GAPS: dict[str, str] = {}
