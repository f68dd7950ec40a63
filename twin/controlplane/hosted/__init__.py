"""Cognito's user pool endpoints under a pool's domain: /oauth2/authorize, /login, /oauth2/token,
/oauth2/userInfo, /oauth2/revoke, /logout and /error (moto 5.2.5 serves none of them).

Hand-written, split as moto splits a service: `routing` finds the domain a request is for, `rules` decides
(pure checks of an OAuth request against the app client), `state` keeps codes, sign-in sessions and grants
on the moto user pool (a moto reset drops them), `issue` mints the tokens with the pool's own keys, `page`
renders the login form, and `endpoints` is the HTTP protocol. What each behaviour rests on:
twin/controlplane/README.md, "Hosted endpoints".
"""

from __future__ import annotations

from .routing import HostedRoute, route

__all__ = ["HostedRoute", "route"]
