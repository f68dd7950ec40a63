"""A parity snapshot (one JSON file) and the comparison of two answers, path by path.

Hand-written because the comparison rules are the parity tool's own. An answer is flattened to
paths (`headers.www-authenticate`, `claims.token_use`, `keys[1].alg`) and compared value by
value. A *complete* entry (every recorded one) differs wherever the other answer has a path it
lacks or lacks one it has; a *partial* entry (a public capture shows part of an answer) is
compared on the paths it names only, and `null` there means "absent". Paths can be excluded per
probe with a reason (fnmatch patterns), which the file carries next to the answer.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
ABSENT = "(absent)"


class SnapshotError(Exception):
    """The file is not a parity snapshot this version can read; one line naming the file and the fix."""


@dataclass(frozen=True)
class Entry:
    """One probe's answer in a snapshot."""

    answer: Any
    request: str = ""
    source: str = "recorded"
    complete: bool = True
    exclude: dict[str, str] = field(default_factory=dict)  # path pattern -> why it is not compared

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"request": self.request, "source": self.source}
        if not self.complete:
            out["complete"] = False
        if self.exclude:
            out["exclude"] = self.exclude
        out["answer"] = self.answer
        return out


@dataclass(frozen=True)
class Snapshot:
    meta: dict[str, Any]
    entries: dict[str, Entry]
    skipped: dict[str, str] = field(default_factory=dict)  # probe -> why it did not run

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "meta": self.meta,
            "probes": {name: entry.to_json() for name, entry in sorted(self.entries.items())},
            "skipped": dict(sorted(self.skipped.items())),
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load(path: Path) -> Snapshot:
    where = f"snapshot {path}"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"{where} does not exist: pass a file written by `python -m twin.parity record`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{where} cannot be read ({type(exc).__name__}): pass a readable file") from None
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{where} is not JSON ({exc}): record it again") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT or not isinstance(raw.get("probes"), dict):
        raise SnapshotError(f"{where} is not a format-{FORMAT} parity snapshot: record it again with this version")
    entries: dict[str, Entry] = {}
    for name, item in raw["probes"].items():
        if not isinstance(item, dict) or "answer" not in item:
            raise SnapshotError(f"{where}: probe {name!r} has no answer: record it again")
        exclude = item.get("exclude", {})
        if not isinstance(exclude, dict) or not all(isinstance(v, str) and v for v in exclude.values()):
            raise SnapshotError(f"{where}: probe {name!r}: exclude must map path patterns to reasons")
        entries[name] = Entry(
            answer=item["answer"],
            request=str(item.get("request", "")),
            source=str(item.get("source", "recorded")),
            complete=item.get("complete", True) is True,
            exclude=exclude,
        )
    return Snapshot(
        meta=dict(raw.get("meta") or {}),
        entries=entries,
        skipped={k: str(v) for k, v in raw.get("skipped", {}).items()},
    )


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(path, leaf) pairs; an empty dict or list is a leaf of its own, so "no headers" is a value too."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            yield from flatten(item, f"{prefix}[{i}]")
    else:
        yield prefix, value


@dataclass(frozen=True)
class Difference:
    probe: str
    path: str
    expected: Any
    actual: Any

    def line(self, expected_label: str, actual_label: str) -> str:
        def show(value: Any) -> str:
            return value if value == ABSENT else json.dumps(value, ensure_ascii=False)

        return (
            f"{self.probe}  {self.path or '-'}  "
            f"{expected_label}={show(self.expected)}  {actual_label}={show(self.actual)}"
        )


def compare(probe: str, reference: Entry, answer: Any, exclude: Mapping[str, str] | None = None) -> list[Difference]:
    """How `answer` differs from `reference`'s answer (see the module doc for complete and partial entries)."""
    patterns = {**reference.exclude, **(exclude or {})}

    def kept(path: str) -> bool:
        return not any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns)

    ours = dict(flatten(reference.answer))
    theirs = dict(flatten(answer))
    differences = []
    if reference.complete:
        for path in sorted(ours.keys() | theirs.keys()):
            a, b = ours.get(path, ABSENT), theirs.get(path, ABSENT)
            if a != b and kept(path):
                differences.append(Difference(probe, path, a, b))
        return differences
    for path, expected in ours.items():
        if not kept(path):
            continue
        if expected is None:  # the capture shows the member is absent: no path at or below it
            present = [p for p in theirs if p == path or p.startswith((path + ".", path + "["))]
            differences += [Difference(probe, p, ABSENT, theirs[p]) for p in present]
        elif theirs.get(path, ABSENT) != expected:
            differences.append(Difference(probe, path, expected, theirs.get(path, ABSENT)))
    return differences
