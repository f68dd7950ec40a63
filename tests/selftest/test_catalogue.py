"""The fault catalogue itself: its shape, every fault applied and exactly reverted on a real twin
(through the JSON record the CLI keeps), and the CLI's answers to good and bad input."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.areas import VERDICT_AREAS
from fixtures.local_twin import LaunchedTwin as Twin
from fixtures.local_twin import launched_twin
from tests.selftest.known_gaps import TWIN_GAPS
from tests.selftest.twins import ROOT, fault_context
from twin.faults import FaultContext, FaultError, Revert, catalogue
from twin.faults.undo import Undo

pytestmark = pytest.mark.selftest
NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")
# Each item of the list, as the faults that cover it.
REQUIRED = {
    "authorizer issuer": "authorizer-issuer-foreign-pool", "issuer trailing slash": "authorizer-issuer-trailing-slash",
    "audience": "authorizer-audience-wrong-client", "audience widened": "authorizer-audience-widened",
    "identity source": "authorizer-identity-source-changed", "route loses authorizer": "route-loses-authorizer",
    "new unprotected route": "unprotected-route-added", "scopes": "route-requires-unobtainable-scope",
    "ANY /{proxy+} swallowing preflights": "proxy-route-swallows-preflight",
    "$default without auth": "default-route-without-auth",
    "cors origins": "cors-http-origin-added", "cors methods": "cors-methods-widened",
    "cors headers": "cors-headers-wildcard", "cors credentials": "cors-credentials-enabled",
    "cors wildcard": "cors-wildcard-origin", "permission missing": "permission-removed",
    "permission too broad": "permission-without-source-arn", "permission wrong API": "permission-other-api",
    "permission public": "permission-public-principal", "bad credentials in secret": "db-secret-wrong-password",
    "secret wrong database": "db-secret-wrong-database", "missing data": "canary-course-deleted",
    "changed data": "canary-course-unpublished", "broken query deploy": "deploy-broken-course-query",
    "deploy ignores exam ownership": "deploy-ignores-exam-ownership", "public IP": "db-public-ip",
    "open security group": "db-sg-sql-open-to-internet", "internet route": "db-subnet-internet-route",
    "client secret on SPA client": "spa-client-secret", "implicit grant": "spa-implicit-grant",
    "guest access": "identity-guest-access", "loose trust policy": "identity-auth-trust-unbound",
}  # fmt: skip


def test_catalogue_shape() -> None:
    faults = catalogue()
    assert len(faults) >= 25
    for name, fault in faults.items():
        assert NAME.match(name), f"{name}: names are kebab-case"
        assert fault.name == name
        assert fault.areas and fault.areas <= set(VERDICT_AREAS), f"{name}: areas {fault.areas}"
        assert not fault.areas & fault.collateral, f"{name}: an area is both required and collateral"
        assert fault.story.endswith(".") and "\n" not in fault.story and len(fault.story) > 40, f"{name}: story"
    assert {a for f in faults.values() for a in f.areas} == set(VERDICT_AREAS), "every e2e area has faults"
    missing = {item: name for item, name in REQUIRED.items() if name not in faults}
    assert not missing, f"the issue's list is not covered: {missing}"


@pytest.fixture(scope="module")
def twin() -> Iterator[Twin]:
    # Not in pytest's temp folder: other pytest runs on the machine prune those while we run.
    with tempfile.TemporaryDirectory(prefix="selftest-faults-") as folder, launched_twin(Path(folder)) as twin:
        yield twin


@pytest.fixture(scope="module")
def ctx(twin: Twin) -> Iterator[FaultContext]:
    context = fault_context(twin)
    yield context
    context.close()


def fault_params() -> list[object]:
    return [
        pytest.param(n, marks=[pytest.mark.xfail(strict=True, reason=TWIN_GAPS[n])] if n in TWIN_GAPS else [])
        for n in catalogue()
    ]


@pytest.mark.parametrize("name", fault_params())
def test_apply_then_revert_restores_exactly(name: str, ctx: FaultContext) -> None:
    """apply() checks the change is visible; the revert, rebuilt from its JSON record as the CLI
    does, checks everything the fault observes reads as before."""
    fault = catalogue()[name]
    try:
        revert = fault.apply(ctx)
    except FaultError as exc:
        pytest.fail(str(exc), pytrace=False)
    record = json.loads(json.dumps(revert.to_json()))
    try:
        Revert.from_json(fault, record)(ctx)
    except FaultError as exc:
        pytest.fail(str(exc), pytrace=False)


def test_revert_reports_what_it_could_not_restore(ctx: FaultContext) -> None:
    """A revert whose undo log lost a step names the path that still differs, and no value."""
    fault = catalogue()["cors-max-age-raised"]
    revert = fault.apply(ctx)
    lost = revert.undo.steps.pop()
    with pytest.raises(FaultError, match=r"not restored: \$\.MaxAge"):
        revert(ctx)
    revert.undo.steps.append(lost)
    revert(ctx)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "twin.faults", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_cli_list_names_every_fault() -> None:
    result = cli("list")
    assert result.returncode == 0
    assert {line.split()[0] for line in result.stdout.splitlines()} == set(catalogue())


def test_cli_apply_and_revert(twin: Twin) -> None:
    where = ["--env-file", str(twin.env_file), "--state-dir", str(twin.state_dir)]
    applied = cli("apply", "db-secret-wrong-password", *where)
    assert applied.returncode == 0, applied.stderr
    record = twin.layout.fault_record("db-secret-wrong-password")
    assert stat.S_IMODE(record.stat().st_mode) == 0o600  # holds the secret's previous value
    again = cli("apply", "db-secret-wrong-password", *where)
    assert again.returncode == 1 and "already applied" in again.stderr
    reverted = cli("revert", "db-secret-wrong-password", *where)
    assert reverted.returncode == 0, reverted.stderr
    assert not record.exists()
    password = json.loads(twin.layout.credentials.read_text())["app_password"]
    assert password not in applied.stdout + applied.stderr + reverted.stdout + reverted.stderr


def test_cli_prints_the_suites_env_overrides_and_clears_them(twin: Twin, ctx: FaultContext) -> None:
    """spa-client-secret recreates the web client with a secret: `apply` prints the pipeline's new
    client id as one export line, the env file itself is untouched, and `revert` unsets it."""
    where = ["--env-file", str(twin.env_file), "--state-dir", str(twin.state_dir)]
    env_text = twin.env_file.read_text()
    applied = cli("apply", "spa-client-secret", *where)
    assert applied.returncode == 0, applied.stderr
    exports = [line for line in applied.stdout.splitlines() if line.startswith("export ")]
    assert len(exports) == 1 and re.fullmatch(r"export E2E_COGNITO__CLIENT_ID=\w+", exports[0]), applied.stdout
    new_id = exports[0].split("=", 1)[1]
    idp = ctx.client("cognito-idp")
    try:
        secret = idp.describe_user_pool_client(UserPoolId=ctx.target.user_pool_id, ClientId=new_id)["UserPoolClient"][
            "ClientSecret"
        ]
        assert secret not in applied.stdout + applied.stderr
        assert secret not in twin.layout.fault_record("spa-client-secret").read_text()
        assert twin.env_file.read_text() == env_text  # the override is the pipeline's, not the env file's
    finally:
        reverted = cli("revert", "spa-client-secret", *where)
    assert reverted.returncode == 0, reverted.stderr
    assert reverted.stdout.splitlines()[-1] == "unset E2E_COGNITO__CLIENT_ID"
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.describe_user_pool_client(UserPoolId=ctx.target.user_pool_id, ClientId=new_id)


class NoContext:
    """A replay context for an undo with no steps: nothing may be asked of it."""

    def client(self, service: str) -> object:
        raise AssertionError(f"no step should need a {service} client")

    def sql_execute(self, statement: str, params: tuple[object, ...]) -> None:
        raise AssertionError(f"no step should run {statement}")


def test_suite_env_overrides_stay_in_the_harness_namespace() -> None:
    undo = Undo()
    for name, value in (("PATH", "/tmp"), ("E2E_COGNITO_CLIENT_ID", "x"), ("E2E_COGNITO__CLIENT_ID", "a\nb")):
        with pytest.raises(ValueError, match="E2E_<SECTION>__<KEY>"):
            undo.suite_env(name, value)
    undo.suite_env("E2E_COGNITO__CLIENT_ID", "abc")
    assert undo.replay(ctx=NoContext()) == [] and undo.env == {}


@pytest.mark.parametrize(("args", "code", "text"), [
    (["apply", "no-such-fault", "--env-file", "x", "--state-dir", "y"], 2, "no fault named"),
    (["apply", "cors-wildcard-origin", "--env-file", "/nonexistent.toml", "--state-dir", "y"], 1, "cannot read"),
    (["revert", "cors-wildcard-origin"], 2, "required"),
    (["frobnicate"], 2, "invalid choice"),
])  # fmt: skip
def test_cli_bad_input_is_one_line(args: list[str], code: int, text: str) -> None:
    result = cli(*args)
    assert result.returncode == code
    assert text in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_faults_refuse_a_real_deployment(tmp_path: Path) -> None:
    env = tmp_path / "aws.toml"
    env.write_text('[env]\nname = "prod"\nprotected = false\n[aws]\nregion = "us-east-1"\n')
    result = cli("apply", "cors-wildcard-origin", "--env-file", str(env), "--state-dir", str(tmp_path))
    assert result.returncode == 1 and "twin only" in result.stderr


@pytest.mark.parametrize(
    "first", ["from twin.faults import catalogue; catalogue()", "import twin.faults.catalogue.cognito"]
)
def test_catalogue_stays_a_function_whatever_was_imported_first(first: str) -> None:
    """The registry function and the package of faults share a name; importing the package must not replace
    the function (a test that imported a fault module first got a module back from `twin.faults`)."""
    code = f"{first}\nfrom twin.faults import catalogue\nassert callable(catalogue), catalogue\nprint(len(catalogue()))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) >= 25
