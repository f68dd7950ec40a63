"""Command line: `python -m twin.mssql --port 0 --state-dir DIR` serves; `... exec --state-dir DIR SQL` runs
one T-SQL batch as `sa` against the running server (over TDS with python-tds) and prints JSON.

Passwords come from TWIN_MSSQL_SA_PASSWORD / TWIN_MSSQL_APP_PASSWORD, else from DIR/credentials.json,
else are generated; the effective ones are written to DIR/credentials.json (mode 0600) and never
printed. Serving writes DIR/server.json (port, pid) for `exec` and removes it on exit.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import sys
import threading
from decimal import Decimal
from pathlib import Path

from fixtures.cli_args import OneLineParser
from twin.state import CREDENTIALS_FILE as CREDENTIALS
from twin.state import MSSQL_SERVER_FILE as SERVER_FILE


class CliError(Exception):
    """One line for the user, exit code 2."""


def _generate_password() -> str:
    # Satisfies SQL Server's policy: upper, lower, digit and symbol, 24 characters.
    return "Tw1n-" + secrets.token_urlsafe(18)


def load_credentials(state_dir: Path) -> dict[str, str]:
    path = state_dir / CREDENTIALS
    stored: dict[str, str] = {}
    if path.exists():
        try:
            stored = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise CliError(f"{path} is not valid JSON ({exc.__class__.__name__}); delete it to regenerate") from None
    creds = {
        "sa_password": os.environ.get("TWIN_MSSQL_SA_PASSWORD") or stored.get("sa_password") or _generate_password(),
        "app_password": os.environ.get("TWIN_MSSQL_APP_PASSWORD") or stored.get("app_password") or _generate_password(),
    }
    if creds != {k: stored.get(k) for k in creds}:
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({**creds, "sa_login": "sa", "app_login": "learninghub_app"}, fh)
    os.chmod(path, 0o600)
    return creds


def serve(args: argparse.Namespace) -> int:
    from twin.mssql.server import start_server

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        raise CliError(f"--host {args.host}: the twin binds loopback only; use 127.0.0.1")
    state_dir = Path(args.state_dir)
    creds = load_credentials(state_dir)
    server = start_server(
        state_dir, args.host, args.port, sa_password=creds["sa_password"], app_password=creds["app_password"]
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server_file = state_dir / SERVER_FILE
    server_file.write_text(json.dumps({"host": server.host, "port": server.port, "pid": os.getpid()}))
    ready = {
        "url": server.url,
        "port": server.port,
        "host": server.host,
        "database": "LearningHub",
        "admin_login": "sa",
        "app_login": "learninghub_app",
        "credentials_file": str((state_dir / CREDENTIALS).resolve()),
        "pid": os.getpid(),
    }
    print("READY " + json.dumps(ready), flush=True)
    try:
        while not stop.wait(0.2):
            pass
    finally:
        server.stop()
        server_file.unlink(missing_ok=True)
        logging.getLogger("twin.mssql").info("stopped")
    return 0


def _jsonable(v: object) -> object:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, bytes):
        return "0x" + v.hex().upper()
    if v is None or isinstance(v, int | float | str | bool):
        return v
    return str(v)


def execute(args: argparse.Namespace) -> int:
    import pytds

    state_dir = Path(args.state_dir)
    try:
        info = json.loads((state_dir / SERVER_FILE).read_text())
    except (OSError, ValueError):
        raise CliError(
            f"no running stand-in found in {state_dir} ({SERVER_FILE} missing); start "
            f"`python -m twin.mssql --state-dir {state_dir}` first"
        ) from None
    creds = load_credentials(state_dir)
    try:
        conn = pytds.connect(
            info["host"],
            "LearningHub",
            "sa",
            creds["sa_password"],
            port=info["port"],
            autocommit=True,
            login_timeout=10,
            timeout=60,
        )
    except Exception as exc:
        raise CliError(f"cannot connect to the stand-in on port {info['port']}: {exc}") from None
    with conn, conn.cursor() as cur:
        try:
            cur.execute(args.sql)
        except pytds.Error as exc:
            raise CliError(f"SQL error {getattr(exc, 'number', '?')}: {exc.args[0] if exc.args else exc}") from None
        while True:
            if cur.description:
                names = [d[0] for d in cur.description]
                rows = [[_jsonable(v) for v in row] for row in cur.fetchall()]
                print(json.dumps({"columns": names, "rows": rows}))
            else:
                print(json.dumps({"rowcount": cur.rowcount}))
            if not cur.nextset():
                break
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = OneLineParser(prog="python -m twin.mssql", prefix="twin.mssql", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: a free one, printed in READY)")
    parser.add_argument("--state-dir", required=True, help="folder of the database file and credentials.json")
    parser.add_argument("--log-level", default="INFO")
    exec_parser = OneLineParser(prog="python -m twin.mssql exec", prefix="twin.mssql")
    exec_parser.add_argument("--state-dir", required=True)
    exec_parser.add_argument("sql", help="one T-SQL batch, run as sa")
    try:
        if argv and argv[0] == "exec":
            return execute(exec_parser.parse_args(argv[1:]))
        args = parser.parse_args(argv)
        logging.basicConfig(
            level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s twin.mssql %(levelname)s %(message)s"
        )
        return serve(args)
    except CliError as exc:
        print(f"twin.mssql: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"twin.mssql: {exc.strerror or exc} ({exc.__class__.__name__}); check --port and --state-dir",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
