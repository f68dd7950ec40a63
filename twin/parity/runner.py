"""Runs the probes against one deployment into a snapshot, and compares two snapshots.

The safety rules are the suite's (`fixtures.users`, `fixtures.lease`, `fixtures.janitor`): a protected
env is refused before anything is sent, the prober's user lives under a run lease and is deleted
and its run swept whatever happens, and the answers pass through the redaction before they are kept.
"""

from __future__ import annotations

import datetime as dt
import secrets
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from fixtures.aws import make_client_factory, make_session
from fixtures.config import EnvConfig
from fixtures.janitor import sweep_run
from fixtures.lease import RunLease
from fixtures.preflight import run_preflight
from fixtures.retry import call_with_retry
from fixtures.users import CognitoUsers
from twin.parity.normalise import Placeholders
from twin.parity.probes import PROBES, Context, Skip
from twin.parity.snapshot import Difference, Entry, Snapshot, compare

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SKIPPED = "(skipped)"
UNREADABLE = "not readable by this caller"


def tool_version() -> str:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    return f"{project['name']} {project['version']} twin.parity"


def record(config: EnvConfig, *, allow_protected: bool = False, notes: list[str] | None = None) -> Snapshot:
    """Every probe against the deployment of `config`; `notes` receives what the run could not do cleanly."""
    notes = [] if notes is None else notes
    client = make_client_factory(config, make_session(config))
    idp = client("cognito-idp")
    run_id = f"parity-{secrets.token_hex(3)}"
    users = CognitoUsers(config, idp, run_id=run_id, worker="rec", allow_protected=allow_protected)
    users.check_protected()
    run_preflight(config, client)  # one line for wrong ids, missing credentials, an unreachable endpoint
    deployed = _deployed_settings(config, client)
    lease: RunLease | None = None
    taken = RunLease(idp, config.cognito.user_pool_id, run_id)
    try:
        taken.acquire()
        lease = taken
    except Exception as exc:  # without it a killed prober's user waits for the janitor's age rule
        notes.append(f"run lease not taken ({type(exc).__name__}): a killed run's user is swept by age only")
    ctx = Context(config, idp, users)
    entries: dict[str, Entry] = {}
    skipped: dict[str, str] = {}
    try:
        for probe in PROBES:
            try:
                request, answer = probe.run(ctx)
            except Skip as exc:
                skipped[probe.name] = str(exc)
                continue
            entries[probe.name] = Entry(answer=answer, request=request, exclude=dict(probe.exclude))
    finally:
        try:
            users.cleanup()
            sweep_run(idp, config.cognito.user_pool_id, run_id)  # also a user whose creation answer was lost
            if lease is not None:
                lease.release()
        except Exception as exc:  # must not hide the probe's own failure; the lease then lapses
            notes.append(
                f"cleanup of run {run_id} failed ({type(exc).__name__}): "
                f"python -m fixtures.janitor --env-file {config.source}"
            )
    meta = {
        "tool": tool_version(),
        "recorded": dt.datetime.now(dt.UTC).date().isoformat(),
        "target": "twin" if config.is_twin else "aws",
        "region": config.aws.region,
        "env": config.env.name,
        "config": deployed,
    }
    return Snapshot(meta=meta, entries=entries, skipped=skipped)


def _deployed_settings(config: EnvConfig, client: Callable[[str], Any]) -> dict[str, Any]:
    """The deployed settings that decide answers (the API's CORS, the app client's flows, secret and existence
    errors), read where the caller may, so a comparison can tell configuration from behaviour."""
    placeholders = Placeholders.of(config)
    settings: dict[str, Any] = {"issuer_type": config.cognito.issuer_type}
    try:
        api = call_with_retry(lambda: client("apigatewayv2").get_api(ApiId=config.api.api_id))
        settings["cors"] = placeholders.value(api.get("CorsConfiguration") or "none")
    except ClientError:
        settings["cors"] = UNREADABLE
    try:
        app = call_with_retry(
            lambda: client("cognito-idp").describe_user_pool_client(
                UserPoolId=config.cognito.user_pool_id, ClientId=config.cognito.client_id
            )
        )["UserPoolClient"]
    except ClientError:
        settings["app_client"] = UNREADABLE
        return settings
    settings["app_client"] = {
        "explicit_auth_flows": sorted(app.get("ExplicitAuthFlows") or []),
        "has_secret": bool(app.get("ClientSecret")),
        "prevent_user_existence_errors": app.get("PreventUserExistenceErrors", "LEGACY"),
        "token_revocation": bool(app.get("EnableTokenRevocation")),
    }
    return settings


def differences(reference: Snapshot, other: Snapshot, *, both_ways: bool) -> list[Difference]:
    """How `other` answers differently from `reference`. `both_ways`: probes that only `other` answered count too
    (a diff of two recordings); otherwise `reference` says which probes matter (a check against captures)."""
    found: list[Difference] = []
    for name, entry in sorted(reference.entries.items()):
        theirs = other.entries.get(name)
        if theirs is None:
            found.append(Difference(name, "", "(answered)", f"{SKIPPED} {other.skipped.get(name, 'not run')}"))
            continue
        found += compare(name, entry, theirs.answer, theirs.exclude if both_ways else None)
    if both_ways:
        for name in sorted(other.entries.keys() - reference.entries.keys()):
            found.append(Difference(name, "", f"{SKIPPED} {reference.skipped.get(name, 'not run')}", "(answered)"))
    return found


def config_differences(reference: Snapshot, other: Snapshot) -> list[Difference]:
    """The deployed settings that differ: answers that differ with them may be configuration, not behaviour."""
    ours = reference.meta.get("config")
    theirs = other.meta.get("config")
    if not isinstance(ours, dict) or not isinstance(theirs, dict):
        return []
    return compare("config", Entry(answer=ours), theirs)
