"""The final outputs keep a run's failures and exceptions but none of its tokens or passwords.

`write_reports` runs in a child process: importing Locust monkey-patches the process with gevent, which
breaks pytest's own process (ssl is already imported there).
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from jinja2.utils import htmlsafe_json_dumps

from fixtures.redaction import fingerprint, redact, register_secret
from fixtures.users import make_password
from tests.tokens import throwaway_jwt

pytestmark = pytest.mark.load

ROOT = Path(__file__).resolve().parents[2]
DATA_LINE = re.compile(r"^\s*window\.templateArgs = (.+)$", re.M)
CHILD = """
import os, sys
from pathlib import Path

from locust.env import Environment  # first, so Locust patches the process before anything imports ssl
from locust.exception import CatchResponseError
from locust.html import get_html_report

from fixtures.redaction import register_secret
from loadsuite.gate import Verdict
from loadsuite.reports import write_reports

token, password = os.environ["REPORT_TEST_TOKEN"], os.environ["REPORT_TEST_PASSWORD"]
register_secret(password)  # as the token pool does for every password it sets
environment = Environment()
environment.create_local_runner()
environment.events.request.fire(
    request_type="GET", name="/courses", response_time=12, response_length=0, context={}, response=None,
    exception=CatchResponseError(f"status 401, expected 200 (token {token} rejected)"),
)
try:
    raise RuntimeError(f"sign-in of e2e-load-0001 with {password} answered {token}")
except RuntimeError as exc:
    environment.events.user_error.fire(user_instance=None, exception=exc, tb=exc.__traceback__)
verdict = Verdict(checks=[], request_errors=2, notes=[f"setup note echoing {password}"])
write_reports(environment, verdict, [[1.0, 1, 1.0, 1.0, 12, 12]], Path(sys.argv[1]), "load")
Path(sys.argv[2]).write_text(get_html_report(environment, show_download_link=False), encoding="utf-8")
"""


@dataclass(frozen=True)
class Written:
    token: str
    password: str
    out_dir: Path
    unredacted_html: str

    def text(self, name: str) -> str:
        return (self.out_dir / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """Reports of a run with one failed request and one exception, both carrying a signed token and a password."""
    token = throwaway_jwt({"sub": "e2e-load-0001", "token_use": "access"})
    password = make_password() + "<&>"  # characters the report's HTML-safe JSON escapes
    for secret in (token, password):
        register_secret(secret)  # so the child's output below can be shown without them
    folder = tmp_path_factory.mktemp("reports")
    out_dir, unredacted = folder / "out", folder / "unredacted.html"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests" / "load")]),
        "REPORT_TEST_TOKEN": token,
        "REPORT_TEST_PASSWORD": password,
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(out_dir), str(unredacted)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, redact(done.stderr[-3000:])
    return Written(token, password, out_dir, unredacted.read_text(encoding="utf-8"))


def _forms(secret: str) -> set[str]:
    """How `secret` reads in each output: as is (CSV), JSON-escaped (JSON), HTML-safe JSON (the report's data)."""
    return {secret, json.dumps(secret)[1:-1], str(htmlsafe_json_dumps(secret))[1:-1]}


def test_no_output_holds_the_token_or_the_password(written: Written):
    names = sorted(p.name for p in written.out_dir.iterdir())
    assert names == [
        "load.html",
        "load_chart.png",
        "load_exceptions.csv",
        "load_failures.csv",
        "load_history.csv",
        "load_slo.json",
        "load_stats.csv",
    ]
    for name in names:
        text = (written.out_dir / name).read_bytes().decode("utf-8", errors="replace")
        for secret, kind in ((written.token, "token"), (written.password, "password")):
            assert not any(form in text for form in _forms(secret)), f"the {kind} appears in {name}"
    assert any(form in written.unredacted_html for form in _forms(written.password)), "Locust's own report leaks it"


def test_the_failure_and_the_exception_are_still_reported(written: Written):
    with (written.out_dir / "load_failures.csv").open(encoding="utf-8") as handle:
        failures = list(csv.DictReader(handle))
    assert [(f["Method"], f["Name"], f["Occurrences"]) for f in failures] == [("GET", "/courses", "1")]
    with (written.out_dir / "load_exceptions.csv").open(encoding="utf-8") as handle:
        exceptions = list(csv.DictReader(handle))
    assert [e["Count"] for e in exceptions] == ["1"]
    data = DATA_LINE.search(written.text("load.html"))
    assert data, "the HTML report has no data line"
    report = json.loads(data[1])
    assert [(f["name"], f["occurrences"]) for f in report["failures_statistics"]] == [("/courses", 1)]
    assert [e["count"] for e in report["exceptions_statistics"]] == [1]

    token = f"<jwt sha256:{fingerprint(written.token)}>"
    password = f"<secret sha256:{fingerprint(written.password)}>"
    expected = {
        "failures CSV": (failures[0]["Error"], f"status 401, expected 200 (token {token} rejected)"),
        "exceptions CSV": (exceptions[0]["Message"], f"sign-in of e2e-load-0001 with {password} answered {token}"),
        "HTML failures": (report["failures_statistics"][0]["error"], f"(token {token} rejected)"),
        "HTML exceptions": (report["exceptions_statistics"][0]["msg"], f"with {password} answered {token}"),
        "verdict JSON": (json.loads(written.text("load_slo.json"))["notes"][0], f"setup note echoing {password}"),
    }
    # Names only: on a failure these texts may hold the secrets, which pytest would print.
    missing = [where for where, (text, part) in expected.items() if part not in text]
    assert not missing, f"the message with its secrets replaced is missing from: {missing}"


def test_the_report_page_outside_its_data_is_locusts_own(written: Written):
    # Redacting the whole page would rewrite Locust's bundled script (it contains `password:!0`).
    html = written.text("load.html")
    assert DATA_LINE.sub("", html) == DATA_LINE.sub("", written.unredacted_html)
