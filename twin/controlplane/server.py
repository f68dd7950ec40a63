"""Run the control plane (moto + gap layer) on a loopback port in a background thread.

`start_control_plane()` is the in-process API for tests; `python -m twin.controlplane` wraps it.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from dataclasses import dataclass, field

import moto
from moto.core.config import default_user_config
from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.serving import BaseWSGIServer, make_server

from . import patches
from .app import ControlPlaneApp
from .warmup import warm_up

LOOPBACK = {"127.0.0.1", "localhost"}


@dataclass
class ControlPlane:
    """A running control plane; `stop()` closes the socket and joins the serving thread."""

    host: str
    port: int
    app: ControlPlaneApp
    _server: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def ready_line(self) -> str:
        return "READY " + json.dumps({"url": self.url, "port": self.port, "moto": moto.__version__})

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def start_control_plane(host: str = "127.0.0.1", port: int = 0, warm: bool = True) -> ControlPlane:
    """Bind host:port (0 = a free port), apply the gap layer, warm moto up and serve in a thread.

    Raises OSError when the port cannot be bound.
    """
    if host not in LOOPBACK:
        raise ValueError(f"the control plane binds loopback only, not {host!r}")
    # Bind first (a busy port fails fast) and here, not in werkzeug: werkzeug prints two lines and
    # exits on a busy port. werkzeug serves a duplicate of the descriptor.
    with socket.create_server(("127.0.0.1", port)) as listener:
        patches.apply_all()
        # Lambda code never runs in moto (the twin's Lambda runner runs it), so keep moto off Docker.
        default_user_config["lambda"]["use_docker"] = False
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request; errors still show
        app = ControlPlaneApp()
        if warm:
            warm_up(app.moto)
        server = make_server(
            "127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler, fd=listener.fileno()
        )
    thread = threading.Thread(target=server.serve_forever, name="twin-controlplane", daemon=True)
    thread.start()
    return ControlPlane(host="127.0.0.1", port=server.socket.getsockname()[1], app=app, _server=server, _thread=thread)
