"""The fault catalogue: importing this package registers every fault (one module per e2e area).

A module may declare `MUST_SAY`: fault name -> text (case-insensitive) that a failing e2e check's
message must contain for the self-test to count the fault as caught, where a failure elsewhere in
the area would not prove the check meant for it works (docs/faults.md).
"""

from twin.faults.catalogue import authorizer, cognito, cors, identity_pool, network, permissions, sqlserver

MODULES = (authorizer, cognito, cors, identity_pool, network, permissions, sqlserver)
MUST_SAY: dict[str, str] = {name: text for m in MODULES for name, text in getattr(m, "MUST_SAY", {}).items()}

__all__ = ["MUST_SAY", "authorizer", "cognito", "cors", "identity_pool", "network", "permissions", "sqlserver"]
