"""Pure helpers for the posture and CORS checks: each takes what AWS describes and returns findings.

Findings are sentences that say what is wrong in the deployment and how to fix it, so the e2e tests
only fetch, call a helper and assert that the list is empty. Nothing here talks to the network,
which is what lets tests/unit/posture exercise every rule with good and bad documents.
"""
