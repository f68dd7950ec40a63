"""Turns a list of findings into one test failure that a reader can act on."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

MAX_SHOWN = 25


def fail_on(findings: Iterable[str], *, limit: int = MAX_SHOWN) -> None:
    """Fail the test with one line per finding (duplicates dropped, long lists cut), or do nothing."""
    unique = list(dict.fromkeys(findings))
    if not unique:
        return
    shown = unique[:limit]
    more = len(unique) - len(shown)
    tail = [f"... and {more} more finding(s) of the same check"] if more else []
    pytest.fail("\n".join([*shown, *tail]), pytrace=False)
