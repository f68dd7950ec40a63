"""Named, reversible misconfigurations of a twin, each applied through the interfaces a person or a
pipeline would use (boto3 on the control plane, SQL as `sa`, a changed Lambda deploy).

`catalogue()` returns every fault by name; `fault.apply(ctx)` returns the revert, which proves it
restored exactly what was there. See docs/faults.md.
"""

from __future__ import annotations

# Importing the package of faults registers every one. Done here, before `catalogue()` is defined: importing
# a subpackage sets the parent's attribute of that name, which would otherwise replace the function below.
import twin.faults.catalogue  # noqa: F401
from twin.faults.context import FaultContext, Target, read_target
from twin.faults.model import CATALOGUE, Fault, FaultError, FaultUnavailable, NeedsFreshTwin, Revert


def catalogue() -> dict[str, Fault]:
    """Every registered fault by name."""
    return dict(CATALOGUE)


__all__ = [
    "Fault",
    "FaultContext",
    "FaultError",
    "FaultUnavailable",
    "NeedsFreshTwin",
    "Revert",
    "Target",
    "catalogue",
    "read_target",
]
