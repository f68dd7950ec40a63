"""What a demanding adopter checks in the CI templates before copying them, checked on their parsed YAML.

Why beside the linters: a linter says a file is valid, not that it does the right thing. These pin the promises
of docs/ci.md: the CI role is assumed by OIDC with no stored keys, the harness comes in as a package (no clone),
the report, summary, artifacts and history survive a failing run, both templates run the same suite and report
commands, and every exit code the harness can end with (fixtures.job_summary.EXIT_CODES) is documented in both
templates and in docs/ci.md.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from fixtures.job_summary import EXIT_CODES
from tests.ci.ci_templates import CALLER, GITLAB, GITLAB_JOB, ROOT, WORKFLOW, load_yaml

DOCS = ROOT / "docs" / "ci.md"
SUITE_COMMAND = ("stackcheck-e2e --env-file {env_file} -n {workers} --alluredir reports/allure-results "
                 "--junitxml reports/junit.xml --job-summary reports/job-summary.md")  # fmt: skip
REPORT_COMMAND = ("python -m fixtures.allure_report --results reports/allure-results --history reports/allure-history "
                  "--out reports/allure-report --allure {allure}")  # fmt: skip
KEYS = ("aws-access-key-id", "aws-secret-access-key", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "secrets.")
# Exit codes other than the harness's own that the templates need not document: 130, a second Ctrl-C, ends the
# process before anything is written (fixtures.interrupts); a CI job is cancelled once.
DOCUMENTED_CODES = sorted(int(code) for code in EXIT_CODES)


def workflow() -> Any:
    return load_yaml(WORKFLOW.read_text())


def github_steps() -> dict[str, Any]:
    return {step["id"]: step for step in workflow()["jobs"]["e2e"]["steps"] if "id" in step}


def gitlab_job() -> Any:
    return load_yaml(GITLAB.read_text())[GITLAB_JOB]


def commands(script: str) -> list[list[str]]:
    """The shell words of each line of a script (continuations and `|| code=$?` tails dropped)."""
    return [shlex.split(line.split(" || ")[0]) for line in script.splitlines() if line.strip()]


def invocation(lines: list[list[str]], program: list[str]) -> list[str]:
    found = [words for words in lines if words[: len(program)] == program]
    assert len(found) == 1, f"expected one {' '.join(program)} line, found {found}"
    return found[0]


def test_the_workflow_is_reusable_with_the_documented_inputs() -> None:
    inputs = workflow()["on"]["workflow_call"]["inputs"]
    assert inputs["env-file"]["required"] is True
    assert {"env-file", "aws-region", "role-to-assume", "harness-ref", "harness-spec", "python-version",
            "workers"} <= set(inputs)  # fmt: skip
    assert all(spec["type"] == "string" and spec.get("description") for spec in inputs.values())
    assert "exit-code" in workflow()["on"]["workflow_call"]["outputs"]


def test_the_workflow_assumes_the_role_by_oidc_without_stored_keys() -> None:
    assert workflow()["permissions"] == {"id-token": "write", "contents": "read"}
    steps = workflow()["jobs"]["e2e"]["steps"]
    aws = [s for s in steps if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")]
    assert len(aws) == 1 and re.fullmatch(r"aws-actions/configure-aws-credentials@v\d+", aws[0]["uses"]), aws
    assert {"role-to-assume", "aws-region"} <= set(aws[0]["with"])
    text = WORKFLOW.read_text() + CALLER.read_text()
    assert not [key for key in KEYS if key in text]
    assert load_yaml(CALLER.read_text())["permissions"]["id-token"] == "write"  # a callee gets no more than this


def test_the_workflow_installs_the_harness_as_a_package() -> None:
    install = github_steps()["install"]
    assert "git clone" not in WORKFLOW.read_text()
    assert "python -m pip install" in install["run"]
    assert "stackcheck @ git+${HARNESS_REPOSITORY}@${HARNESS_REF}" in install["run"]
    assert install["env"]["HARNESS_REF"] == "${{ inputs.harness-ref }}"


def test_every_action_is_pinned_to_a_major_or_a_commit() -> None:
    for step in workflow()["jobs"]["e2e"]["steps"]:
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+|[0-9a-f]{40})", step["uses"]), step["uses"]


def test_the_workflow_runs_the_suite_and_keeps_its_exit_code() -> None:
    steps = github_steps()
    script = steps["suite"]["run"]
    suite = invocation(commands(script), ["stackcheck-e2e"])
    assert suite == SUITE_COMMAND.format(env_file="$ENV_FILE", workers="$WORKERS").split()
    assert "|| code=$?" in script and 'echo "exit-code=$code" >> "$GITHUB_OUTPUT"' in script
    assert "if" not in steps["suite"]
    verdict = steps["verdict"]
    assert verdict["env"]["SUITE_EXIT"] == "${{ steps.suite.outputs.exit-code }}" and "exit" in verdict["run"]
    assert list(steps)[-1] == "verdict", "the job must end with the suite's exit code, after everything else"


def test_the_report_summary_artifacts_and_history_survive_a_failing_run() -> None:
    steps = github_steps()
    for step_id in ("report", "summary", "upload-report", "upload-junit", "save-history", "verdict"):
        assert "always()" in steps[step_id]["if"], step_id
    report = commands(steps["report"]["run"])
    assert (
        invocation(report, ["python", "-m", "fixtures.allure_report"])
        == REPORT_COMMAND.format(allure="$ALLURE").split()
    )
    summary = steps["summary"]["run"]
    assert 'cat reports/job-summary.md >> "$GITHUB_STEP_SUMMARY"' in summary
    assert steps["upload-report"]["uses"].startswith("actions/upload-artifact@")
    assert steps["upload-report"]["with"]["path"] == "reports/allure-report/index.html"
    assert {"reports/junit.xml", "reports/job-summary.md"} <= set(steps["upload-junit"]["with"]["path"].split())


def test_the_history_is_restored_by_prefix_and_saved_per_run() -> None:
    steps = github_steps()
    restore, save = steps["history"], steps["save-history"]
    assert restore["uses"].startswith("actions/cache/restore@") and save["uses"].startswith("actions/cache/save@")
    assert restore["with"]["path"] == save["with"]["path"] == "reports/allure-history"
    assert restore["with"]["key"] == save["with"]["key"]
    assert "${{ github.run_id }}" in save["with"]["key"]
    assert restore["with"]["key"].startswith(restore["with"]["restore-keys"])
    order = list(steps)
    assert order.index("history") < order.index("suite") < order.index("report") < order.index("save-history")


def test_the_gitlab_job_gets_aws_credentials_from_its_id_token() -> None:
    job = gitlab_job()
    assert job["id_tokens"] == {"STACKCHECK_ID_TOKEN": {"aud": "sts.amazonaws.com"}}
    before = "\n".join(job["before_script"])
    assert 'printf \'%s\' "$STACKCHECK_ID_TOKEN" > "$AWS_WEB_IDENTITY_TOKEN_FILE"' in before
    assert 'export AWS_WEB_IDENTITY_TOKEN_FILE="$(mktemp)"' in before  # outside the project: never an artifact
    assert "AWS_ROLE_ARN" in job["variables"] and "AWS_ROLE_SESSION_NAME" in job["variables"]
    assert not [key for key in KEYS if key in GITLAB.read_text()]


def test_the_gitlab_job_keeps_its_artifacts_history_and_junit_report_whatever_the_verdict() -> None:
    job = gitlab_job()
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    assert artifacts["reports"] == {"junit": "reports/junit.xml"}
    kept = {"reports/allure-report/index.html", "reports/junit.xml", "reports/job-summary.md"}
    assert kept <= set(artifacts["paths"])
    assert job["cache"]["paths"] == ["reports/allure-history/"] and job["cache"]["when"] == "always"
    assert job["retry"]["exit_codes"] == 75


def test_both_templates_run_the_same_suite_and_report_commands() -> None:
    job = gitlab_job()
    suite = invocation(commands("\n".join(job["script"])), ["stackcheck-e2e"])
    assert suite == SUITE_COMMAND.format(env_file="$STACKCHECK_ENV_FILE", workers="$STACKCHECK_WORKERS").split()
    report = invocation(commands("\n".join(job["after_script"])), ["python", "-m", "fixtures.allure_report"])
    assert report == REPORT_COMMAND.format(allure="$ALLURE").split()
    assert job["variables"]["ALLURE"] == workflow()["jobs"]["e2e"]["env"]["ALLURE"]
    assert job["script"][-1] == 'exit "$code"'


@pytest.mark.parametrize("template", [WORKFLOW, GITLAB], ids=["github", "gitlab"])
def test_every_exit_code_of_the_harness_is_documented_in_the_template(template: Path) -> None:
    documented = sorted(int(code) for code in re.findall(r"^#   (\d+) ", template.read_text(), flags=re.MULTILINE))
    assert documented == DOCUMENTED_CODES


def test_the_workflow_annotates_every_exit_code() -> None:
    arms = re.findall(r"^\s+(\d+)\) ", github_steps()["suite"]["run"], flags=re.MULTILINE)
    assert sorted(int(code) for code in arms) == DOCUMENTED_CODES


def test_the_docs_cover_every_input_variable_and_exit_code() -> None:
    docs = DOCS.read_text()
    for name in workflow()["on"]["workflow_call"]["inputs"]:
        assert f"`{name}`" in docs, name
    for name in gitlab_job()["variables"]:
        assert f"`{name}`" in docs, name
    for code in DOCUMENTED_CODES:
        assert re.search(rf"^\| {code} \|", docs, flags=re.MULTILINE), code
    assert "env/ci-policy.json" in docs
