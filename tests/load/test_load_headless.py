"""Headless Locust runs of the suite against the loopback stack: verdicts, exit codes, outputs, secrets."""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path

import pytest
import requests
from loopback_stack import Stack, assert_no_secrets, free_port

pytestmark = pytest.mark.load

SHORT = ("-u", "6", "-r", "6", "-t", "4s")


def test_a_passing_run_gates_0_writes_final_outputs_and_cleans_up(fresh_stack, env_file, run_locust):
    run = run_locust(*SHORT, "--env-file", str(env_file), "--pool-size", "4", "--slo", "p95<5000ms, fail_ratio<1%")

    assert run.returncode == 0, run.stderr[-3000:]
    assert "result: PASS" in run.stderr
    assert "< 5000 ms" in run.stderr, "the summary shows the threshold beside the measured value"
    verdict = json.loads((run.report_dir / "load_slo.json").read_text())
    assert verdict["result"] == "pass" and verdict["requests"] > 0
    with (run.report_dir / "load_stats.csv").open() as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    assert int(rows["Aggregated"]["Request Count"]) == verdict["requests"], "CSV holds the final numbers"
    # Which routes a 4 s run reaches depends on the machine's speed (the exam task has weight 1 of 10),
    # so the check is per route: named by its group, never more than the API served. Users are stopped
    # mid-request at the time limit: the API may have answered up to one request per user (6) that
    # Locust never recorded, never the other way round.
    counted = {name: int(row["Request Count"]) for name, row in rows.items() if name != "Aggregated"}
    assert counted and counted.keys() <= {"/courses", "/courses/[id]", "/exams", "/exams/[id]"}, counted
    served = fresh_stack.api.requests
    assert all(served[name] >= count for name, count in counted.items()), (served, counted)
    in_flight = sum(served.values()) - verdict["requests"]
    assert 0 <= in_flight <= 6, f"API saw {in_flight} more requests than Locust counted"
    assert (run.report_dir / "load.html").stat().st_size > 10_000
    assert (run.report_dir / "load_chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert fresh_stack.api.rejected == 0, "every request carried a valid token"
    # Cognito: the run's lease (taken, dropped), the janitor's listings (leases, harness users, foreign pools
    # and clients: one page each), one pool and one app client lookup, 4 users x (create, password, sign-in),
    # then 4 deletes; nothing per virtual user.
    assert dict(fresh_stack.cognito.calls) == {
        "CreateGroup": 1,
        "ListGroups": 1,
        "ListUsers": 1,
        "ListUserPools": 1,
        "ListUserPoolClients": 1,
        "DescribeUserPool": 1,
        "DescribeUserPoolClient": 1,
        "AdminCreateUser": 4,
        "AdminSetUserPassword": 4,
        "AdminInitiateAuth": 4,
        "AdminDeleteUser": 4,
        "DeleteGroup": 1,
    }
    assert "janitor: deleted 0 test users" in run.stderr, "the janitor ran before the pool was filled"
    assert not any("cognito" in name.lower() for name in rows), "Cognito traffic is not in the API statistics"
    assert fresh_stack.pool_usernames() == [], "the run's users are deleted at the end"
    assert fresh_stack.idp().list_groups(UserPoolId=fresh_stack.user_pool_id)["Groups"] == [], "and the lease"
    assert_no_secrets(fresh_stack, {"stdout": run.stdout, "stderr": run.stderr, **run.report_texts()})


def test_a_failing_rule_exits_3_a_warn_rule_only_warns_and_no_data_is_a_breach(fresh_stack, env_file, run_locust):
    rules = "p95<1000ms, rps>100000 warn, GET /nowhere p95<100ms"
    run = run_locust(*SHORT, "--env-file", str(env_file), "--pool-size", "2", "--slo", rules)

    assert run.returncode == 3, run.stderr[-3000:]
    lines = run.stderr.splitlines()
    assert any("GET /nowhere" in line and "no data" in line and "BREACH" in line for line in lines)
    assert any(line.startswith("all ") and "rps" in line and "warn" in line for line in lines)
    assert "result: BREACH (1 breached, 1 warnings) exit code 3" in run.stderr


def test_request_errors_exit_1_with_the_reason_in_the_failures_csv(fresh_stack, env_file, run_locust):
    fresh_stack.api.fail_course_views = True
    fresh_stack.api.rename_course_list = True
    run = run_locust(*SHORT, "--env-file", str(env_file), "--pool-size", "2", "--slo", "p99<5s")

    assert run.returncode == 1, run.stderr[-3000:]
    with (run.report_dir / "load_failures.csv").open() as handle:
        reasons = {(row["Name"], row["Error"]) for row in csv.DictReader(handle)}
    assert ("/courses/[id]", "CatchResponseError('status 500, expected 200')") in reasons
    # Each user's first list gets the full check, later ones the structural one: both must catch it.
    assert ("/courses", "CatchResponseError(\"body has no non-empty 'courses' list\")") in reasons
    structural = "CatchResponseError('course list does not start with a course with id/code/title/price')"
    assert ("/courses", structural) in reasons


def test_an_abort_rule_stops_the_run_early_with_exit_3(fresh_stack, env_file, run_locust):
    fresh_stack.api.delay_s = 0.05
    started = time.monotonic()
    run = run_locust(
        "-u",
        "4",
        "-r",
        "4",
        "-t",
        "40s",
        "--env-file",
        str(env_file),
        "--pool-size",
        "2",
        "--slo",
        "p50<1ms abort",
        "--slo-abort-grace",
        "2",
    )
    elapsed = time.monotonic() - started

    assert run.returncode == 3, run.stderr[-3000:]
    assert elapsed < 20, f"the run should stop soon after the 2 s grace, took {elapsed:.0f} s"
    assert "SLO abort: all p50" in run.stderr and "aborted early" in run.stderr
    assert fresh_stack.pool_usernames() == []


def test_a_spike_shape_peaks_and_stops_itself(fresh_stack, env_file, run_locust):
    # The shape is under test, not latency: a rule on failures only, so a slow moment cannot breach.
    run = run_locust(
        "-u",
        "10",
        "-t",
        "8s",
        "--shape",
        "spike",
        "--env-file",
        str(env_file),
        "--pool-size",
        "2",
        "--slo",
        "fail_ratio<1%",
    )

    assert run.returncode == 0, run.stderr[-3000:]
    with (run.report_dir / "load_history.csv").open() as handle:
        users = [int(row["users"]) for row in csv.DictReader(handle)]
    assert max(users) == 10 and 2 in users, f"expected a base of 2 and a spike to 10, saw {users}"
    assert "Shape test completed" in run.stderr


def _bad_env(stack: Stack, path: Path, **kw: object) -> str:
    return str(stack.write_env(path, **kw))


BAD_INPUTS = {
    "missing env file": (lambda s, p: ["--env-file", str(p / "nope.toml")], "does not exist"),
    "env file not TOML": (lambda s, p: ["--env-file", str(_write(p / "bad.toml", "[env\nname="))], "is not valid TOML"),
    "unreachable API": (
        lambda s, p: ["--env-file", _bad_env(s, p / "e.toml", base_url=f"http://127.0.0.1:{free_port()}")],
        "cannot reach the API",
    ),
    "pool too large": (lambda s, p: ["--env-file", _bad_env(s, p / "e.toml"), "--pool-size", "5000"], "outside 1..500"),
    "threshold does not parse": (
        lambda s, p: ["--env-file", _bad_env(s, p / "e.toml"), "--slo", "p95 under 300"],
        "does not parse",
    ),
    "unknown metric": (
        lambda s, p: ["--env-file", _bad_env(s, p / "e.toml"), "--slo", "latency<300ms"],
        "unknown metric",
    ),
    "pool cannot be filled": (
        lambda s, p: ["--env-file", _bad_env(s, p / "e.toml", user_pool_id="us-east-1_doesnotexist")],
        "token pool could not be filled",
    ),
    "Cognito unreachable": (
        lambda s, p: ["--env-file", _bad_env(s, p / "e.toml", endpoint_url=f"http://127.0.0.1:{free_port()}")],
        "cannot reach Cognito",
    ),
    "protected env": (lambda s, p: ["--env-file", _bad_env(s, p / "e.toml", protected=True)], "is protected"),
    "unknown AWS profile": (
        lambda s, p: ["--env-file", _bad_env(s, p / "e.toml", profile="no-such-profile")],
        "(no-such-profile) could not be found: set [aws] profile",
    ),
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_input_is_one_line_before_any_user_spawns(case, fresh_stack, tmp_path, run_locust):
    make_args, expected = BAD_INPUTS[case]
    run = run_locust("-u", "2", "-t", "3s", *make_args(fresh_stack, tmp_path))

    assert run.returncode == 2, run.output[-2000:]
    errors = [line for line in run.stderr.splitlines() if "/ERROR/" in line]
    assert len(errors) == 1 and expected in errors[0], run.stderr[-2000:]
    assert "Traceback" not in run.output
    assert "Ramping to" not in run.output and "spawning" not in run.output.lower()
    assert sum(fresh_stack.api.requests.values()) == 0
    assert fresh_stack.pool_usernames() == [], "users created before the failure are deleted"


def test_protected_env_runs_with_allow_protected_and_warnings_alone_pass(fresh_stack, tmp_path, run_locust):
    env = fresh_stack.write_env(tmp_path / "prod.toml", protected=True)
    run = run_locust(
        "-u",
        "2",
        "-r",
        "2",
        "-t",
        "2s",
        "--env-file",
        str(env),
        "--pool-size",
        "1",
        "--allow-protected",
        "--slo",
        "rps>100000 warn",
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "result: PASS (0 breached, 1 warnings)" in run.stderr


def test_without_an_env_file_a_local_twin_is_started_and_stopped(run_locust):
    run = run_locust("-u", "3", "-r", "3", "-t", "3s", "--pool-size", "2", "--slo", "fail_ratio<1%")

    assert run.returncode == 0, run.stderr[-3000:]
    assert "SLO gate: env local-twin" in run.stderr
    ready = re.search(r"local twin ready: API (\S+) \(state (\S+)\)", run.stderr)
    assert ready, run.stderr[-3000:]
    api, state_dir = ready.groups()
    assert "local twin stopped" in run.stderr and not Path(state_dir).exists(), "twin down, state folder removed"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{api}/health", timeout=2)
