"""The Locust web UI in headless Chromium against a local twin: a swarm started from the form with the suite's
arguments, requests counted on the page, stopped with the page's Stop button, screenshots for the report.

Every wait is for an exact state of the page and has a ceiling (CEILING_S) far above what a loaded 2-core
machine needs; the form's run time (20 min) keeps the step shape in its first quarter (5 min) for the
whole test, so what the page shows does not depend on how fast the machine is."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import allure
import pytest
import requests
from loadsuite.twin import Twin
from locust_runs import locust_cmd, locust_env
from loopback_stack import JWT_SHAPE, free_port

from fixtures.aws import make_client_factory, make_session
from fixtures.config import EnvConfig, load_config
from fixtures.users import PREFIX

pytestmark = [pytest.mark.load, pytest.mark.browser, pytest.mark.timeout(900)]
CEILING_S = 120

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
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


@pytest.fixture
def twin() -> Iterator[EnvConfig]:
    """A twin of its own (the suite's `twin up --detach` wrapper), so its pool can be read after Locust quits."""
    target = Twin()
    try:
        yield load_config(target.start())
    finally:
        target.stop()


def _harness_users(idp: Any, cfg: EnvConfig) -> list[str]:
    names = [u["Username"] for u in idp.list_users(UserPoolId=cfg.cognito.user_pool_id)["Users"]]
    return [n for n in names if n.startswith(PREFIX)]


def _header(page: Any, label: str) -> str:
    """A value of the page's top bar (Status, Users, ...), as displayed."""
    return page.locator(f"xpath=//p[normalize-space()='{label}']/following-sibling::span[1]").inner_text().strip()


def _requests_on_page(page: Any) -> int:
    """'# Requests' of the statistics table's Aggregated row, read from the rendered page."""
    headers = [" ".join(t.split()) for t in page.locator("table thead th").all_inner_texts()]
    row = page.locator("table tbody tr", has=page.locator("td", has_text=re.compile(r"^Aggregated$")))
    if not row.count():
        return 0
    return int(row.first.locator("td").nth(headers.index("# Requests")).inner_text().replace(",", ""))


def _screenshot(page: Any, path: Path, name: str) -> bytes:
    shot = page.screenshot(path=str(path), full_page=True)
    allure.attach(shot, name=name, attachment_type=allure.attachment_type.PNG)
    return shot


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (never downloaded)")
def test_swarm_from_the_web_form_counts_requests_and_stops(twin, tmp_path):
    from playwright.sync_api import sync_playwright

    idp = make_client_factory(twin, make_session(twin))("cognito-idp")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "locust.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            locust_cmd(
                "--web-host",
                "127.0.0.1",
                "--web-port",
                str(port),
                "--env-file",
                twin.source,
                "--pool-size",
                "2",
                "--report-dir",
                str(tmp_path / "reports"),
            ),
            env=locust_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until(lambda: _reachable(url), CEILING_S, "the web UI")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.set_default_timeout(CEILING_S * 1000)
                page.goto(url)
                page.fill("input[name=userCount]", "8")
                page.fill("input[name=spawnRate]", "8")
                page.get_by_role("button", name="Custom parameters").click()
                page.fill("input[name=poolSize]", "3")
                page.select_option("select[name=shape]", "step")
                page.fill("input[name=slo]", "p95<10s, requests>=1, GET /courses p99<10s")
                page.get_by_text("Advanced options").click()
                page.fill("input[name=runTime]", "20m")
                page.get_by_role("button", name="Start").click()

                _wait_until(lambda: _requests_on_page(page) >= 10, CEILING_S, "requests counted on the page")
                # step: a quarter of the form's 8 users in the first quarter (constant would run all 8)
                assert _header(page, "Users") == "2", "the form's shape was applied"
                assert len(_harness_users(idp, twin)) == 3, "the form's pool size was applied"
                page.get_by_text("/courses/[id]").first.wait_for(timeout=CEILING_S * 1000)
                running = _screenshot(page, tmp_path / "webui-running.png", "Locust web UI during the swarm")

                page.get_by_role("button", name="Stop").click()
                _wait_until(lambda: _header(page, "Status").lower() == "stopped", CEILING_S, "the page to show stopped")
                final = requests.get(f"{url}/stats/requests", timeout=30).json()
                assert final["state"] == "stopped"
                _wait_until(
                    lambda: _requests_on_page(page) == final["stats"][-1]["num_requests"],
                    CEILING_S,
                    "the page to show the final count",
                )
                _screenshot(page, tmp_path / "webui-stopped.png", "Locust web UI after Stop")
                page.get_by_role("tab", name="Logs").click()
                page.get_by_text("token pool ready").first.wait_for(timeout=CEILING_S * 1000)
                page_text = page.content()
            finally:
                browser.close()
        proc.send_signal(signal.SIGINT)  # Ctrl+C, how a person quits the web UI
        assert proc.wait(timeout=CEILING_S) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    output = log_path.read_text()
    assert "Traceback" not in output, output[-3000:]
    assert running[:8] == b"\x89PNG\r\n\x1a\n"
    assert "GET /courses  p99" in output and "result: PASS" in output, "the form's SLO rules were applied"
    assert _harness_users(idp, twin) == [], "the run's users are deleted when the web UI process ends"
    assert idp.list_groups(UserPoolId=twin.cognito.user_pool_id)["Groups"] == [], "and its lease"
    reports = {p.name: p.read_text(errors="replace") for p in (tmp_path / "reports").glob("*") if p.suffix != ".png"}
    assert "load.html" in reports
    for name, text in {"locust output": output, "web UI log view": page_text, **reports}.items():
        assert not JWT_SHAPE.search(text), f"a JWT-shaped string appears in {name}"
