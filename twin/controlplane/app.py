"""The control plane's WSGI app: /_twin/*, per-pool OIDC documents, the pools' hosted endpoints (`hosted/`),
outages and throttling in front of moto.

Hand-written: a few lines of dispatch; everything else goes to moto's own server app unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.wrappers import Request, Response

from . import hosted, oidc, twin_api
from .hosted import endpoints as hosted_endpoints
from .outage import Outages, error_answer
from .throttle import ERROR_BODY, ERROR_HEADERS, Throttle

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# X-Amz-Target prefix of the JSON 1.1 services. Cognito's InitiateAuth, RespondToAuthChallenge and
# GetTokensFromRefreshToken (and the identity pool's GetId) are unsigned, so the target is the only name they carry.
TARGETS = {
    "AWSCognitoIdentityProviderService.": "cognito-idp",
    "AWSCognitoIdentityService.": "cognito-identity",
    "Logs_20140328.": "logs",
    "secretsmanager.": "secretsmanager",
}
# The service of a SigV4 credential scope: Credential=AKID/20250101/us-east-1/lambda/aws4_request.
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")
SIGNING_NAMES = {"apigateway": "apigatewayv2"}  # API Gateway v2 signs as apigateway; the twin serves only v2


def aws_call(environ: dict[str, Any]) -> tuple[str | None, str | None]:
    """(service, operation) of an AWS API call; the operation only where X-Amz-Target names it."""
    target: str = environ.get("HTTP_X_AMZ_TARGET") or ""
    for prefix, service in TARGETS.items():
        if target.startswith(prefix):
            return service, target[len(prefix) :]
    scope = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION") or "")
    if scope is None:
        return None, None
    return SIGNING_NAMES.get(scope[1], scope[1]), None


class ControlPlaneApp:
    def __init__(self) -> None:
        self.moto: WSGIApp = DomainDispatcherApplication(create_backend_app)
        self.throttle = Throttle()
        self.outages = Outages()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if path.startswith("/_twin/"):
            return twin_api.handle(Request(environ), self.throttle, self.outages)(environ, start_response)
        hosted_route = hosted.route(environ)
        if hosted_route is not None:  # a browser or OAuth client, not an AWS API call: no outage, no throttle
            return hosted_endpoints.handle(Request(environ), hosted_route)(environ, start_response)
        if "/.well-known/" in path:
            found = oidc.document(path, environ.get("HTTP_HOST", "127.0.0.1"))
            if found is not None:
                status, body = oidc.render(found)
                return Response(body, status=status, content_type="application/json")(environ, start_response)
        service, operation = aws_call(environ)
        if self.outages.hit(service):
            status, headers, body = error_answer(str(service))
            return Response(body, status=status, headers=headers)(environ, start_response)
        if self.throttle.should_throttle(service, operation):
            return Response(ERROR_BODY, status=400, headers=ERROR_HEADERS)(environ, start_response)
        return self.moto(environ, start_response)
