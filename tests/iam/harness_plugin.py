"""pytest plugin that tests/iam loads into an e2e run (`-p tests.iam.harness_plugin`).

When TWIN_IAM_CALLS_DIR is set, record every AWS operation the harness calls (a botocore `before-call` hook
on the session fixtures.aws.make_session builds) and write `calls-<pid>.json` there when pytest ends:
{"signing name|operation|HTTP method|auth": n}.

Hand-written: it must be installed before the harness plugin imports make_session, which only a `-p` plugin
(imported before conftest files) can do.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

import fixtures.aws
from fixtures.config import EnvConfig

CALLS_DIR_ENV = "TWIN_IAM_CALLS_DIR"
_calls: Counter[str] = Counter()
_lock = threading.Lock()
_harness_make_session = fixtures.aws.make_session


def _record(model: Any = None, **_: Any) -> None:
    key = "|".join([model.service_model.signing_name, model.name, model.http.get("method", ""), model.auth_type or ""])
    with _lock:
        _calls[key] += 1


def make_session(config: EnvConfig) -> boto3.Session:
    session = _harness_make_session(config)
    if os.environ.get(CALLS_DIR_ENV):
        session.events.register("before-call", _record)
    return session


# The harness looks make_session up on fixtures.aws at call time (pytest_plugin, harness, janitor), so this is enough.
fixtures.aws.make_session = make_session


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:  # last: after the harness's end-of-run sweep
    folder = os.environ.get(CALLS_DIR_ENV)
    if folder:
        with _lock:
            snapshot = dict(_calls)
        Path(folder, f"calls-{os.getpid()}.json").write_text(json.dumps(snapshot, indent=1, sort_keys=True))
