"""The fault catalogue: importing this package registers every fault (one module per e2e area)."""

from twin.faults.catalogue import authorizer, cognito, cors, identity_pool, network, permissions, sqlserver

__all__ = ["authorizer", "cognito", "cors", "identity_pool", "network", "permissions", "sqlserver"]
