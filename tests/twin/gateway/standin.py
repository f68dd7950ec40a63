"""A control plane for the gateway's and the runner's tests: moto in server mode, in this process, plus the
contract's `/_twin/health` and `/_twin/lambda/{name}/code` endpoints (read straight from moto's memory).

Used until twin.controlplane lands; it binds 127.0.0.1 on a free port.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
from dataclasses import dataclass
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

ACCOUNT = "123456789012"


def _code_app(app: Any, region: str) -> Any:
    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == "/_twin/health":
            start_response("200 OK", [("content-type", "application/json")])
            return [b'{"status":"ok","moto":"5.2.5"}']
        if path.startswith("/_twin/lambda/") and path.endswith("/code"):
            from moto.awslambda.models import lambda_backends

            name = path[len("/_twin/lambda/"):-len("/code")]
            try:
                data = lambda_backends[ACCOUNT][region].get_function(name).code_bytes
            except Exception:
                start_response("404 Not Found", [("content-type", "application/json")])
                return [b'{"message":"function not found"}']
            sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
            start_response("200 OK", [("content-type", "application/zip"), ("x-code-sha256", sha),
                                      ("content-length", str(len(data)))])
            return [data]
        return app(environ, start_response)

    return wrapped


@dataclass
class StandIn:
    url: str
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


def start_standin(region: str = "us-east-1") -> StandIn:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access line per moto call drowns test output
    app = _code_app(DomainDispatcherApplication(create_backend_app), region)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="moto-standin", daemon=True)
    thread.start()
    return StandIn(url=f"http://127.0.0.1:{server.server_port}", server=server, thread=thread)
