"""The token pool: N short-lived test users, signed in once, refreshed from one place, deleted at the end.

Hand-written because Locust has no notion of shared credentials: the pool lives in the one process
that talks to Cognito (the master, or the single local process), which hands each worker its own
slice of users (`slices`) and re-sends the slices after every refresh. Workers only hold a
`TokenStore`; they never call Cognito.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .cognito import Cognito, Member
from .errors import SetupError

MAX_POOL_SIZE = 500  # 500 users is 10 s of Cognito's shared 50 RPS UserCreation quota; more needs a fixed pool.
log = logging.getLogger("loadsuite.pool")


@dataclass(frozen=True)
class Entry:
    """What a worker needs of one user: who it is and the bearer token to send."""

    sub: str
    token: str

    def __repr__(self) -> str:  # the token must never reach a log line
        return f"Entry(sub={self.sub!r})"


class TokenPool:
    """Users created for this run; `entries()` gives the current bearer tokens in a stable order."""

    def __init__(self, cognito: Cognito, *, token_use: str = "access", concurrency: int = 4) -> None:
        self.cognito = cognito
        self.token_use = token_use
        self.concurrency = max(1, concurrency)
        self.users: list[Member] = []
        self.refreshes = 0

    def fill(self, size: int) -> None:
        """Create and sign in users until the pool holds `size`; raises SetupError if it cannot."""
        if not 1 <= size <= MAX_POOL_SIZE:
            raise SetupError(f"--pool-size {size} is outside 1..{MAX_POOL_SIZE}: pick a smaller pool")
        missing = size - len(self.users)
        if missing <= 0:
            return
        labels = [f"{len(self.users) + i:04d}" for i in range(missing)]
        errors: list[SetupError] = []
        try:  # the first user alone: a wrong pool or credentials fail once, not once per thread
            self.users.append(self.cognito.create_member(labels.pop(0)))
        except SetupError as exc:
            errors.append(exc)
        if labels and not errors:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(labels))) as executor:
                futures = [executor.submit(self.cognito.create_member, label) for label in labels]
                for future in futures:
                    try:
                        self.users.append(future.result())
                    except SetupError as exc:
                        errors.append(exc)
        if errors:
            raise SetupError(f"token pool could not be filled ({len(self.users)}/{size} users): {errors[0]}")
        log.info("token pool ready: %d users signed in (%d Cognito calls)", len(self.users), self.cognito.stats.total)

    def refresh_all(self) -> None:
        """Refresh every user's tokens; one failure leaves the rest refreshed and is raised after."""
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(self.users))) as executor:
            outcomes = list(executor.map(self._try_refresh, self.users))
        self.refreshes += 1
        failed = [err for err in outcomes if err is not None]
        if failed:
            raise SetupError(f"{len(failed)}/{len(self.users)} token refreshes failed: {failed[0]}")

    def next_refresh_in(self, fraction: float) -> float:
        """Seconds until the earliest user reaches `fraction` of its token lifetime."""
        if not self.users:
            return 60.0
        due = min(u.refresh_due(fraction) for u in self.users)
        return max(0.0, due - time.time())

    def entries(self, size: int | None = None) -> list[Entry]:
        users = self.users if size is None else self.users[:size]
        return [Entry(u.sub, u.bearer(self.token_use)) for u in users]

    def delete_all(self) -> int:
        """Delete every user of this run; returns how many are gone. Safe to call twice."""
        deleted = 0
        for member in list(self.users):
            try:
                self.cognito.delete(member.user)
            except SetupError as exc:
                log.error("could not delete test user %s: %s", member.user.username, exc)
                continue
            self.users.remove(member)
            deleted += 1
        return deleted

    def _try_refresh(self, who: Member) -> SetupError | None:
        try:
            self.cognito.refresh(who)
        except SetupError as exc:
            return exc
        return None


def slices(entries: Sequence[Entry], workers: Sequence[str]) -> dict[str, list[Entry]]:
    """Deal entries round-robin so each worker gets its own users; needs at least one per worker."""
    if len(entries) < len(workers):
        raise SetupError(
            f"--pool-size {len(entries)} is smaller than the {len(workers)} connected workers: "
            "each worker needs its own users"
        )
    return {worker: list(entries[i :: len(workers)]) for i, worker in enumerate(workers)}


class TokenStore:
    """A worker's (or the local process's) current slice: users pick a slot and follow its refreshes."""

    def __init__(self) -> None:
        self._entries: list[Entry] = []
        self._by_sub: dict[str, str] = {}
        self.version = 0

    def replace(self, entries: Sequence[Entry]) -> None:
        self._entries = list(entries)
        self._by_sub = {e.sub: e.token for e in entries}
        self.version += 1

    def __len__(self) -> int:
        return len(self._entries)

    def pick(self, slot: int) -> Entry:
        return self._entries[slot % len(self._entries)]

    def token_for(self, sub: str) -> str | None:
        return self._by_sub.get(sub)
