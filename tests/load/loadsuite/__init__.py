"""The load suite's library: Cognito token pool, scenarios, shapes, SLO gates and reports.

Imported by `tests/load/locustfile.py` (Locust puts that folder on sys.path) and by the tests in
`tests/load/`, so it is a plain package next to them rather than part of `fixtures/`.
"""
