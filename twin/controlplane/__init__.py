"""The twin's control plane: moto in server mode plus the tested layer that closes moto's gaps.

`start_control_plane()` / `ControlPlane` are imported lazily, so `python -m twin.controlplane` can
answer bad input (or a moto that is not the pinned one) with one line before moto is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import ControlPlane, start_control_plane

__all__ = ["ControlPlane", "start_control_plane"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
