"""The twin's control plane: moto in server mode plus the tested layer that closes moto's gaps."""

from .server import ControlPlane, start_control_plane

__all__ = ["ControlPlane", "start_control_plane"]
