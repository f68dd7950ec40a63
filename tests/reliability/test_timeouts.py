"""Every HTTP and AWS call has a timeout, and no test can hang: a static check of every network call
in the harness and the suites, the timeouts at work against an endpoint that never answers, and the
suite-wide per-test timeout stopping a test that sleeps forever."""

from __future__ import annotations

import ast
import configparser
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ReadTimeoutError
from reliability_runs import ROOT, run

import fixtures.aws
from fixtures.api import ApiClient
from fixtures.aws import make_client_factory, make_session
from fixtures.config import load_config

LOAD = ROOT / "tests" / "load"
CHECKED = [ROOT / "fixtures", ROOT / "tests" / "e2e", LOAD / "loadsuite", LOAD / "locustfile.py"]
HTTP_VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "request"}
# call (as written) -> keyword arguments it must carry
NEEDS = {"pytds.connect": {"timeout", "login_timeout"}, "socket.create_connection": {"timeout"}, "goto": {"timeout"}}


def python_files() -> Iterator[Path]:
    for root in CHECKED:
        yield from [root] if root.is_file() else sorted(root.rglob("*.py"))


def dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return "?"


def problems_in(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func)
        keywords = {k.arg for k in node.keywords}
        where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{node.lineno} {name}(...)"
        parts = name.split(".")
        http = parts[-1] in HTTP_VERBS and ("requests" in parts[:-1] or "session" in parts[:-1])
        if http and "timeout" not in keywords:
            yield f"{where} has no timeout"
        for call, needed in NEEDS.items():
            if (name == call or parts[-1] == call) and needed - keywords and len(node.args) < 2:
                yield f"{where} lacks {sorted(needed - keywords)}"
        aws = name in {"boto3.client", "boto3.resource"} or (parts[-1] == "client" and "session" in parts[:-1])
        if aws and path != ROOT / "fixtures" / "aws.py":
            yield f"{where}: AWS clients come from fixtures.aws.make_client_factory (timeouts, retries)"


def test_every_network_call_of_the_harness_and_suites_has_a_timeout() -> None:
    files = list(python_files())
    assert len(files) > 30
    problems = [p for path in files for p in problems_in(path)]
    assert problems == []


def test_the_static_check_catches_a_call_without_timeout(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import requests, boto3\nrequests.get('http://127.0.0.1:1')\nboto3.client('sts')\n")
    good = tmp_path / "good.py"
    good.write_text("import requests\nrequests.get('http://127.0.0.1:1', timeout=3)\n")
    assert len(list(problems_in(bad))) == 2
    assert list(problems_in(good)) == []


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def test_an_api_call_to_an_endpoint_that_never_answers_times_out(black_hole: str) -> None:
    client = ApiClient(black_hole)
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        client.request("GET", "/health", timeout=1)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("service", ["sts", "cognito-idp"], ids=["botocore-retried", "harness-retried"])
def test_an_aws_call_to_an_endpoint_that_never_answers_ends_within_its_budget(
    service: str, black_hole: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The factory's read timeout, shortened so the test is quick; the retry budgets are the real ones.
    monkeypatch.setattr(fixtures.aws, "READ_TIMEOUT", 1)
    config = load_config(ROOT / "env" / "example.toml", environ={"E2E_AWS__ENDPOINT_URL": black_hole})
    client = make_client_factory(config, make_session(config))(service)
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        if service == "sts":
            client.get_caller_identity()
        else:
            client.describe_user_pool(UserPoolId=config.cognito.user_pool_id)
    assert time.monotonic() - started < 35, "the retry budget (30 s) bounds even a hanging endpoint"


def test_a_test_that_hangs_is_stopped_by_the_suite_timeout(tmp_path: Path) -> None:
    ini = configparser.ConfigParser()
    ini.read(ROOT / "pytest.ini")
    assert 0 < float(ini["pytest"]["timeout"]) <= 600, "pytest.ini bounds every test"
    hanging = tmp_path / "test_hang.py"
    hanging.write_text("import time\n\ndef test_forever():\n    time.sleep(600)\n")
    started = time.monotonic()
    done = run([sys.executable, "-m", "pytest", "-c", str(ROOT / "pytest.ini"), "--rootdir", str(ROOT),
                "-p", "no:cacheprovider", "-o", "timeout=2", str(hanging)], timeout=60)  # fmt: skip
    assert done.returncode == 1, done.stdout[-2000:]
    assert "Timeout" in done.stdout
    assert time.monotonic() - started < 30
