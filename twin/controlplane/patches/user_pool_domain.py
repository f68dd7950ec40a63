"""CreateUserPoolDomain refusals: a prefix taken by another pool, a pool that has a domain, a malformed prefix.

Hand-written: moto 5.2.5 stores any domain and silently moves a taken prefix to the new pool, which would hand
one pool's hosted endpoints (`twin/controlplane/hosted/`) to another. Cognito refuses with
InvalidParameterException (messages and sources: README, "Hosted endpoints"). A custom domain (with
CustomDomainConfig) is a host name and is not checked against the prefix pattern.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from moto.cognitoidp.exceptions import InvalidParameterException
from moto.cognitoidp.models import CognitoIdpBackend, cognitoidp_backends

from ._guard import replace, require

require(
    "user_pool_domain",
    CognitoIdpBackend,
    [("create_user_pool_domain", ("self", "user_pool_id", "domain", "custom_domain_config"))],
)

PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$")
INVALID = (
    "The domain name contains an invalid character. Domain names can only contain lower-case letters, "
    "numbers, and hyphens. Please enter a different name that follows this format: "
    r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$"
)
TAKEN = "Domain already associated with another user pool."
HAS_ONE = "User pool already has a domain configured."


def _taken(region: str, domain: str) -> bool:
    """Prefixes are unique per region across accounts."""
    for account_backends in list(cognitoidp_backends.values()):
        backend = dict(account_backends).get(region)  # only backends that exist: no new ones made here
        if backend is not None and domain in backend.user_pool_domains:
            return True
    return False


def _checked(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_user_pool_domain(
        self: CognitoIdpBackend, user_pool_id: str, domain: str, custom_domain_config: dict[str, str] | None = None
    ) -> Any:
        pool = self.describe_user_pool(user_pool_id)  # an unknown pool: moto's ResourceNotFoundException
        if not custom_domain_config and not PREFIX.match(domain or ""):
            raise InvalidParameterException(INVALID)
        if _taken(self.region_name, domain):
            raise InvalidParameterException(TAKEN)
        if pool.domain is not None:
            raise InvalidParameterException(HAS_ONE)
        return original(self, user_pool_id, domain, custom_domain_config)

    return create_user_pool_domain


def apply() -> None:
    replace(CognitoIdpBackend, "create_user_pool_domain", _checked, "user_pool_domain")
