"""API Gateway v2 UpdateRoute: an explicitly empty AuthorizationScopes list clears the route's scopes.

Hand-written: moto 5.2.5's `Route.update` skips every falsy argument, so `AuthorizationScopes=[]`
reads as "not given" and the old scopes stay. On AWS the list given replaces the stored one, so an
empty list leaves the route with no scopes. The response layer passes None for a field that is
absent from the request, which tells "not given" apart from "given empty"; this wrapper stores the
cleared state after moto's update. A cleared route reads like a route created without scopes
(GetRoute omits AuthorizationScopes). Request models and parameters are left to moto: whether an
empty map clears them is not confirmed for HTTP APIs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, cast

from moto.apigatewayv2.models import Route

from ._guard import replace, require

ROUTE_UPDATE_PARAMS = (
    "self", "api_key_required", "authorization_scopes", "authorization_type", "authorizer_id",
    "model_selection_expression", "operation_name", "request_models", "request_parameters", "route_key",
    "route_response_selection_expression", "target",
)  # fmt: skip
require("apigw_routes", Route, [("update", ROUTE_UPDATE_PARAMS)])


class _Scopes(Protocol):
    # moto annotates list[str], yet a route created without scopes holds None (and GetRoute omits the member).
    authorization_scopes: list[str] | None


def _clearing_update(original: Callable[..., None]) -> Callable[..., None]:
    def update(self: Route, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if kwargs.get("authorization_scopes") == []:
            cast(_Scopes, self).authorization_scopes = None

    return update


def apply() -> None:
    replace(Route, "update", _clearing_update, "apigw_routes")
