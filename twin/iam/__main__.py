"""`python -m twin.iam render --env-file env/staging.toml --account 123456789012`: print the CI policy filled in
for a real stack, ready for `aws iam create-policy --policy-document file://...` (see docs/iam.md).

The placeholder values come from the env file the suite runs with, so the policy and the suite always name the
same pool, API, function and secret. Bad input is one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from fixtures.cli_args import OneLineParser
from twin.iam.policy import DEFAULT_POLICY, PolicyError, load_policy, placeholders, render

PROG = "python -m twin.iam"
ACCOUNT_RE = re.compile(r"^\d{12}$")
# placeholder -> (env file section, key)
ENV_KEYS = {
    "Region": ("aws", "region"),
    "UserPoolId": ("cognito", "user_pool_id"),
    "IdentityPoolId": ("cognito", "identity_pool_id"),
    "ApiId": ("api", "api_id"),
    "FunctionName": ("lambda", "function_name"),
    "SecretId": ("database", "secret_id"),
}


def placeholder_values(env: dict[str, Any], account: str) -> dict[str, str]:
    """Placeholder values from a parsed env file; keys the env file lacks are left out."""
    values = {"Account": account}
    for name, (section, key) in ENV_KEYS.items():
        value = env.get(section, {}).get(key)
        if isinstance(value, str) and value:
            values[name] = value
    return values


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog=PROG, prefix=PROG, description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("render", help="print the CI policy for the stack an env file describes")
    cmd.add_argument("--env-file", type=Path, required=True, help="the env file the suite runs with")
    cmd.add_argument("--account", required=True, help="the 12-digit AWS account id of the stack")
    cmd.add_argument("--policy", type=Path, default=DEFAULT_POLICY, help="policy template (env/ci-policy.json)")
    args = parser.parse_args(argv)
    try:
        if not ACCOUNT_RE.match(args.account):
            raise PolicyError(f"--account {args.account!r} is not a 12-digit AWS account id")
        try:
            env = tomllib.loads(args.env_file.read_text())
        except FileNotFoundError:
            raise PolicyError(f"env file {args.env_file} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"env file {args.env_file} is not TOML ({exc})") from None
        policy = load_policy(args.policy)
        values = placeholder_values(env, args.account)
        for name in sorted(placeholders(policy) - set(values)):
            where = "[{}] {}".format(*ENV_KEYS[name]) if name in ENV_KEYS else "a value"
            raise PolicyError(
                f"env file {args.env_file} has no {where} for ${{{name}}}; set it or drop the "
                "statements that use it from the policy"
            )
        rendered = render(policy, values)
    except PolicyError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(rendered, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
