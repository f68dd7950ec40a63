"""The run's life cycle on Locust's events: set up before any user spawns, hand out tokens, gate at the end.

On the master (or the single local process): `init` checks every input, starts the twin when no
env file is given, fills the token pool and starts the refresher; any problem is one log line and
exit code 2 before a user exists. `test_start` applies web-UI edits and deals each worker its own
users (a message sent in the master's `test_start` reaches workers before their spawn message).
`quitting` computes the verdict from in-memory statistics and writes the reports; `quit` prints
the summary table after Locust's own statistics; users are deleted and the twin stopped last.
Workers only receive tokens. Hand-written because this is the suite's own policy on Locust's hooks.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
import greenlet
import requests
from gevent.lock import BoundedSemaphore
from locust import log as locust_log
from locust.env import Environment
from locust.runners import MasterRunner, Runner, WorkerRunner

from fixtures import interrupts
from fixtures.config import ConfigError, EnvConfig, load_config
from fixtures.janitor import janitor
from fixtures.lease import RunLease
from fixtures.local_twin import signal_twin
from fixtures.preflight import describe_aws_error
from fixtures.redaction import install_log_redaction

from . import options as suite_options
from . import scenarios, slo
from .cognito import Cognito
from .errors import SetupError
from .gate import EXIT_CRASH, AbortWatcher, Verdict, summary_table
from .pool import Entry, TokenPool, slices
from .reports import HistorySampler, write_reports
from .twin import PROJECT_ROOT, Twin

TOKENS_MESSAGE = "loadsuite_tokens"
REFRESH_WAIT_S = 30
log = logging.getLogger("loadsuite")
# Locust's plain-format console logger: the summary lands where Locust's own summary does
# (stderr, --logfile, the web UI's log view).
summary_log = logging.getLogger("locust.stats_logger")


class LoadRun:
    """State of one Locust process; only the master/local one owns a pool and a twin."""

    def __init__(self) -> None:
        self.run_id = "load" + secrets.token_hex(3)
        self.config: EnvConfig | None = None
        self.twin: Twin | None = None
        self.pool: TokenPool | None = None
        self.lease: RunLease | None = None
        self.rules: list[slo.Rule] = []
        self.watcher: AbortWatcher | None = None
        self.refresher: gevent.Greenlet | None = None
        self.refreshing = BoundedSemaphore()
        # Locust 2.47 can run its shutdown twice at once (its SIGTERM handler and the main greenlet of
        # a web-UI run; fixtures.interrupts avoids the known case): the verdict and the cleanup happen once.
        self.quitting_done = False
        self.cleaning = BoundedSemaphore()
        self.sampler: HistorySampler | None = None
        self.failed_setup = ""
        self.notes: list[str] = []
        self.table = ""
        self.environment: Environment | None = None
        self.deliver: Callable[[str], None] = interrupts.raise_interrupt  # the main greenlet's, from on_init

    def register(self, events: Any) -> None:
        events.init.add_listener(self.on_init)
        events.test_start.add_listener(self.on_test_start)
        events.test_stop.add_listener(self.on_test_stop)
        events.quitting.add_listener(self.on_quitting)
        events.quit.add_listener(self.on_quit)
        events.worker_connect.add_listener(self.on_worker_connect)
        events.cpu_warning.add_listener(self.on_cpu_warning)

    # --- init -------------------------------------------------------------------------------

    def on_init(self, environment: Environment, runner: Any, **_: Any) -> None:
        install_log_redaction()
        self.environment = environment
        if isinstance(runner, WorkerRunner):
            runner.register_message(TOKENS_MESSAGE, self.on_tokens)
            return
        atexit.register(self.cleanup)
        self.deliver = _to_main_greenlet()
        interrupts.install(self.farewell, self.deliver)
        try:
            self.setup(environment)
        except Exception as exc:  # a SetupError is already one line; anything else (an unknown AWS profile) too
            log.error("%s", exc if isinstance(exc, SetupError) else f"setup failed: {describe_aws_error(exc)}")
            self.cleanup()
            sys.exit(EXIT_CRASH)

    def setup(self, environment: Environment) -> None:
        opts = suite_options.parsed(environment)
        suite_options.check(opts)
        self.rules = slo.parse(opts.slo)
        if isinstance(environment.runner, MasterRunner) and opts.headless and opts.pool_size < opts.expect_workers:
            raise SetupError(
                f"--pool-size {opts.pool_size} is smaller than --expect-workers {opts.expect_workers}: "
                "each worker needs its own users"
            )
        env_path = opts.env_file
        if not env_path:
            self.twin = Twin()
            log.info("no --env-file: starting a local twin for this run")
            env_path = str(self.twin.start())
        try:
            self.config = cfg = load_config(env_path)
        except ConfigError as exc:
            raise SetupError(str(exc)) from None
        if self.twin is not None:
            log.info("local twin ready: API %s (state %s)", cfg.api.base_url, self.twin.state_dir)
        if cfg.env.protected and not opts.allow_protected:
            raise SetupError(
                f"env {cfg.env.name!r} is protected ([env] protected = true): refusing to create users or load; "
                "pass --allow-protected if this run is intended"
            )
        environment.host = (environment.host or cfg.api.base_url).rstrip("/")
        check_reachable(environment.host)
        cognito = Cognito(cfg, run_id=self.run_id, allow_protected=opts.allow_protected)
        self.take_lease(cognito, cfg, opts.run_lease_seconds)
        self.sweep(cognito, cfg, opts.janitor_max_age_hours)
        self.pool = TokenPool(cognito, token_use=opts.token_use, concurrency=opts.cognito_concurrency)
        log.info(
            "run %s: creating %d test users in %s (env %s)",
            self.run_id,
            opts.pool_size,
            cfg.cognito.user_pool_id,
            cfg.env.name,
        )
        self.pool.fill(opts.pool_size)
        scenarios.PROBE["value"] = self.run_id
        self.hand_out(environment)
        self.refresher = gevent.spawn(self.refresh_loop, environment)
        self.sampler = HistorySampler(environment)

    def take_lease(self, cognito: Cognito, cfg: EnvConfig, ttl_s: float) -> None:
        """Hold the run lease the e2e harness holds, so a killed load run's users are swept by the next run at
        once instead of after the janitor's age limit."""
        lease = RunLease(cognito.idp, cfg.cognito.user_pool_id, self.run_id, ttl_s=ttl_s)
        try:
            lease.acquire()
        except Exception as exc:  # without a lease the users still go at the end, or by age after a kill
            self.notes.append(f"run lease not taken ({describe_aws_error(exc)}): a killed run is swept by age only")
            return
        self.lease = lease

    def sweep(self, cognito: Cognito, cfg: EnvConfig, max_age_h: float) -> None:
        """The e2e harness's janitor, before this run creates users: what killed runs (either suite) left."""
        try:
            report = janitor(cognito.idp, cfg.cognito.user_pool_id, max_age_h * 3600)
        except Exception as exc:  # a janitor without ListUsers rights must not block the run
            self.notes.append(f"janitor skipped: {describe_aws_error(exc)}")
            return
        self.notes.append(f"janitor: {report.summary(max_age_h)}")

    # --- tokens ---------------------------------------------------------------------------

    def hand_out(self, environment: Environment) -> None:
        """Give every connected worker its own slice of the pool (or the local store everything)."""
        assert self.pool is not None
        entries = self.pool.entries(suite_options.parsed(environment).pool_size)
        runner = environment.runner
        if not isinstance(runner, MasterRunner):
            scenarios.STORE.replace(entries)
            return
        workers = [w.id for w in (*runner.clients.ready, *runner.clients.spawning, *runner.clients.running)]
        if not workers:
            return
        workers.sort(key=runner.get_worker_index)
        for worker, part in slices(entries, workers).items():
            data = {
                "probe": f"{self.run_id}-w{runner.get_worker_index(worker)}",
                "entries": [[e.sub, e.token] for e in part],
            }
            runner.send_message(TOKENS_MESSAGE, data, client_id=worker)

    def on_tokens(self, environment: Environment, msg: Any, **_: Any) -> None:
        scenarios.PROBE["value"] = msg.data["probe"]
        scenarios.STORE.replace([Entry(sub, token) for sub, token in msg.data["entries"]])
        log.debug("received %d users", len(msg.data["entries"]))

    def on_worker_connect(self, client_id: str, **_: Any) -> None:
        environment = self.environment
        if environment is not None and self.pool is not None and _runner(environment).state in ("spawning", "running"):
            # The worker is registered right after this event fires; deal once it is.
            gevent.spawn_later(0.5, self._hand_out_logged, environment)

    def _hand_out_logged(self, environment: Environment) -> None:
        try:
            self.hand_out(environment)
        except SetupError as exc:
            log.error("%s", exc)

    def refresh_loop(self, environment: Environment) -> None:
        assert self.pool is not None
        while True:
            gevent.sleep(max(1.0, self.pool.next_refresh_in(suite_options.parsed(environment).token_refresh_fraction)))
            try:
                with self.refreshing:
                    self.pool.refresh_all()
                    self.hand_out(environment)
                log.info("token pool refreshed (round %d)", self.pool.refreshes)
            except SetupError as exc:
                log.error("token refresh failed, retrying in 30 s: %s", exc)
                gevent.sleep(30)

    # --- run ------------------------------------------------------------------------------

    def on_test_start(self, environment: Environment, **_: Any) -> None:
        if isinstance(environment.runner, WorkerRunner) or self.pool is None:
            return
        interrupts.install(self.farewell, self.deliver)  # again: Locust has installed its own SIGTERM handler
        opts, runner = suite_options.parsed(environment), _runner(environment)
        try:  # the web UI form may have changed any argument since init
            suite_options.check(opts)
            self.rules = slo.parse(opts.slo)
            self.pool.fill(opts.pool_size)
            self.hand_out(environment)
        except SetupError as exc:
            log.error("%s", exc)
            self.failed_setup = str(exc)
            gevent.spawn(runner.quit if opts.headless else runner.stop)
            return
        if self.watcher is not None:
            self.watcher.cancel()
        stop = runner.quit if opts.headless else runner.stop
        self.watcher = AbortWatcher(self.rules, environment.stats, stop, opts.slo_abort_grace)
        self.watcher.start()

    def on_test_stop(self, environment: Environment, **_: Any) -> None:
        if self.watcher is not None:
            self.watcher.cancel()

    def on_cpu_warning(self, environment: Environment, cpu_usage: float, **_: Any) -> None:
        note = f"load generator CPU reached {cpu_usage:.0f} %: latencies of this run are inflated"
        if note not in self.notes:
            self.notes.append(note)

    # --- end ------------------------------------------------------------------------------

    def on_quitting(self, environment: Environment, **_: Any) -> None:
        if isinstance(environment.runner, WorkerRunner) or self.pool is None or self.quitting_done:
            return
        self.quitting_done = True
        if self.refresher is not None:
            # Let a refresh round in flight finish, so the summary's call count matches its rounds.
            if self.refreshing.acquire(timeout=REFRESH_WAIT_S):
                self.refreshing.release()
            self.refresher.kill(block=False)
        if self.watcher is not None:
            self.watcher.cancel()
        history = []
        if self.sampler is not None:
            self.sampler.stop()
            history = self.sampler.rows
        opts = suite_options.parsed(environment)
        stats = environment.stats
        cognito = self.pool.cognito.stats
        notes = [
            *self.notes,
            f"token pool: {len(self.pool.users)} users, {self.pool.refreshes} refresh rounds, "
            f"{cognito.total} Cognito calls ({cognito.throttled} throttled), none counted in the statistics",
        ]
        if self.failed_setup:
            notes.append(f"setup failed: {self.failed_setup}")
        verdict = Verdict(
            checks=slo.evaluate(self.rules, stats),
            aborted=self.watcher.reason if self.watcher else "",
            request_errors=stats.total.num_failures + sum(e["count"] for e in _runner(environment).exceptions.values()),
            crashed=bool(locust_log.unhandled_greenlet_exception or self.failed_setup),
            notes=notes,
        )
        code = verdict.exit_code(opts.exit_code_on_error)
        environment.process_exit_code = code
        out_dir = Path(opts.report_dir)
        if not out_dir.is_absolute():
            out_dir = PROJECT_ROOT / out_dir
        try:
            where = f"reports: {write_reports(environment, verdict, history, out_dir, opts.report_name)['html'].parent}"
        except Exception as exc:  # the verdict still prints; a run whose reports are lost is not a pass
            code = environment.process_exit_code = EXIT_CRASH
            where = f"reports not written to {out_dir}: {type(exc).__name__}: {exc}"
        name = self.config.env.name if self.config else "?"
        title = (
            f"SLO gate: env {name}, {stats.total.num_requests:,} requests, {stats.total.total_rps:,.1f} req/s, "
            f"{stats.total.num_failures:,} failures"
        )
        self.table = summary_table(verdict, title, code) + f"\n{where}"

    def on_quit(self, exit_code: int, **_: Any) -> None:
        if self.table:
            summary_log.info("\n%s", self.table)
            self.table = ""
        self.cleanup()

    def cleanup(self) -> None:
        """Delete this run's users and stop the twin this run started; safe to call more than once, at once."""
        with self.cleaning:
            self._clean_up()

    def farewell(self) -> str:
        """A second Ctrl-C: the run ends at once; this says what it leaves behind (a twin it started is told
        to stop, without waiting)."""
        head = f"second interrupt: load run {self.run_id} stopped without cleanup"
        if self.twin is not None:
            return f"{head}; its local twin was told to stop" if signal_twin(self.twin.state_dir) else head
        users = len(self.pool.users) if self.pool is not None else 0
        where = self.config.source if self.config is not None else "F"
        return (
            f"{head}; the next run deletes its {users} test users, or now: "
            f"python -m fixtures.janitor --env-file {where}"
        )

    def _clean_up(self) -> None:
        if self.pool is not None and self.pool.users:
            count = len(self.pool.users)
            deleted = self.pool.delete_all()
            log.info("deleted %d/%d test users", deleted, count)
        if self.lease is not None:
            with contextlib.suppress(Exception):  # a lease left behind lapses and is swept by the next run
                self.lease.release()
            self.lease = None
        if self.twin is not None and self.twin.running:
            self.twin.stop()
            log.info("local twin stopped")


def _runner(environment: Environment) -> Runner:
    """The environment's runner; Locust creates it before it fires the events the suite handles."""
    if environment.runner is None:
        raise RuntimeError("a Locust event fired before the runner was created")
    return environment.runner


def _to_main_greenlet() -> Callable[[str], None]:
    """How Ctrl-C reaches Locust: as KeyboardInterrupt in the main greenlet, where Locust's main() catches it
    and shuts down once. A signal handler runs in whatever greenlet is current; raised in a spawning or user
    greenlet it would kill only that one (and print its traceback), raised in the hub gevent prints it. So
    from anywhere else the interrupt is thrown into the main greenlet by the hub's next loop round."""
    main, hub = greenlet.getcurrent(), gevent.get_hub()

    def deliver(name: str) -> None:
        if greenlet.getcurrent() is main:
            raise KeyboardInterrupt(name)
        hub.loop.run_callback(main.throw, KeyboardInterrupt(name))

    return deliver


def check_reachable(host: str) -> None:
    """One GET of the public health route, so a wrong or dead host fails before users spawn."""
    try:
        requests.get(f"{host}/health", timeout=5)
    except requests.RequestException as exc:
        reason = type(exc).__name__
        raise SetupError(f"cannot reach the API at {host} ({reason}): check [api] base_url or -H") from None
