"""The control plane's WSGI app: /_twin/*, per-pool OIDC documents and throttling in front of moto.

Hand-written: a few lines of dispatch; everything else goes to moto's own server app unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.wrappers import Request, Response

from . import oidc, twin_api
from .throttle import ERROR_BODY, ERROR_HEADERS, Throttle

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ControlPlaneApp:
    def __init__(self) -> None:
        self.moto: WSGIApp = DomainDispatcherApplication(create_backend_app)
        self.throttle = Throttle()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if path.startswith("/_twin/"):
            return twin_api.handle(Request(environ), self.throttle)(environ, start_response)
        if "/.well-known/" in path:
            found = oidc.document(path, environ.get("HTTP_HOST", "127.0.0.1"))
            if found is not None:
                status, body = oidc.render(found)
                return Response(body, status=status, content_type="application/json")(environ, start_response)
        if self.throttle.should_throttle(environ.get("HTTP_X_AMZ_TARGET")):
            return Response(ERROR_BODY, status=400, headers=ERROR_HEADERS)(environ, start_response)
        return self.moto(environ, start_response)
