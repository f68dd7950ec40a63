"""The README's "Use the harness from your own repository", done in a scratch folder outside the checkout.

The project is pip-installed from a copy of its files into a fresh venv that sees .venv's packages through a
.pth line (no download: the machine reaches only package registries). A `.pth` line only adds the folder,
so .venv's editable finder for the checkout stays off and `fixtures` can come only from the wheel. Then,
against a twin started from the installed `twin` package: a team's own test with a conftest.py override of
`api_client_headers` under plain pytest, and the shipped e2e suite through `stackcheck-e2e` with a
PYTEST_PLUGINS override module; both must pass with the plugin loaded from the venv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Every area but the authorizer (half the suite, the slowest part): users, tokens, CORS, the database, the network.
SUITE_SELECTION = "not authorizer"
TEAM_CONFTEST = """
import pytest

@pytest.fixture(scope="session")
def api_client_headers():
    return {"x-team": "payments"}

@pytest.fixture(scope="session")
def botocore_config_args():
    return {"user_agent_extra": "team-payments"}
"""
TEAM_INI = "[pytest]\nenv_file = env/staging.toml\n"
TEAM_TEST = """
import os
from pathlib import Path

def test_health_from_the_installed_harness(api_client, aws_client, env_config, pytestconfig):
    plugin = Path(pytestconfig.pluginmanager.get_plugin("fixtures.pytest_plugin").__file__)
    assert plugin.is_relative_to(os.environ["SCRATCH_VENV"]), plugin
    assert pytestconfig.getoption("env_file") == str(Path.cwd() / "env" / "staging.toml")
    answer = api_client.request("GET", "/health")
    assert answer.status_code == 200
    assert answer.request.headers["x-team"] == "payments"
    assert "team-payments" in aws_client("cognito-idp").meta.config.user_agent_extra
    assert aws_client("cognito-idp").describe_user_pool(UserPoolId=env_config.cognito.user_pool_id)
"""
# Loaded with PYTEST_PLUGINS (after the harness's entry point, so its fixture wins); each process records
# where the plugin and the suite came from and the headers the API client got.
SUITE_OVERRIDES = """
import json
import os
from pathlib import Path

import pytest

import fixtures.pytest_plugin

@pytest.fixture(scope="session")
def api_client_headers():
    return {"x-team": "payments"}

@pytest.fixture(scope="session", autouse=True)
def _record(api_client, pytestconfig):
    record = {"plugin": fixtures.pytest_plugin.__file__, "rootdir": str(pytestconfig.rootpath),
              "headers": api_client.default_headers}
    Path(os.environ["RECORD_DIR"], f"{os.getpid()}.json").write_text(json.dumps(record))
"""


def run(cmd: list[str], cwd: Path, timeout: float, **env: str) -> subprocess.CompletedProcess[str]:
    child_env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "E2E_", "VIRTUAL_ENV"))}
    result = subprocess.run(cmd, cwd=cwd, env=child_env | env, capture_output=True, text=True, timeout=timeout,
                            check=False)  # fmt: skip
    output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert result.returncode == 0, f"{' '.join(cmd)} exited {result.returncode}:\n{output}"
    return result


def copy_sources(dest: Path) -> None:
    """What a git URL install would get of the shipped parts (tracked and new, not ignored files)."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "pyproject.toml", "setup.py", "fixtures", "twin", "tests/e2e"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    for name in listed.stdout.splitlines():
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("installed")
    src, venv = base / "src", base / "venv"
    copy_sources(src)
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base, 60)
    python = venv / "bin" / "python"
    purelib = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], base, 30)
    Path(purelib.stdout.strip(), "stackcheck-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # The README's `pip install /path/to/stackcheck`; --no-build-isolation: the dev extra's pinned setuptools
    # builds it without a download, --ignore-installed: .venv's editable install of the checkout is not this one.
    run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--ignore-installed",
         str(src)], base, 180)  # fmt: skip
    return venv


@pytest.fixture(scope="module")
def twin_env(venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    work = tmp_path_factory.mktemp("twin")
    env_file, state = work / "staging.toml", work / "state"
    python = str(venv / "bin" / "python")
    try:
        run([python, "-m", "twin", "up", "--detach", "--env-out", str(env_file), "--state-dir", str(state)], work, 180)
        yield env_file
    finally:
        subprocess.run([python, "-m", "twin", "down", "--state-dir", str(state)], cwd=work, capture_output=True,
                       timeout=60, check=False)  # fmt: skip


def test_the_wheel_ships_every_module_and_data_file(venv: Path) -> None:
    """Every file of fixtures/ and twin/ the checkout tracks, and the suite, are in the installed package."""
    purelib = Path(next((venv / "lib").glob("python3*/site-packages")))
    tracked = subprocess.run(["git", "ls-files", "fixtures", "twin", "tests/e2e"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()  # fmt: skip
    installed = {str(p.relative_to(purelib)) for p in purelib.rglob("*") if p.is_file()}
    expected = {name.replace("tests/e2e/", "fixtures/_suite/tests/e2e/", 1) for name in tracked}
    assert not expected - installed, sorted(expected - installed)
    assert not Path(purelib, "tests").exists(), "no top-level tests package may be installed"


def test_a_team_repository_runs_its_own_tests_and_the_shipped_suite(venv: Path, twin_env: Path, tmp_path: Path) -> None:
    team = tmp_path / "team-repo"
    (team / "env").mkdir(parents=True)
    shutil.copy(twin_env, team / "env" / "staging.toml")
    (team / "pytest.ini").write_text(TEAM_INI)
    (team / "conftest.py").write_text(TEAM_CONFTEST)
    (team / "test_team.py").write_text(TEAM_TEST)
    (team / "tests").mkdir()
    (team / "tests" / "__init__.py").write_text("")  # the team's own tests package must not hide the suite's
    python = str(venv / "bin" / "python")
    # The env file from the ini key. -p no:locust: only because this venv sees .venv's dev packages.
    own = run([python, "-m", "pytest", "-p", "no:locust", "-p", "no:cacheprovider", "-q"], team, 120,
              SCRATCH_VENV=str(venv))  # fmt: skip
    assert "1 passed" in own.stdout, own.stdout

    overrides, records = tmp_path / "overrides", tmp_path / "records"
    overrides.mkdir()
    records.mkdir()
    (overrides / "team_overrides.py").write_text(SUITE_OVERRIDES)
    suite = run([str(venv / "bin" / "stackcheck-e2e"), "--env-file", str(twin_env), "-n", "2", "-q",
                 "-m", SUITE_SELECTION], team, 240, PYTHONPATH=str(overrides), PYTEST_PLUGINS="team_overrides",
                RECORD_DIR=str(records))  # fmt: skip
    assert " passed" in suite.stdout and "failed" not in suite.stdout, suite.stdout
    seen = [json.loads(p.read_text()) for p in records.glob("*.json")]
    assert seen, "no process of the suite recorded its plugin"
    for record in seen:
        assert Path(record["plugin"]).is_relative_to(venv), record
        assert Path(record["rootdir"]).is_relative_to(venv) and record["rootdir"].endswith("fixtures/_suite"), record
        assert record["headers"] == {"x-team": "payments"}, record
