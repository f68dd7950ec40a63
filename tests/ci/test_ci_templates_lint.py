"""The CI templates pass real linters, and each linter really catches a broken copy of them.

Why both halves: a lint test that cannot fail proves nothing. Every broken case is the shipped template with one
realistic mistake (a typo'd context or input, a missing or unknown action input, an action pinned to a major that
runs on a removed Node.js, an unquoted variable ShellCheck flags, a caller that leaves out a required input, a
GitLab key misspelt), and the linter must exit non-zero naming that mistake, so the passing runs above mean the
linter looked. The linters and their versions are the dev extra's (pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ci.ci_templates import (
    CALLER,
    GITLAB,
    LOCAL_CALL,
    REMOTE_CALL,
    WORKFLOW,
    Linter,
    gitlab_pipeline,
    lint,
    mutate,
    repository,
)


def test_actionlint_passes_on_the_workflow_and_the_example_caller(tmp_path: Path) -> None:
    repo = repository(tmp_path, workflows={WORKFLOW.name: WORKFLOW.read_text(), CALLER.name: CALLER.read_text()})
    result = lint("actionlint", repo, f".github/workflows/{WORKFLOW.name}", f".github/workflows/{CALLER.name}")
    assert result.ok, result.output


def test_the_example_callers_inputs_are_the_workflows(tmp_path: Path) -> None:
    """Called as a copy in the same repository, actionlint checks the caller's `with:` against the workflow's
    inputs (names, required ones, types); the remote call of the shipped caller it cannot resolve offline."""
    caller = mutate(CALLER.read_text(), REMOTE_CALL, LOCAL_CALL)
    repo = repository(tmp_path, workflows={WORKFLOW.name: WORKFLOW.read_text(), "caller.yml": caller})
    result = lint("actionlint", repo, ".github/workflows/caller.yml")
    assert result.ok, result.output


def test_the_github_workflow_schema_accepts_both_files(tmp_path: Path) -> None:
    repo = repository(tmp_path, workflows={WORKFLOW.name: WORKFLOW.read_text(), CALLER.name: CALLER.read_text()})
    result = lint("github-schema", repo, f".github/workflows/{WORKFLOW.name}", f".github/workflows/{CALLER.name}")
    assert result.ok, result.output


def test_the_gitlab_schema_accepts_the_template_and_the_job_it_makes(tmp_path: Path) -> None:
    repo = repository(tmp_path, files={"template.yml": GITLAB.read_text(),
                                       ".gitlab-ci.yml": gitlab_pipeline(GITLAB.read_text())})  # fmt: skip
    result = lint("gitlab-schema", repo, "template.yml", ".gitlab-ci.yml")
    assert result.ok, result.output


# (case, linter, old text of the workflow, its broken replacement, what the linter must say)
BROKEN_WORKFLOWS = [
    ("typo'd context", "actionlint", "exit-code: ${{ steps.suite.outputs.exit-code }}",
     "exit-code: ${{ step.suite.outputs.exit-code }}", 'undefined variable "step"'),
    ("undefined input", "actionlint", "ENV_FILE: ${{ inputs.env-file }}", "ENV_FILE: ${{ inputs.env_file }}",
     'property "env_file" is not defined'),
    ("missing required action input", "actionlint", "          aws-region: ${{ inputs.aws-region }}\n", "",
     'missing input "aws-region" which is required by action "aws-actions/configure-aws-credentials@v6"'),
    ("unknown action input", "actionlint", "role-to-assume: ${{ inputs.role-to-assume }}",
     "role-arn: ${{ inputs.role-to-assume }}", 'input "role-arn" is not defined in action'),
    ("action on a removed Node.js", "actionlint", "actions/checkout@v7", "actions/checkout@v4",
     'runtime "node20" is deprecated'),
    ("unquoted variable in a run script", "actionlint", '>> "$GITHUB_OUTPUT"', ">> $GITHUB_OUTPUT", "SC2086"),
    ("bad permission", "actionlint", "\n  id-token: write\n", "\n  id-token: writ\n",
     'invalid as permission of scope "id-token"'),
    ("bad input type", "github-schema", "required: true\n        type: string", "required: true\n        type: text",
     "Schema validation errors"),
]  # fmt: skip


@pytest.mark.parametrize(("linter", "old", "new", "says"), [case[1:] for case in BROKEN_WORKFLOWS],
                         ids=[case[0] for case in BROKEN_WORKFLOWS])  # fmt: skip
def test_a_broken_workflow_fails_its_linter(linter: Linter, old: str, new: str, says: str, tmp_path: Path) -> None:
    repo = repository(tmp_path, workflows={WORKFLOW.name: mutate(WORKFLOW.read_text(), old, new)})
    result = lint(linter, repo, f".github/workflows/{WORKFLOW.name}")
    assert not result.ok and says in result.output, result.output


BROKEN_CALLERS = [
    ("missing required input", "      env-file: env/staging.toml\n", "", 'input "env-file" is required'),
    ("unknown input", "report-name: staging", "report_name: staging", 'input "report_name" is not defined'),
]


@pytest.mark.parametrize(("old", "new", "says"), [case[1:] for case in BROKEN_CALLERS],
                         ids=[case[0] for case in BROKEN_CALLERS])  # fmt: skip
def test_a_broken_caller_fails_actionlint(old: str, new: str, says: str, tmp_path: Path) -> None:
    caller = mutate(mutate(CALLER.read_text(), REMOTE_CALL, LOCAL_CALL), old, new)
    repo = repository(tmp_path, workflows={WORKFLOW.name: WORKFLOW.read_text(), "caller.yml": caller})
    result = lint("actionlint", repo, ".github/workflows/caller.yml")
    assert not result.ok and says in result.output, result.output


BROKEN_GITLAB = [
    ("misspelt job key", "  artifacts:\n", "  artefacts:\n", "'artefacts' was unexpected"),
    ("bad id_tokens key", "      aud: sts.amazonaws.com", "      audience: sts.amazonaws.com", "'aud' is a required"),
    ("bad retry key", "    exit_codes: 75", "    exit_code: 75", ".retry"),
    ("bad artifacts report", "      junit: reports/junit.xml", "      junitxml: reports/junit.xml",
     "'junitxml' was unexpected"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "says"), [case[1:] for case in BROKEN_GITLAB],
                         ids=[case[0] for case in BROKEN_GITLAB])  # fmt: skip
def test_a_broken_gitlab_template_fails_the_gitlab_schema(old: str, new: str, says: str, tmp_path: Path) -> None:
    repo = repository(tmp_path, files={".gitlab-ci.yml": gitlab_pipeline(mutate(GITLAB.read_text(), old, new))})
    result = lint("gitlab-schema", repo, ".gitlab-ci.yml")
    assert not result.ok and says in result.output, result.output
