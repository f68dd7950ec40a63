"""Route selection of an HTTP API: `METHOD /path`, `ANY`, `{param}`, greedy `{proxy+}` and `$default`.

Hand-written because the precedence is API Gateway's, not a web framework's: a full-length match beats a
greedy one, then segment by segment a literal beats a `{param}`, then an explicit method beats ANY; `$default`
only catches what nothing else matches (including OPTIONS, which is why it disables automatic preflight).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict
from urllib.parse import unquote

LITERAL, PARAM = 2, 1


@dataclass(frozen=True)
class Route:
    """One route as the control plane stores it, with its path template split into segments."""

    route_id: str
    route_key: str
    method: str | None  # None for $default
    segments: tuple[str, ...]  # template segments; "{name}" for a parameter
    greedy: str | None  # name of the trailing {name+} parameter
    authorization_type: str
    authorizer_id: str | None
    scopes: tuple[str, ...]
    target: str | None

    @property
    def is_default(self) -> bool:
        return self.method is None

    @property
    def resource_path(self) -> str:
        """The path template as written in the route key ('' for $default)."""
        if self.is_default:
            return ""
        return self.route_key.split(" ", 1)[1]


class _Common(TypedDict):
    """The fields of a Route that do not depend on its key."""

    route_id: str
    route_key: str
    authorization_type: str
    authorizer_id: str | None
    scopes: tuple[str, ...]
    target: str | None


def compile_route(raw: dict[str, object]) -> Route | None:
    """A Route from a get_routes item; None for a key API Gateway would have refused (moto stores anything)."""
    key = str(raw.get("RouteKey") or "")
    scopes = raw.get("AuthorizationScopes") or []
    common: _Common = {
        "route_id": str(raw.get("RouteId") or ""),
        "route_key": key,
        "authorization_type": str(raw.get("AuthorizationType") or "NONE"),
        "authorizer_id": (str(raw["AuthorizerId"]) if raw.get("AuthorizerId") else None),
        "scopes": tuple(str(s) for s in scopes) if isinstance(scopes, list) else (),
        "target": (str(raw["Target"]) if raw.get("Target") else None),
    }
    if key == "$default":
        return Route(method=None, segments=(), greedy=None, **common)
    method, sep, path = key.partition(" ")
    if not sep or not method.isalpha() or method.upper() != method or not path.startswith("/"):
        return None
    parts = [] if path == "/" else path[1:].split("/")
    greedy = None
    if parts and parts[-1].startswith("{") and parts[-1].endswith("+}"):
        greedy = parts.pop()[1:-2]
    if any(p.endswith("+}") for p in parts):
        return None  # a greedy variable is only allowed last
    return Route(method=method, segments=tuple(parts), greedy=greedy, **common)


def _is_param(segment: str) -> bool:
    return len(segment) > 2 and segment[0] == "{" and segment[-1] == "}"


class RouteTable:
    """The routes of one API, ready to match requests."""

    def __init__(self, routes: list[Route]) -> None:
        self.default = next((r for r in routes if r.is_default), None)
        self._paths = [r for r in routes if not r.is_default]

    def match(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for `method raw_path` and its decoded path parameters, or None (-> 404 or preflight)."""
        parts = [] if raw_path in ("", "/") else raw_path[1:].split("/")
        best: tuple[tuple[object, ...], Route, dict[str, str]] | None = None
        for route in self._paths:
            if route.method != method and route.method != "ANY":
                continue
            found = _match_segments(route, parts)
            if found is None:
                continue
            weights, params = found
            rank = (route.greedy is None, weights, route.method != "ANY")
            if best is None or rank > best[0]:
                best = (rank, route, params)
        if best is not None:
            return best[1], best[2]
        if self.default is not None:
            return self.default, {}
        return None


def _match_segments(route: Route, parts: list[str]) -> tuple[tuple[int, ...], dict[str, str]] | None:
    template = route.segments
    if route.greedy is None and len(parts) != len(template):
        return None
    if route.greedy is not None and len(parts) <= len(template):
        return None  # {proxy+} needs at least one segment of its own
    weights = []
    params: dict[str, str] = {}
    for want, got in zip(template, parts, strict=False):
        if _is_param(want):
            if not got:
                return None
            params[want[1:-1]] = unquote(got)
            weights.append(PARAM)
        elif want == got:
            weights.append(LITERAL)
        else:
            return None
    if route.greedy is not None:
        rest = "/".join(parts[len(template) :])
        if not rest:
            return None
        params[route.greedy] = unquote(rest)
    return tuple(weights), params
