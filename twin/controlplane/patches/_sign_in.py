"""One way to wrap Cognito's two sign-in entry points, InitiateAuth and AdminInitiateAuth.

Several patches check or reword a sign-in; each gives a `SignInCheck` that receives the call to make (the
next wrapper, or moto), the app client (None when moto will answer "not found" itself), the flow, the
auth parameters and whether the admin API was used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from moto.cognitoidp.exceptions import ResourceNotFoundError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool, CognitoIdpUserPoolClient

from ._guard import replace, require

require(
    "sign_in",
    CognitoIdpBackend,
    [
        ("initiate_auth", ("self", "client_id", "auth_flow", "auth_parameters")),
        ("admin_initiate_auth", ("self", "user_pool_id", "client_id", "auth_flow", "auth_parameters")),
    ],
)


class SignInCheck(Protocol):
    def __call__(
        self,
        call: Callable[[], dict[str, Any]],
        client: CognitoIdpUserPoolClient | None,
        auth_flow: str,
        params: dict[str, str],
        admin: bool,
    ) -> dict[str, Any]: ...


def find_client(backend: CognitoIdpBackend, client_id: str) -> CognitoIdpUserPoolClient | None:
    pool = next((p for p in backend.user_pools.values() if client_id in p.clients), None)
    return pool.clients[client_id] if pool else None


def pool_and_client(
    backend: CognitoIdpBackend, client_id: str, pool_id: str | None = None
) -> tuple[CognitoIdpUserPool, CognitoIdpUserPoolClient]:
    """The app client `client_id` and its pool (`pool_id` when the call names one); ResourceNotFound otherwise."""
    pool: CognitoIdpUserPool | None
    if pool_id is not None:
        pool = backend.describe_user_pool(pool_id)
    else:
        pool = next((p for p in backend.user_pools.values() if client_id in p.clients), None)
    if pool is None or client_id not in pool.clients:
        raise ResourceNotFoundError(client_id)
    return pool, pool.clients[client_id]


def wrap_sign_ins(check: SignInCheck, tag: str) -> None:
    """Run `check` around every InitiateAuth and AdminInitiateAuth (the last wrapper installed runs first)."""

    def initiate(original: Callable[..., Any]) -> Callable[..., Any]:
        def initiate_auth(
            self: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
        ) -> dict[str, Any]:
            return check(
                lambda: original(self, client_id, auth_flow, auth_parameters),
                find_client(self, client_id),
                auth_flow,
                auth_parameters or {},
                False,
            )

        return initiate_auth

    def admin_initiate(original: Callable[..., Any]) -> Callable[..., Any]:
        def admin_initiate_auth(
            self: CognitoIdpBackend, user_pool_id: str, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
        ) -> dict[str, Any]:
            pool = self.user_pools.get(user_pool_id)
            return check(
                lambda: original(self, user_pool_id, client_id, auth_flow, auth_parameters),
                pool.clients.get(client_id) if pool else None,
                auth_flow,
                auth_parameters or {},
                True,
            )

        return admin_initiate_auth

    replace(CognitoIdpBackend, "initiate_auth", initiate, tag)
    replace(CognitoIdpBackend, "admin_initiate_auth", admin_initiate, tag)
