"""CORS origin classes and header rules, on hand-written header sets (good and bad)."""

from __future__ import annotations

import pytest

from fixtures.posture.cors import (
    CorsExpectation,
    HostileKind,
    actual_findings,
    header_list,
    hostile_findings,
    hostile_origins,
    origin_allowed,
    preflight_findings,
    wildcard_findings,
)
from fixtures.posture.routes import concrete_route, concrete_routes
from tests.e2e import test_cors

APP = "https://app.learninghub.test"
EXPECT = CorsExpectation(
    origins=(APP,),
    methods=("GET", "POST", "OPTIONS"),
    headers=("authorization", "content-type"),
    max_age=300,
    credentials=False,
)
GOOD_PREFLIGHT = {
    "Access-Control-Allow-Origin": APP,
    "Access-Control-Allow-Methods": "GET,OPTIONS,POST",
    "Access-Control-Allow-Headers": "authorization,content-type",
    "Access-Control-Max-Age": "300",
}


def by_kind(origin: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for h in hostile_origins(origin):
        out.setdefault(h.kind, []).append(h.origin)
    return out


def test_hostile_origins_cover_every_corscanner_class() -> None:
    kinds = by_kind(APP)
    assert kinds["reflect_origin"] == ["https://evil.com"]
    assert kinds["prefix_match"] == ["https://app.learninghub.test.evil.com"]
    assert kinds["trust_null"] == ["null"]
    assert kinds["trust_any_subdomain"] == ["https://evil.app.learninghub.test"]
    assert kinds["https_trust_http"] == ["http://app.learninghub.test"]
    assert set(kinds["suffix_match"]) == {"https://evillearninghub.test", "https://evilapp.learninghub.test"}
    assert set(kinds["include_match"]) == {"https://earninghub.test", "https://pp.learninghub.test"}
    assert set(kinds["not_escape_dot"]) == {"https://appalearninghub.test", "https://app.learninghubatest"}
    assert kinds["parent_domain"] == ["https://learninghub.test"]
    assert kinds["other_port"] == ["https://app.learninghub.test:444"]
    assert "https://app.learninghub.test_.evil.com" in kinds["special_characters_bypass"]
    assert "https://app.learninghub.test%60.evil.com" in kinds["special_characters_bypass"]
    assert len(kinds["special_characters_bypass"]) == 22
    assert "https://codepen.io" in kinds["custom_third_parties"]
    assert {"http://localhost:3000", "http://127.0.0.1:5173"} <= set(kinds["local_dev_server"])


def test_every_kind_the_builder_makes_is_parametrized() -> None:
    # Origins of every shape the builder branches on: https and http, a name, IPv4, IPv6, a port.
    made = {
        h.kind
        for origin in (APP, "http://localhost:3000", "https://127.0.0.1:8443", "https://[::1]:8443")
        for h in hostile_origins(origin)
    }
    assert made == set(HostileKind), f"kinds never built: {sorted(set(HostileKind) - made)}"
    marks = test_cors.test_hostile_origins_get_no_allow_origin.pytestmark
    parametrized = next(m.args[1] for m in marks if m.name == "parametrize" and m.args[0] == "kind")
    assert set(parametrized) == made and len(parametrized) == len(made)


def test_hostile_origins_never_include_the_allowed_origin_and_are_unique() -> None:
    for origin in (APP, "http://localhost:3000", "https://127.0.0.1:8443"):
        values = [h.origin for h in hostile_origins(origin)]
        assert origin not in values
        assert len(values) == len(set(values))


def test_hostile_origins_keep_the_port_of_the_allowed_origin() -> None:
    kinds = by_kind("http://localhost:3000")
    assert "https_trust_http" not in kinds
    assert kinds["prefix_match"] == ["http://localhost:3000.evil.com"]
    assert kinds["other_port"] == ["http://localhost:3001"]


@pytest.mark.parametrize(
    ("origin", "patterns", "expected"),
    [
        (APP, [APP], True),
        ("https://evil.com", [APP], False),
        ("https://evil.com", ["https://*"], True),
        ("http://evil.com", ["https://*"], False),
        ("null", ["*"], True),
        (APP + ".evil.com", [APP], False),
    ],
)
def test_origin_allowed(origin: str, patterns: list[str], expected: bool) -> None:
    assert origin_allowed(origin, patterns) is expected


def test_header_list_splits_and_lowercases() -> None:
    assert header_list("Authorization, Content-Type ,") == {"authorization", "content-type"}
    assert header_list(None) == set()


def pre(
    headers: dict[str, str], status: int = 204, method: str = "POST", expect: CorsExpectation = EXPECT
) -> list[str]:
    return preflight_findings(
        status, headers, where="preflight OPTIONS /exams", origin=APP, method=method, expect=expect
    )


def test_good_preflight_has_no_findings() -> None:
    assert pre(GOOD_PREFLIGHT) == []
    assert pre({k.lower(): v for k, v in GOOD_PREFLIGHT.items()}, status=200) == []


@pytest.mark.parametrize(
    ("change", "status", "needle"),
    [
        ({}, 401, "carries the JWT authorizer"),
        ({}, 404, "instead of 2xx"),
        ({"Access-Control-Allow-Origin": None}, 204, "has no Access-Control-Allow-Origin"),
        ({"Access-Control-Allow-Origin": "*"}, 204, "replace '*'"),
        ({"Access-Control-Allow-Methods": "GET"}, 204, "lacks POST"),
        ({"Access-Control-Allow-Headers": "content-type"}, 204, "lacks ['authorization']"),
        ({"Access-Control-Max-Age": "0"}, 204, "Max-Age '0'"),
        ({"Access-Control-Allow-Credentials": "true"}, 204, "allows credentials"),
        ({"Access-Control-Allow-Methods": "GET,POST,DELETE"}, 204, "methods ['DELETE']"),
        ({"Access-Control-Allow-Headers": "authorization,content-type,x-admin"}, 204, "headers ['x-admin']"),
    ],
)
def test_bad_preflight_is_reported(change: dict[str, str | None], status: int, needle: str) -> None:
    headers = {**GOOD_PREFLIGHT, **change}
    findings = pre({k: v for k, v in headers.items() if v is not None}, status=status)
    assert any(needle in f for f in findings), findings
    assert all("\n" not in f for f in findings)


def test_preflight_star_is_fine_only_when_configured_without_credentials() -> None:
    star = CorsExpectation(origins=("*",), methods=("*",), headers=("*",), max_age=0, credentials=False)
    assert (
        pre(
            {
                **GOOD_PREFLIGHT,
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": "*",
                "Access-Control-Allow-Headers": "*",
            },
            expect=star,
        )
        == []
    )


def test_credentials_expected_but_missing() -> None:
    cred = CorsExpectation(
        origins=(APP,), methods=EXPECT.methods, headers=EXPECT.headers, max_age=300, credentials=True
    )
    assert any("instead of 'true'" in f for f in pre(GOOD_PREFLIGHT, expect=cred))
    assert pre({**GOOD_PREFLIGHT, "Access-Control-Allow-Credentials": "true"}, expect=cred) == []


def test_actual_response_rules() -> None:
    where = "GET /me"
    assert actual_findings({"Access-Control-Allow-Origin": APP}, where=where, origin=APP, expect=EXPECT) == []
    assert actual_findings({}, where=where, origin=APP, expect=EXPECT)
    # A backend's own CORS headers leaking past the gateway (duplicates are joined by the client).
    leaked = {"Access-Control-Allow-Origin": f"{APP}, *"}
    assert actual_findings(leaked, where=where, origin=APP, expect=EXPECT)
    assert actual_findings(
        {"Access-Control-Allow-Origin": APP, "Access-Control-Allow-Methods": "PUT"},
        where=where,
        origin=APP,
        expect=EXPECT,
    )
    expose = CorsExpectation(
        origins=(APP,),
        methods=EXPECT.methods,
        headers=EXPECT.headers,
        max_age=300,
        credentials=False,
        expose_headers=("x-request-id",),
    )
    ok = {"Access-Control-Allow-Origin": APP, "Access-Control-Expose-Headers": "x-request-id"}
    assert actual_findings(ok, where=where, origin=APP, expect=expose) == []
    bad = {"Access-Control-Allow-Origin": APP, "Access-Control-Expose-Headers": "x-request-id, x-internal"}
    assert any("x-internal" in f for f in actual_findings(bad, where=where, origin=APP, expect=expose))


def test_hostile_rules() -> None:
    evil = "https://evil.com"
    assert hostile_findings({}, where="GET /health", origin=evil) == []
    assert any(
        "reflects it" in f
        for f in hostile_findings({"access-control-allow-origin": evil}, where="GET /health", origin=evil)
    )
    assert any(
        "answers '*'" in f
        for f in hostile_findings({"access-control-allow-origin": "*"}, where="GET /health", origin=evil)
    )
    assert hostile_findings({"access-control-allow-credentials": "true"}, where="GET /health", origin=evil)


def test_wildcard_rule() -> None:
    assert wildcard_findings({"Access-Control-Allow-Origin": APP}, where="w", why="production") == []
    assert wildcard_findings({"Access-Control-Allow-Origin": "*"}, where="w", why="production")


def test_concrete_routes() -> None:
    assert concrete_route("GET /courses/{courseId}", {"courseId": "9001"}).path == "/courses/9001"
    assert concrete_route("GET /exams/{examId}").path == "/exams/1"
    assert concrete_route("GET /files/{proxy+}").path == "/files/1"
    routes = concrete_routes(["GET /health", "$default", "ANY /x", "POST /exams"])
    assert [(r.method, r.path) for r in routes] == [("GET", "/health"), ("POST", "/exams")]
