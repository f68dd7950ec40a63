"""The Locust web UI in headless Chromium: a swarm started from the form with the suite's arguments."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import allure
import pytest
import requests
from locust_runs import locust_cmd, locust_env
from loopback_stack import assert_no_secrets, free_port

pytestmark = [pytest.mark.load, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


def _wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _reachable(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (never downloaded)")
def test_swarm_from_the_web_form_counts_requests_and_stops(fresh_stack, env_file, tmp_path):
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "locust.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            locust_cmd(
                "--web-host", "127.0.0.1", "--web-port", str(port), "--env-file", str(env_file),
                "--pool-size", "2", "--report-dir", str(tmp_path / "reports"),
            ),
            env=locust_env(), stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        _wait_until(lambda: _reachable(url), 30, "the web UI")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(url)
                page.fill("input[name=userCount]", "3")
                page.fill("input[name=spawnRate]", "3")
                page.get_by_role("button", name="Custom parameters").click()
                page.fill("input[name=poolSize]", "3")
                page.fill("input[name=slo]", "p95<5s, requests>=1, GET /courses p99<5s")
                page.get_by_role("button", name="Start").click()

                def counted() -> int:
                    return requests.get(f"{url}/stats/requests", timeout=2).json()["stats"][-1]["num_requests"]

                _wait_until(lambda: counted() >= 10, 30, "requests counted by the UI")
                page.get_by_text("/courses/[id]").first.wait_for(timeout=10_000)
                shot = page.screenshot(full_page=True)
                allure.attach(shot, name="Locust web UI during the swarm", attachment_type=allure.attachment_type.PNG)
            finally:
                browser.close()
        assert requests.post(f"{url}/stop", timeout=5).ok
        _wait_until(
            lambda: requests.get(f"{url}/stats/requests", timeout=2).json()["state"] == "stopped", 15, "stopped"
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    output = log_path.read_text()
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    assert fresh_stack.cognito.calls["AdminCreateUser"] == 3, "the form's pool size was applied"
    assert len(set().union(*fresh_stack.api.subs_by_probe.values())) == 3
    assert "GET /courses  p99" in output and "result: PASS" in output, "the form's SLO rules were applied"
    assert fresh_stack.pool_usernames() == []
    assert_no_secrets(fresh_stack, {"locust output": output})
