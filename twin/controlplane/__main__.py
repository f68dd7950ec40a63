"""`python -m twin.controlplane --port 0`: serve until SIGTERM/SIGINT, print one READY line."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from fixtures.cli_args import OneLineParser

PROG = "python -m twin.controlplane"


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--port must be an integer, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"--port must be 0..65535, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog=PROG, description="moto (pinned) + the twin's gap layer on 127.0.0.1")
    parser.add_argument("--port", type=_port, default=0, help="port to bind on 127.0.0.1 (0 = a free port)")
    args = parser.parse_args(argv)

    from .patches._guard import MotoMismatch

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        from .server import start_control_plane  # imports the patches, which check the pinned moto

        plane = start_control_plane(port=args.port)
    except MotoMismatch as exc:
        print(f"{PROG}: {exc}; install the pinned moto (make setup)", file=sys.stderr)
        return 1
    except OSError as exc:
        print(
            f"{PROG}: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}; use another --port or 0", file=sys.stderr
        )
        return 1
    print(plane.ready_line(), flush=True)
    stop.wait()
    plane.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
