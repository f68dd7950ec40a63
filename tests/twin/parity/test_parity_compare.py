"""The parity comparer and normaliser on hand-made answers: what counts as a difference, and what a snapshot
may never hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fixtures.config import load_config
from fixtures.redaction import register_secret
from twin.parity.normalise import Placeholders
from twin.parity.runner import differences
from twin.parity.snapshot import ABSENT, Difference, Entry, Snapshot, SnapshotError, compare, load

ROOT = Path(__file__).resolve().parents[3]
SEEDED = ROOT / "twin" / "parity" / "snapshots" / "public-captures.json"
ANSWER: dict[str, Any] = {
    "status": 401,
    "headers": {"content-type": "application/json", "www-authenticate": "Bearer"},
    "body": {"message": "Unauthorized"},
}


def test_a_complete_entry_differs_on_every_changed_added_or_missing_path() -> None:
    other = {
        "status": 403,
        "headers": {"content-type": "application/json", "vary": "origin"},
        "body": {"message": "Unauthorized"},
    }
    found = compare("api.no_token", Entry(answer=ANSWER), other)
    assert found == [
        Difference("api.no_token", "headers.vary", ABSENT, "origin"),
        Difference("api.no_token", "headers.www-authenticate", "Bearer", ABSENT),
        Difference("api.no_token", "status", 401, 403),
    ]
    assert found[2].line("aws", "twin") == "api.no_token  status  aws=401  twin=403"
    assert found[0].line("aws", "twin") == 'api.no_token  headers.vary  aws=(absent)  twin="origin"'


def test_excluded_paths_are_not_compared() -> None:
    other = {**ANSWER, "headers": {**ANSWER["headers"], "connection": "close"}}
    entry = Entry(
        answer={**ANSWER, "headers": {**ANSWER["headers"], "connection": "keep-alive"}},
        exclude={"headers.connection": "transport"},
    )
    assert compare("p", entry, other) == []
    assert compare("p", Entry(answer=entry.answer), other) != []


def test_a_partial_entry_compares_only_its_paths_and_null_means_absent() -> None:
    capture = Entry(complete=False, answer={"status": 401, "headers": {"access-control-allow-origin": None}})
    assert compare("p", capture, {**ANSWER, "headers": {"extra": "ignored"}}) == []
    with_cors = {**ANSWER, "headers": {"access-control-allow-origin": "*"}}
    assert compare("p", capture, with_cors) == [Difference("p", "headers.access-control-allow-origin", ABSENT, "*")]
    missing = Entry(complete=False, answer={"headers": {"vary": "origin"}})
    assert compare("p", missing, ANSWER) == [Difference("p", "headers.vary", "origin", ABSENT)]


def test_a_probe_the_replay_skipped_is_a_difference_and_a_diff_looks_both_ways() -> None:
    a = Snapshot(meta={}, entries={"x": Entry(answer=ANSWER)})
    b = Snapshot(meta={}, entries={"y": Entry(answer=ANSWER)}, skipped={"x": "no GET route"})
    assert [d.line("a", "b") for d in differences(a, b, both_ways=False)] == [
        'x  -  a="(answered)"  b="(skipped) no GET route"'
    ]
    assert [d.probe for d in differences(a, b, both_ways=True)] == ["x", "y"]


def test_placeholders_hide_the_deployment_the_user_and_every_volatile_value(tmp_path: Path) -> None:
    env = tmp_path / "env.toml"
    env.write_text((ROOT / "env" / "example.toml").read_text())
    config = load_config(env)
    register_secret("Pa55word-of-the-prober!")
    ph = Placeholders.of(config, username="e2e-parity-1-rec-parity-abc", email="e2e-parity@e2e.invalid")
    origin = config.api.allowed_origins[0]
    text = (
        f"Client {config.cognito.client_id} of {config.issuer} from {origin}: e2e-parity-1-rec-parity-abc "
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln 8b328158-a9a6-47dc-b53c-3d69e68109f4 Pa55word-of-the-prober!"
    )
    assert ph.text(text) == "Client {client_id} of {issuer} from {allowed_origin}: {username} {jwt} {uuid} {secret}"
    claims = {"iat": 1, "exp": 2, "auth_time": 3, "kid": "abc=", "n": "modulus", "email_verified": True}
    assert ph.value(claims) == {
        "iat": "{epoch}",
        "exp": "{epoch}",
        "auth_time": "{epoch}",
        "kid": "{kid}",
        "n": "{modulus}",
        "email_verified": True,
    }
    headers = ph.headers({"Date": "Mon, 07 Dec 2026 16:00:00 GMT", "Apigw-Requestid": "abc=", "Vary": "origin"})
    assert headers == {"apigw-requestid": "{request-id}", "date": "{http-date}", "vary": "origin"}


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "does not exist"),
        ("{not json", "is not JSON"),
        (json.dumps({"format": 99, "probes": {}}), "is not a format-1 parity snapshot"),
        (json.dumps({"format": 1, "probes": {"x": {"request": "r"}}}), "probe 'x' has no answer"),
        (json.dumps({"format": 1, "probes": {"x": {"answer": 1, "exclude": {"a": ""}}}}), "exclude must map"),
    ],
)
def test_a_bad_snapshot_is_one_line(tmp_path: Path, content: str | None, fragment: str) -> None:
    path = tmp_path / "snap.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SnapshotError, match=fragment) as caught:
        load(path)
    assert "\n" not in str(caught.value)


def test_every_committed_capture_names_its_source() -> None:
    seeded = load(SEEDED)
    assert len(seeded.entries) >= 10
    for name, entry in seeded.entries.items():
        assert not entry.complete, f"{name}: a capture shows part of an answer"
        assert entry.source.startswith(("captured", "documented")), f"{name}: {entry.source!r}"
        assert len(entry.source) > len("captured: x"), name
