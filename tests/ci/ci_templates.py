"""The CI templates under ci/, read and linted the way a team that copies them would: the one place the tests get them.

Why a helper: the lint, content and steps tests must see the same files, the same YAML reading (YAML 1.2, where
GitHub's `on:` key is the string "on", not PyYAML's True) and the same linters. The linters are the registry
packages pinned in the dev extra, run as processes with the checkout's binaries named explicitly (actionlint with
ShellCheck for the workflow's `run:` scripts, check-jsonschema with its bundled schemas), so PATH cannot change a
verdict and nothing is downloaded. Each runs in a scratch repository laid out as a team's (`.github/workflows/`,
an empty `.git` so actionlint finds the project root and resolves `./.github/workflows/...` calls): the
checkout's own settings never apply.

GitLab's schema skips hidden jobs (keys starting with "."), so the GitLab template is linted as the job a pipeline
gets from it: `extends: .stackcheck-e2e` merged the way GitLab merges it (mappings deep-merged, the extending job's
keys winning, lists replaced).
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "ci" / "github" / "stackcheck-e2e.yml"
CALLER = ROOT / "ci" / "github" / "example-caller.yml"
GITLAB = ROOT / "ci" / "gitlab" / "stackcheck-e2e.gitlab-ci.yml"
GITLAB_JOB = ".stackcheck-e2e"
# How the example caller names the reusable workflow, and how a repository holding a copy calls it.
REMOTE_CALL = "your-org/stackcheck/.github/workflows/stackcheck-e2e.yml@v1"
LOCAL_CALL = "./.github/workflows/stackcheck-e2e.yml"
# The documented use of the GitLab template (docs/ci.md): one job per stack extending the hidden job.
GITLAB_USER_JOB: dict[str, Any] = {
    "extends": GITLAB_JOB,
    "stage": "test",
    "variables": {
        "STACKCHECK_ENV_FILE": "env/staging.toml",
        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/stackcheck-e2e-staging",
        "AWS_REGION": "eu-west-1",
        "STACKCHECK_REPORT_NAME": "staging",
    },
}
BIN = Path(sys.executable).parent
LINT_TIMEOUT_S = 120  # a ceiling for a hang; each linter answers in well under a second
Linter = Literal["actionlint", "github-schema", "gitlab-schema"]
COMMANDS: dict[Linter, list[str]] = {
    # ShellCheck named (not looked up on PATH); pyflakes off: no step has `shell: python`.
    "actionlint": [
        str(BIN / "actionlint"),
        "-oneline",
        "-no-color",
        "-shellcheck",
        str(BIN / "shellcheck"),
        "-pyflakes=",
    ],
    "github-schema": [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows"],
    "gitlab-schema": [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci"],
}


@dataclass(frozen=True)
class Lint:
    """One linter run: its exit code and what it printed."""

    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def lint(linter: Linter, repository: Path, *files: str) -> Lint:
    """Run `linter` on `files` (paths relative to `repository`, from which it runs)."""
    result = subprocess.run([*COMMANDS[linter], *files], cwd=repository, capture_output=True, text=True,
                            timeout=LINT_TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)  # fmt: skip
    return Lint(result.returncode, f"{result.stdout}{result.stderr}")


def repository(
    base: Path, *, workflows: Mapping[str, str] | None = None, files: Mapping[str, str] | None = None
) -> Path:
    """A team's repository in `base`: `workflows` in .github/workflows/, other `files` at their paths."""
    (base / ".git").mkdir(parents=True, exist_ok=True)
    placed = {f".github/workflows/{name}": text for name, text in (workflows or {}).items()} | dict(files or {})
    for name, text in placed.items():
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_text(text)
    return base


def mutate(text: str, old: str, new: str) -> str:
    """`text` with the first `old` replaced by `new`; `old` must be there, so a broken case cannot be a no-op."""
    assert old in text, f"the template no longer contains {old!r}: update the broken case"
    return text.replace(old, new, 1)


def load_yaml(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def dump_yaml(data: Any) -> str:
    out = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.dump(data, out)
    return out.getvalue()


def extend(base: Mapping[str, Any], job: Mapping[str, Any]) -> dict[str, Any]:
    """GitLab's `extends`: mappings merged key by key (the job's values win), anything else replaced."""
    merged = dict(base)
    for key, value in job.items():
        below = merged.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            merged[key] = extend(below, value)
        else:
            merged[key] = value
    return merged


def gitlab_pipeline(template: str, job: Mapping[str, Any] = GITLAB_USER_JOB, name: str = "e2e-staging") -> str:
    """The pipeline a team's .gitlab-ci.yml makes of `template` (its text): the hidden job, and `job` resolved."""
    jobs = load_yaml(template)
    extending = {key: value for key, value in job.items() if key != "extends"}
    resolved = extend(jobs[str(job["extends"])], extending)
    return dump_yaml({"stages": ["deploy", "test"], **jobs, name: resolved})
