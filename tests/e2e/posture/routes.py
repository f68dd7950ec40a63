"""Route keys from the env file ("GET /courses/{courseId}") turned into requests the checks can send."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_PARAM = re.compile(r"\{([^}/]+?)\+?\}")


@dataclass(frozen=True)
class Route:
    key: str
    method: str
    path: str


def concrete_route(key: str, path_values: Mapping[str, str] | None = None) -> Route:
    """Fill each path parameter with the env's value for it, or "1" (any value reaches the route)."""
    method, _, template = key.partition(" ")
    values = path_values or {}
    path = _PARAM.sub(lambda m: values.get(m.group(1), "1"), template)
    return Route(key=key, method=method.upper(), path=path)


def concrete_routes(keys: list[str], path_values: Mapping[str, str] | None = None) -> list[Route]:
    """Routes a browser can call: `$default` and `ANY` keys are skipped (no single method to preflight)."""
    return [concrete_route(k, path_values) for k in keys if " " in k and not k.startswith("ANY ")]


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
    out: list[Route] = []
    for key in keys:
        if key == "$default":
            path = _unmatched_path(keys)
            out += [Route(key=key, method=m, path=path) for m in methods] if path else []
        elif key.upper().startswith("ANY "):
            path = concrete_route(key, path_values).path
            out += [Route(key=key, method=m, path=path) for m in methods]
        elif " " in key:
            out.append(concrete_route(key, path_values))
    return out


def _unmatched_path(keys: list[str]) -> str | None:
    """A path deeper than every fixed template, so an OPTIONS request there reaches `$default`; None when
    a greedy ANY/OPTIONS route ({proxy+}) takes every such path (that route is preflighted itself)."""
    templates = [k.partition(" ")[2] for k in keys if " " in k]
    depth = max((t.count("/") for t in templates), default=0) + 1
    for key in keys:
        method, _, template = key.partition(" ")
        if method.upper() in CATCH_ALL_METHODS and template.endswith("+}"):
            prefix = template.rsplit("/", 1)[0].split("/")[1:]
            if all(_PARAM.fullmatch(p) or p == UNMATCHED_SEGMENT for p in prefix):
                return None
    return "/" + "/".join([UNMATCHED_SEGMENT] * depth)
