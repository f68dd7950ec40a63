"""Distributed mode: one master (the only Cognito client) and two worker processes on loopback, started
by hand or forked by --processes."""

from __future__ import annotations

import re
import subprocess

import pytest
from locust_runs import RUN_CEILING_S, locust_cmd, locust_env
from loopback_stack import assert_no_secrets, free_port

pytestmark = pytest.mark.load


def test_master_mints_and_refreshes_and_each_worker_gets_its_own_users(fresh_stack, env_file, tmp_path):
    port = free_port()
    report_dir = tmp_path / "reports"
    master = subprocess.Popen(
        locust_cmd(
            "--master",
            "--headless",
            "--expect-workers",
            "2",
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(port),
            "-u",
            "6",
            "-r",
            "6",
            "-t",
            "11s",
            "--env-file",
            str(env_file),
            "--pool-size",
            "4",
            "--token-refresh-fraction",
            "0.0015",
            "--report-dir",
            str(report_dir),
        ),
        env=locust_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Workers get no env file and no AWS endpoint: they can only use what the master sends them.
    workers = [
        subprocess.Popen(
            locust_cmd("--worker", "--master-host", "127.0.0.1", "--master-port", str(port)),
            env=locust_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        m_out, m_err = master.communicate(timeout=RUN_CEILING_S)
        w_outs = [w.communicate(timeout=RUN_CEILING_S) for w in workers]
    finally:
        for proc in (master, *workers):
            if proc.poll() is None:
                proc.kill()

    assert master.returncode == 0, m_err[-3000:]
    assert [w.returncode for w in workers] == [0, 0], [e[-1500:] for _, e in w_outs]
    probes = {p: subs for p, subs in fresh_stack.api.subs_by_probe.items() if p}
    assert len(probes) == 2 and all(re.fullmatch(r"load[0-9a-f]{6}-w[01]", p) for p in probes), probes
    first, second = probes.values()
    assert first and second and not first & second, "each worker uses its own users"
    assert len(first | second) == 4

    summary = re.search(r"(\d+) refresh rounds", m_err)
    assert summary, m_err[-3000:]
    rounds = int(summary[1])
    assert rounds >= 1, "tokens were refreshed during the run"
    calls = fresh_stack.cognito.calls
    assert calls["AdminInitiateAuth"] == 4, "one sign-in per pool user, from the master only"
    assert calls["InitiateAuth"] == 4 * rounds, "refreshes: the whole pool once per round, nothing else"
    assert len(fresh_stack.api.tokens_seen) >= 8, "workers switched to the refreshed tokens"
    assert fresh_stack.api.rejected == 0
    assert fresh_stack.pool_usernames() == []
    outputs = {"master stdout": m_out, "master stderr": m_err}
    outputs.update({f"worker {i}": out + err for i, (out, err) in enumerate(w_outs)})
    outputs.update({p.name: p.read_text(errors="replace") for p in report_dir.glob("*") if p.suffix != ".png"})
    assert_no_secrets(fresh_stack, outputs)


def test_processes_forks_workers_that_get_distinct_users_from_the_master(fresh_stack, env_file, run_locust):
    # Locust's --processes: the same master/worker split, with the workers forked from one command.
    run = run_locust("--processes", "2", "-u", "6", "-r", "6", "-t", "4s", "--env-file", str(env_file),
                     "--pool-size", "4")  # fmt: skip

    assert run.returncode == 0, run.stderr[-3000:]
    probes = {p: subs for p, subs in fresh_stack.api.subs_by_probe.items() if p}
    assert len(probes) == 2, probes
    first, second = probes.values()
    assert first and second and not first & second, "each forked worker uses its own users"
    assert fresh_stack.cognito.calls["AdminInitiateAuth"] == 4, "one sign-in per pool user, from the master only"
    assert fresh_stack.pool_usernames() == []
    assert_no_secrets(fresh_stack, {"stdout": run.stdout, "stderr": run.stderr, **run.report_texts()})
