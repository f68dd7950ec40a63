"""Ctrl-C in a gevent process reaches the main greenlet, wherever the signal lands: a signal handler runs in the
greenlet that happens to be running, and an interrupt raised there would kill only that greenlet (Locust then
logs its traceback and never shuts down through its main). Checked on a greenlet that keeps computing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = textwrap.dedent(
    """
    import locust  # gevent's monkey-patching first, as in a locustfile
    import os, sys, threading
    sys.path.insert(0, "tests/load")
    import gevent
    from fixtures import interrupts
    from loadsuite.lifecycle import _to_main_greenlet

    interrupts.install(lambda: "second", _to_main_greenlet() if sys.argv[1] == "suite" else interrupts.raise_interrupt)

    def busy():
        while True:  # computes, yielding now and then as a user greenlet does between requests
            sum(range(20_000))
            gevent.sleep(0)

    worker = gevent.spawn(busy)
    gevent.sleep(0.2)  # the busy greenlet runs; this one waits in the hub
    threading.Timer(0.3, os.kill, (os.getpid(), 15)).start()
    try:
        worker.join(timeout=5)  # the signal comes at 0.3 s; the control run waits this out
        print("main: not interrupted", flush=True)
    except KeyboardInterrupt as exc:
        print(f"main: interrupted by {exc}", flush=True)
    """
)


def run(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROGRAM, mode], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


def test_the_interrupt_reaches_the_main_greenlet() -> None:
    done = run("suite")
    assert done.stdout.strip() == "main: interrupted by SIGTERM", done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr


def test_control_raised_where_it_lands_the_interrupt_kills_the_busy_greenlet_only() -> None:
    """The same program with a plain raise: the set-up really puts the signal into the busy greenlet."""
    done = run("plain")
    assert done.stdout.strip() == "main: not interrupted", done.stdout + done.stderr
    assert "KeyboardInterrupt: SIGTERM" in done.stderr
