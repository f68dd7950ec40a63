"""The suite's command-line arguments, shown in the Locust web UI as well.

Plain `parser.add_argument` on purpose: Locust's web-UI keywords (`include_in_web_ui`, `is_secret`)
only work there, and arguments added through an argument group never show in the UI. Defaults
are typed (never None) because the web UI converts form values with `type(default)`.
"""

from __future__ import annotations

from argparse import Namespace
from typing import TYPE_CHECKING, Any

from fixtures.janitor import DEFAULT_MAX_AGE_H
from fixtures.lease import DEFAULT_TTL_S, MIN_TTL_S

from .errors import SetupError
from .plans import PLANS
from .pool import MAX_POOL_SIZE

if TYPE_CHECKING:  # locust is not imported for the arguments alone (show_arguments.py)
    from locust.env import Environment

DEFAULT_SLO = "p95<1000ms, p99<2000ms, fail_ratio<1%"


def add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--env-file",
        default="",
        help="env file (TOML) of the target stack; empty: start a local twin for this run and stop it at the end",
    )
    parser.add_argument(
        "--pool-size", type=int, default=10, help=f"test users created for the run (1..{MAX_POOL_SIZE})"
    )
    parser.add_argument("--shape", choices=sorted(PLANS), default="constant", help="load shape (-u is the peak)")
    parser.add_argument(
        "--slo",
        default=DEFAULT_SLO,
        help="SLO rules: [METHOD NAME] METRIC OP VALUE [warn|abort], comma separated, "
        "e.g. 'p95<800ms, fail_ratio<0.01, rps>=5, GET /courses/[id] p99<1s warn'",
    )
    parser.add_argument(
        "--slo-abort-grace", type=float, default=10.0, help="seconds before rules marked 'abort' may stop the run"
    )
    parser.add_argument(
        "--allow-protected",
        action="store_true",
        default=False,
        help="allow user creation and load on an env whose [env] protected = true",
    )
    parser.add_argument("--token-use", choices=["access", "id"], default="access", help="which Cognito token to send")
    parser.add_argument(
        "--token-refresh-fraction",
        type=float,
        default=0.7,
        include_in_web_ui=False,
        help="refresh tokens at this fraction of their lifetime (AWS advises about 0.75)",
    )
    parser.add_argument(
        "--report-dir", default="reports/load", include_in_web_ui=False, help="folder for CSV/HTML/JSON/PNG outputs"
    )
    parser.add_argument(
        "--report-name", default="load", include_in_web_ui=False, help="file name prefix of the outputs"
    )
    parser.add_argument(
        "--janitor-max-age-hours",
        type=float,
        default=DEFAULT_MAX_AGE_H,
        include_in_web_ui=False,
        help="before creating users, delete harness users of dead runs and any older than this (both suites)",
    )
    parser.add_argument(
        "--run-lease-seconds",
        type=float,
        default=DEFAULT_TTL_S,
        include_in_web_ui=False,
        help="lifetime of the run's lease, renewed while it lives: once a killed run's lease lapses, "
        "the next run's janitor deletes its users at once",
    )
    parser.add_argument(
        "--cognito-concurrency",
        type=int,
        default=4,
        include_in_web_ui=False,
        help="parallel Cognito calls while filling the pool (stay well under the account quota)",
    )


def parsed(environment: Environment) -> Namespace:
    """The run's options; Locust parses the command line before it builds the environment the suite sees."""
    if environment.parsed_options is None:
        raise RuntimeError("a Locust environment without parsed options: the load suite runs from its locustfile")
    return environment.parsed_options


def check(options: Any) -> None:
    """Raise SetupError (one line) for values no run could use."""
    if not 1 <= options.pool_size <= MAX_POOL_SIZE:
        raise SetupError(
            f"--pool-size {options.pool_size} is outside 1..{MAX_POOL_SIZE}: the pool is created on every run "
            "against Cognito's shared quota; use a smaller pool"
        )
    if options.shape not in PLANS:
        raise SetupError(f"--shape {options.shape!r} is unknown: use one of {', '.join(sorted(PLANS))}")
    if not 0 < options.token_refresh_fraction < 1:
        raise SetupError(f"--token-refresh-fraction {options.token_refresh_fraction} must be between 0 and 1")
    if options.slo_abort_grace < 0:
        raise SetupError("--slo-abort-grace must be zero or more seconds")
    if options.janitor_max_age_hours < 0:
        raise SetupError("--janitor-max-age-hours must be zero or more hours")
    if options.run_lease_seconds < MIN_TTL_S:
        raise SetupError(f"--run-lease-seconds must be at least {MIN_TTL_S:g}")
    if not 1 <= options.cognito_concurrency <= 16:
        raise SetupError("--cognito-concurrency must be 1..16")
