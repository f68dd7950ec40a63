"""Locust entry point of the load suite for the LearningHub reference API (Cognito-protected HTTP API).

    locust -f tests/load/locustfile.py                                 # web UI, local twin
    locust -f tests/load/locustfile.py --headless -u 20 -t 2m --env-file env/staging.toml \\
        --pool-size 20 --shape ramp --slo "p95<800ms, fail_ratio<1%"

Everything lives in `loadsuite/` (Locust puts this folder on sys.path); this file only exposes what
Locust looks for by name: the user class, one shape class, and the listeners. See docs/load.md.
"""

import importlib.util
import sys
from pathlib import Path

# `fixtures` (config, redaction) comes from the installed package (`make setup` installs the checkout);
# only a checkout that is not installed needs its root on sys.path.
if importlib.util.find_spec("fixtures") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from loadsuite.lifecycle import LoadRun
from loadsuite.options import add_arguments
from loadsuite.scenarios import LearningHubUser
from loadsuite.shapes import SelectedShape
from locust import events

__all__ = ["LearningHubUser", "SelectedShape"]

events.init_command_line_parser.add_listener(lambda parser, **_: add_arguments(parser))
LoadRun().register(events)
