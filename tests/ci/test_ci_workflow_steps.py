"""The templates' own steps, run here against a twin: the issue's "Done when" for the templates.

Why run them and not a copy of their commands: the test reads the `run:` scripts of the steps marked `suite`,
`report`, `summary` and `verdict` out of ci/github/stackcheck-e2e.yml and runs each as Actions runs it (`shell:
bash` is `bash --noprofile --norc -eo pipefail {0}`), in order, in a scratch workspace, with the job's and the
step's `env:` (their `${{ }}` expressions evaluated from the workflow's inputs and the earlier steps'
$GITHUB_OUTPUT), a fake $GITHUB_STEP_SUMMARY, and the CI variables the harness reads. An edit to those steps is
what this test runs next time. What cannot run here is left out: checkout, setup-*, the pip and npm installs
(the checkout's .venv and .tools hold the same packages: ALLURE is pointed at .tools), the OIDC role (the twin's
env file carries its own credentials) and the actions/cache and upload-artifact steps. The GitLab job's `script`
and `after_script` run the same way (each in a shell of its own, as the runner runs them), with the job's
variables; its `before_script` (apt-get, pip and npm installs, the ID token's file) is what cannot run here.

The twin is started by the project's launcher (`python -m twin up --detach --env-out ... --state-dir ...` in a
temporary folder) and stopped by it at the end.
"""

from __future__ import annotations

import os
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from fixtures.local_twin import child_env, launched_twin
from tests.ci.ci_templates import BIN, GITLAB, GITLAB_JOB, ROOT, WORKFLOW, load_yaml

STEP_IDS = ("suite", "report", "summary", "verdict")
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]  # Actions' `shell: bash`
CHECKOUT_ALLURE = ROOT / ".tools" / "node_modules" / ".bin" / "allure"  # make setup's allure-commandline@2.46.1
INPUTS = {"workers": "2"}  # and env-file: the twin's
# What Actions sets and the harness reads (the Allure executor: fixtures.report_meta).
GITHUB_VARIABLES = {"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "4242", "GITHUB_RUN_NUMBER": "7",
                    "GITHUB_RUN_ATTEMPT": "1", "GITHUB_REPOSITORY": "your-org/team-repo",
                    "GITHUB_SERVER_URL": "https://github.com", "GITHUB_WORKFLOW": "deploy staging"}  # fmt: skip
GITLAB_VARIABLES = {"CI": "true", "GITLAB_CI": "true", "CI_JOB_ID": "4242", "CI_PIPELINE_ID": "77",
                    "CI_PIPELINE_URL": "https://gitlab.com/your-group/team-repo/-/pipelines/77"}  # fmt: skip
EARLIER_SUMMARY = "## deploy\n\ndeployed by an earlier step\n"
STEP_TIMEOUT_S = 900  # a ceiling for a hang: the suite takes 30 s to 3 min on a loaded 2-core machine
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
PATH_EXPRESSION = re.compile(r"[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*")


def evaluate(text: str, context: Mapping[str, Any]) -> str:
    """`text` with each `${{ a.b.c }}` replaced by its value in `context` ("" for an output no step set, as
    Actions does). Only property paths: another kind of expression in these steps must be taught here first."""

    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        assert PATH_EXPRESSION.fullmatch(expression), f"the steps test evaluates property paths only: {expression}"
        found: Any = context
        for name in expression.split("."):
            if not isinstance(found, Mapping) or name not in found:
                assert expression.startswith("steps."), f"{expression} is not known to the steps test"
                return ""
            found = found[name]
        return str(found)

    return EXPRESSION.sub(value, text)


def outputs(path: Path) -> dict[str, str]:
    """A step's $GITHUB_OUTPUT (name=value lines)."""
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {name: value for name, value in pairs}


def run_bash(name: str, script: str, env: Mapping[str, str], workspace: Path, logs: list[str]) -> int:
    """`script` as Actions' `shell: bash` runs it (GitLab's runner too: -e and pipefail), from `workspace`;
    what it printed goes to `logs`."""
    path = workspace.parent / f"{name}.sh"
    path.write_text(script)
    result = subprocess.run([*BASH, str(path)], cwd=workspace, env=dict(env), capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=STEP_TIMEOUT_S, check=False)  # fmt: skip
    logs.append(f"--- {name} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result.returncode


def tail(logs: list[str]) -> str:
    """The end of what the steps printed, for an assertion's message."""
    return "\n".join(logs)[-12000:]


def check_reports(reports: Path, log: str) -> str:
    """What every run must leave in `reports/`: a green junit file, the single-file report, a job summary and a
    filled history. Returns the summary."""
    junit = ET.parse(reports / "junit.xml").getroot()
    suites = [junit] if junit.tag == "testsuite" else list(junit)
    assert sum(int(s.get("tests", "0")) for s in suites) > 0, log
    assert all(s.get("failures") == "0" and s.get("errors") == "0" for s in suites), log
    assert [p.name for p in (reports / "allure-report").iterdir()] == ["index.html"], log  # the single-file report
    assert (reports / "allure-report" / "index.html").stat().st_size > 0
    history = {p.name for p in (reports / "allure-history").iterdir()}
    assert "history-trend.json" in history and "history.json" in history, history
    assert (reports / "allure-history" / "history-trend.json").stat().st_size > 2  # more than an empty list
    job_summary = (reports / "job-summary.md").read_text()
    assert job_summary.strip(), log
    return job_summary


def workspace_in(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    return workspace


@pytest.fixture(scope="module")
def twin_env_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with launched_twin(tmp_path_factory.mktemp("ci-twin")) as twin:
        yield twin.env_file


@pytest.mark.slow
@pytest.mark.timeout(STEP_TIMEOUT_S * 2)
def test_the_workflows_suite_and_report_steps_run_here(twin_env_file: Path, tmp_path: Path) -> None:
    workflow = load_yaml(WORKFLOW.read_text())
    assert workflow["defaults"]["run"]["shell"] == "bash"
    job = workflow["jobs"]["e2e"]
    steps = {step["id"]: step for step in job["steps"] if "id" in step}
    declared = workflow["on"]["workflow_call"]["inputs"]
    inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()} | INPUTS
    inputs["env-file"] = str(twin_env_file)
    workspace, runner = workspace_in(tmp_path), tmp_path / "runner"
    runner.mkdir()
    summary = runner / "step-summary.md"
    summary.write_text(EARLIER_SUMMARY)
    base = child_env(ROOT, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", **GITHUB_VARIABLES)
    done: dict[str, dict[str, Any]] = {}
    logs: list[str] = []
    for step_id in STEP_IDS:
        step = steps[step_id]
        context = {"inputs": inputs, "steps": done}
        output = runner / f"{step_id}.output"
        output.write_text("")
        env = (
            base
            | {name: evaluate(str(value), context) for name, value in job["env"].items()}
            | {"ALLURE": str(CHECKOUT_ALLURE)}
            | {name: evaluate(str(value), context) for name, value in step.get("env", {}).items()}
            | {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(runner)}
        )
        code = run_bash(step_id, step["run"], env, workspace, logs)
        done[step_id] = {"outputs": outputs(output), "outcome": "success" if code == 0 else "failure"}
        assert code == 0, tail(logs)

    log = tail(logs)
    assert done["suite"]["outputs"] == {"exit-code": "0"}, log
    job_summary = check_reports(workspace / "reports", log)
    assert summary.read_text().startswith(EARLIER_SUMMARY) and job_summary in summary.read_text(), summary.read_text()


@pytest.mark.slow
@pytest.mark.timeout(STEP_TIMEOUT_S * 2)
def test_the_gitlab_jobs_script_and_after_script_run_here(twin_env_file: Path, tmp_path: Path) -> None:
    job = load_yaml(GITLAB.read_text())[GITLAB_JOB]
    # The CI role's variables stay out: the twin's env file names its own credentials.
    variables = {name: str(value) for name, value in job["variables"].items() if not name.startswith("AWS_")}
    assert not [value for value in variables.values() if "$" in value], "the steps test expands no variables"
    variables |= {"STACKCHECK_ENV_FILE": str(twin_env_file), "STACKCHECK_WORKERS": INPUTS["workers"],
                  "ALLURE": str(CHECKOUT_ALLURE)}  # fmt: skip
    workspace = workspace_in(tmp_path)
    env = child_env(ROOT, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", **GITLAB_VARIABLES,
                    CI_PROJECT_DIR=str(workspace), **variables)  # fmt: skip
    logs: list[str] = []
    assert run_bash("script", "\n".join(job["script"]), env, workspace, logs) == 0, tail(logs)
    assert run_bash("after_script", "\n".join(job["after_script"]), env, workspace, logs) == 0, tail(logs)
    job_summary = check_reports(workspace / "reports", tail(logs))
    assert "stackcheck-e2e exited 0" in logs[0] and job_summary.strip() in logs[1], tail(logs)  # in the job log
