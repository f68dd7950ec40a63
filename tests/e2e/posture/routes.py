"""Route keys from the env file ("GET /courses/{courseId}") turned into requests the checks can send.

The keys are parsed by `fixtures.routes`; here a parameter without a value takes any value
(`Missing.ANY_VALUE`): CORS answers and preflights do not depend on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fixtures.routes import Missing, RouteKey, param_name, parse_route_key


@dataclass(frozen=True)
class Route:
    key: str
    method: str
    path: str


def concrete_route(key: str, path_values: Mapping[str, str] | None = None) -> Route:
    """Fill each path parameter with the env's value for it, or any value (any value reaches the route)."""
    method, path = parse_route_key(key).request(path_values, missing=Missing.ANY_VALUE)
    return Route(key=key, method=method, path=path)


def concrete_routes(keys: list[str], path_values: Mapping[str, str] | None = None) -> list[Route]:
    """Routes a browser can call: `$default` and `ANY` keys are skipped (no single method to preflight)."""
    parsed = [parse_route_key(k) for k in keys]
    return [concrete_route(r.key, path_values) for r in parsed if r.method not in (None, "ANY")]


UNMATCHED_SEGMENT = "e2e-unmatched"
DEFAULT_METHODS = ("GET", "POST")
CATCH_ALL_METHODS = ("ANY", "OPTIONS")


def preflight_routes(
    keys: list[str], path_values: Mapping[str, str] | None = None, cors_methods: Iterable[str] = ()
) -> list[Route]:
    """Routes to preflight. An `ANY` key and `$default` match OPTIONS themselves, so their authorizer, not
    API Gateway's automatic preflight, answers it: each becomes one preflight per method the browser may
    send (the CORS-allowed ones; GET and POST under '*'), `$default` at a path no other route takes."""
    listed = [m.upper() for m in cors_methods if m.upper() != "OPTIONS"]
    methods = [m for m in listed if m != "*"]
    if "*" in listed or not methods:
        methods = list(dict.fromkeys([*DEFAULT_METHODS, *methods]))
    parsed = [parse_route_key(k) for k in keys]
    out: list[Route] = []
    for route in parsed:
        if route.is_default:
            path = _unmatched_path(parsed)
            out += [Route(key=route.key, method=m, path=path) for m in methods] if path else []
        elif route.method == "ANY":
            path = concrete_route(route.key, path_values).path
            out += [Route(key=route.key, method=m, path=path) for m in methods]
        else:
            out.append(concrete_route(route.key, path_values))
    return out


def _unmatched_path(routes: list[RouteKey]) -> str | None:
    """A path deeper than every fixed template, so an OPTIONS request there reaches `$default`; None when
    a greedy ANY/OPTIONS route ({proxy+}) takes every such path (that route is preflighted itself)."""
    depth = max((len(r.segments) for r in routes), default=0) + 1
    for route in routes:
        prefix = route.segments[:-1]
        if route.method in CATCH_ALL_METHODS and route.greedy and all(
            param_name(p) or p == UNMATCHED_SEGMENT for p in prefix
        ):
            return None
    return "/" + "/".join([UNMATCHED_SEGMENT] * depth)
