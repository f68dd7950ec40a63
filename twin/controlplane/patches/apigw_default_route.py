"""API Gateway v2 UpdateRoute: the `$default` route keeps its route key.

Hand-written: moto 5.2.5 lets UpdateRoute give any route a new RouteKey. AWS documents that "the
$default route key can't be modified. You can add routes after creating the API, and you can update
the route keys of additional routes" (CreateApi RouteKey). So the `$default` route that quick
create makes cannot be turned into `GET /courses`; a new route must be created instead. The
refusal is a BadRequestException (HTTP 400), AWS's error for invalid input; its message is the
twin's own wording. Every other field of the `$default` route can still be updated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.apigatewayv2.exceptions import BadRequestException
from moto.apigatewayv2.models import Route

from ._guard import replace, require
from .apigw_routes import ROUTE_UPDATE_PARAMS

require("apigw_default_route", Route, [("update", ROUTE_UPDATE_PARAMS)])
DEFAULT = "$default"


def _keeping_default_key(original: Callable[..., None]) -> Callable[..., None]:
    def update(self: Route, *args: Any, **kwargs: Any) -> None:
        new_key = kwargs.get("route_key")
        if self.route_key == DEFAULT and new_key and new_key != DEFAULT:
            raise BadRequestException("The $default route key can't be modified.")
        original(self, *args, **kwargs)

    return update


def apply() -> None:
    replace(Route, "update", _keeping_default_key, "apigw_default_route")
