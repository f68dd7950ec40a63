"""Refuse to patch a moto that is not the one the patches were written against.

Hand-written: each patch replaces a moto method by name; a different moto release may rename it,
change its arguments or fix the gap itself, and a silent mismatch would make the twin lie. So every
patch module calls `require` at import: the moto version must be the pinned one and each attribute
it replaces must exist with the expected parameter names. Anything else stops the control plane.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any, TypeVar

import moto

# A moto method or function as a patch sees it; each patch's `make` names the signature it wraps.
F = TypeVar("F", bound=Callable[..., Any])

PINNED_MOTO = "5.2.5"


class MotoMismatch(RuntimeError):
    """The installed moto is not the one a patch was written for."""


def require(patch: str, owner: type, attrs: Iterable[tuple[str, tuple[str, ...] | None]]) -> None:
    """Check the moto version and that `owner` still has each attribute with these parameters.

    `attrs` holds (name, parameter names or None to skip the signature check).
    """
    if moto.__version__ != PINNED_MOTO:
        raise MotoMismatch(f"{patch}: written for moto {PINNED_MOTO}, found {moto.__version__}; re-check the patch")
    for name, params in attrs:
        target = getattr(owner, name, None)
        if target is None:
            raise MotoMismatch(f"{patch}: {owner.__qualname__}.{name} is missing in moto {moto.__version__}")
        if params is not None:
            found = tuple(inspect.signature(_unwrap(target)).parameters)
            if found != params:
                raise MotoMismatch(f"{patch}: {owner.__qualname__}.{name} takes {found}, the patch expects {params}")


def _unwrap(fn: Callable[..., Any]) -> Callable[..., Any]:
    # A patch may already wrap the method (patches compose); check the moto original.
    return getattr(fn, "__twin_original__", fn)


def replace(owner: type | ModuleType, name: str, make: Callable[[F], F], tag: str) -> None:
    """Replace owner.name by make(current); idempotent per tag so a second apply is a no-op."""
    current: F = getattr(owner, name)  # `make` says what it wraps; `require` has checked the parameters
    if tag in getattr(current, "__twin_tags__", ()):
        return
    new = make(current)
    # Marks on the function object itself (its __dict__), where _unwrap and the next replace look.
    vars(new).update(__twin_original__=_unwrap(current), __twin_tags__=(*getattr(current, "__twin_tags__", ()), tag))
    setattr(owner, name, new)


def add(owner: type, name: str, fn: Callable[..., Any]) -> None:
    """Add a method moto lacks; refuse if moto now has one (then the patch is stale)."""
    existing = getattr(owner, name, None)
    if existing is not None and not getattr(existing, "__twin_added__", False):
        raise MotoMismatch(f"{owner.__qualname__}.{name} now exists in moto; drop the twin's version")
    vars(fn)["__twin_added__"] = True
    setattr(owner, name, fn)
