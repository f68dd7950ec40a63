"""Which pool domain a request is for, and which hosted endpoint it names.

The twin has no DNS for amazoncognito.com, so a domain is reached two ways (both loopback):

- path prefix: `{control_url}/hosted/{domain}/oauth2/token` (what the env file and the discovery document name);
- Host header: `Host: {domain}.auth.{region}.amazoncognito.com` with the path as on AWS (`/oauth2/token`), for
  clients that keep AWS's URLs and only change the address they connect to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PREFIX = "/hosted/"
ENDPOINTS = ("/oauth2/authorize", "/oauth2/token", "/oauth2/userInfo", "/oauth2/revoke", "/login", "/logout", "/error")
DOMAIN = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"  # CreateUserPoolDomain's prefix pattern, lower-case
PATH = re.compile(rf"^/hosted/(?P<domain>{DOMAIN})(?P<endpoint>/.*)$")
HOST = re.compile(rf"^(?P<domain>{DOMAIN})\.auth\.[a-z]{{2}}(?:-[a-z]+)+-\d\.amazoncognito\.com(?::\d+)?$")


@dataclass(frozen=True)
class HostedRoute:
    domain: str
    endpoint: str  # one of ENDPOINTS
    base_url: str  # where this domain's endpoints are, as the client reached them (redirects point here)
    cookie_path: str


def route(environ: dict[str, Any]) -> HostedRoute | None:
    """The hosted endpoint a request names, or None when it is no hosted-endpoint request."""
    path: str = environ.get("PATH_INFO", "")
    host: str = environ.get("HTTP_HOST", "127.0.0.1")
    by_host = HOST.match(host.lower())
    if by_host is not None and path in ENDPOINTS:
        return HostedRoute(by_host["domain"], path, f"http://{host}", "/")
    by_path = PATH.match(path)
    if by_path is not None and by_path["endpoint"] in ENDPOINTS:
        base = f"http://{host}{PREFIX}{by_path['domain']}"
        return HostedRoute(by_path["domain"], by_path["endpoint"], base, f"{PREFIX}{by_path['domain']}/")
    return None


def base_url(control_host: str, domain: str) -> str:
    """The path-prefix form of a domain's endpoints on a control plane reached at `control_host`."""
    return f"http://{control_host}{PREFIX}{domain}"
