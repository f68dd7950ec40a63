"""No leaked secrets: the whole e2e suite and a short load run write their usual artifacts (junit
with DEBUG logs of every test, Allure results, terminal output, Locust CSV/HTML/log) and the twin
writes its logs; none of it holds a signed JWT or any password or token the runs really used.

The runs' Cognito traffic goes through `WireProxy`, which keeps every credential that crossed the
wire (the harness's registered secrets and any it forgot to register); the twin's SQL passwords
come from its state folder. The scanner is proven on the same artifacts with planted secrets."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from reliability_runs import Twin, locust_cmd, pytest_cmd, run, write_env
from secret_scan import SIGNED_JWT_RE, scan
from wire_proxy import WireProxy


@dataclass
class Artifacts:
    roots: list[Path]
    reports: Path
    secrets: set[str] = field(repr=False)
    passwords: list[str] = field(repr=False)
    e2e_code: int
    load_code: int
    tail: str

    @property
    def tokens(self) -> list[str]:
        return sorted(s for s in self.secrets if SIGNED_JWT_RE.fullmatch(s.encode()))


def twin_passwords(twin: Twin) -> set[str]:
    found: set[str] = set()
    for path in (twin.layout.credentials, twin.layout.mssql_credentials):
        found |= {v for k, v in json.loads(path.read_text()).items() if k.endswith("password")}
    return found


@pytest.fixture(scope="module")
def artifacts(twin: Twin, tmp_path_factory: pytest.TempPathFactory) -> Artifacts:
    folder = tmp_path_factory.mktemp("secrets")
    reports = folder / "reports"
    proxy = WireProxy(twin.control_url).start()
    try:
        env = write_env(twin.env_file, folder / "env.toml", aws__endpoint_url=proxy.url)
        e2e = run(
            pytest_cmd("tests/e2e", "--env-file", str(env), "-n", "2", "-rA", "--log-level", "DEBUG",
                       "-o", "junit_logging=all", "--junitxml", str(reports / "junit.xml"),
                       "--alluredir", str(reports / "allure-results"), basetemp=folder / "basetemp"),
        )  # fmt: skip
        load_dir = reports / "load"
        # No latency gate: the machine is shared with other suites; what matters here is what is written.
        load = run(
            locust_cmd("--headless", "-u", "4", "-r", "4", "-t", "6s", "--env-file", str(env), "--pool-size", "2",
                       "--slo", "fail_ratio<1%",
                       "--report-dir", str(load_dir), "--logfile", str(load_dir / "locust.log"), "--loglevel", "DEBUG"),
            timeout=120,
        )  # fmt: skip
    finally:
        proxy.stop()
    for name, done in (("e2e", e2e), ("load", load)):
        (reports / f"{name}-stdout.txt").write_text(done.stdout)
        (reports / f"{name}-stderr.txt").write_text(done.stderr)
    return Artifacts(
        roots=[reports, folder / "basetemp", twin.layout.logs],
        reports=reports,
        secrets=set(proxy.secrets) | twin_passwords(twin),
        passwords=sorted(proxy.passwords() | twin_passwords(twin)),
        e2e_code=e2e.returncode,
        load_code=load.returncode,
        tail=e2e.stdout[-2000:] + load.stderr[-2000:],
    )


def test_the_runs_passed_and_used_real_credentials(artifacts: Artifacts) -> None:
    assert (artifacts.e2e_code, artifacts.load_code) == (0, 0), artifacts.tail
    # Counts only: an assertion message must never show a secret.
    tokens, passwords = len(artifacts.tokens), len(artifacts.passwords)
    assert tokens >= 10, "the runs signed in: their ID and access tokens crossed the wire"
    assert passwords >= 6, "test users' passwords, the DB secret and the twin's SQL logins"
    written = {p.name for root in artifacts.roots for p in root.rglob("*") if p.is_file()}
    expected = {"junit.xml", "e2e-stdout.txt", "load_stats.csv", "load.html", "locust.log", "gateway.log"}
    assert expected <= written, f"missing artifacts: {expected - written}"
    assert any(name.endswith("-attachment.txt") for name in written), "Allure attachments of the exchanges"


def test_the_scanner_finds_a_planted_token_and_password(artifacts: Artifacts, tmp_path: Path) -> None:
    copy = tmp_path / "reports"
    shutil.copytree(artifacts.reports, copy)
    token, password = artifacts.tokens[0], artifacts.passwords[0]
    attachment = next(copy.glob("allure-results/*-attachment.txt"))
    attachment.write_text(attachment.read_text() + f"\nAuthorization: Bearer {token}\n")
    junit = copy / "junit.xml"
    junit.write_text(junit.read_text().replace("</testsuites>", f"<!-- {json.dumps({'p': password})} --></testsuites>"))

    hits, _ = scan([copy], artifacts.secrets)

    assert {(h.path, h.kind) for h in hits} == {
        (attachment, "signed JWT"),
        (attachment, "run secret"),
        (junit, "run secret"),
    }, [str(h) for h in hits]


def test_no_artifact_holds_a_signed_jwt_or_a_password_of_the_run(artifacts: Artifacts) -> None:
    hits, searched = scan(artifacts.roots, artifacts.secrets)
    assert searched >= 50, f"only {searched} files searched"
    assert hits == [], "\n".join(str(h) for h in hits)
