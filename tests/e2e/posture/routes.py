"""Route keys from the env file ("GET /courses/{courseId}") turned into requests the checks can send."""

from __future__ import annotations

import re
from collections.abc import Mapping
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
