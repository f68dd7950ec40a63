"""Helpers of the hosted-endpoint tests (test_oauth_*.py): a pool with a domain, a resource server, an SPA
client (code + PKCE), an M2M client (client credentials) and a user; a browser-like sign-in through the real
login form over HTTP."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests

REGION = "us-east-1"
PASSWORD = "Str0ng#Passw0rd!"
CALLBACK = "https://app.example.test/callback"
LOGOUT = "https://app.example.test/"
RESOURCE = "learninghub"
READ = f"{RESOURCE}/courses.read"
WRITE = f"{RESOURCE}/courses.write"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class OAuthPool:
    id: str
    domain: str
    base: str  # the domain's endpoints on the control plane
    spa_id: str
    m2m_id: str
    m2m_secret: str
    username: str
    sub: str
    password: str = PASSWORD

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{REGION}.amazonaws.com/{self.id}"


def make_oauth_pool(idp: Any, control_url: str, **spa: Any) -> OAuthPool:
    suffix = uuid.uuid4().hex[:8]
    pool_id = idp.create_user_pool(PoolName=f"oauth-{suffix}")["UserPool"]["Id"]
    domain = f"oauth-test-{suffix}"
    idp.create_user_pool_domain(Domain=domain, UserPoolId=pool_id)
    idp.create_resource_server(
        UserPoolId=pool_id,
        Identifier=RESOURCE,
        Name="LearningHub API",
        Scopes=[
            {"ScopeName": "courses.read", "ScopeDescription": "read"},
            {"ScopeName": "courses.write", "ScopeDescription": "write"},
        ],
    )
    settings: dict[str, Any] = {
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid", "email", "profile", READ],
        "AllowedOAuthFlowsUserPoolClient": True,
        "CallbackURLs": [CALLBACK],
        "LogoutURLs": [LOGOUT],
        "SupportedIdentityProviders": ["COGNITO"],
        "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        **spa,
    }
    spa_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="spa", GenerateSecret=False, **settings)[
        "UserPoolClient"
    ]["ClientId"]
    m2m = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="m2m",
        GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[READ],
        AllowedOAuthFlowsUserPoolClient=True,
    )["UserPoolClient"]
    username = f"user-{suffix}"
    user = idp.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@example.test"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )["User"]
    idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True)
    sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
    return OAuthPool(
        pool_id, domain, f"{control_url}/hosted/{domain}", spa_id, m2m["ClientId"], m2m["ClientSecret"], username, sub
    )


def pkce() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method: str | None = None
        self.fields: dict[str, dict[str, str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action, self.method = values.get("action"), values.get("method")
        elif tag == "input" and "name" in values:
            self.fields[values["name"]] = values


def parse_form(html: str) -> _Form:
    form = _Form()
    form.feed(html)
    return form


def authorize_params(pool: OAuthPool, **params: str) -> dict[str, str]:
    return {"response_type": "code", "client_id": pool.spa_id, "redirect_uri": CALLBACK, **params}


def login(
    browser: requests.Session, pool: OAuthPool, username: str | None = None, password: str | None = None, **params: str
) -> requests.Response:
    """GET /oauth2/authorize, follow to the login page, post its form; the answer after the post (a redirect)."""
    first = browser.get(f"{pool.base}/oauth2/authorize", params=authorize_params(pool, **params), allow_redirects=False)
    assert first.status_code == 302, first.text
    page = browser.get(first.headers["Location"], allow_redirects=False)
    assert page.status_code == 200, page.text
    form = parse_form(page.text)
    assert form.method == "post" and form.action
    data = {name: attrs.get("value", "") for name, attrs in form.fields.items() if attrs.get("type") == "hidden"}
    data.update(username=username or pool.username, password=password or pool.password)
    return browser.post(form.action, data=data, allow_redirects=False)


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def fragment_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}


def code_for(pool: OAuthPool, **params: str) -> str:
    answer = login(requests.Session(), pool, **params)
    assert answer.status_code == 302, answer.text
    return query_of(answer.headers["Location"])["code"]


def token_request(
    pool: OAuthPool, data: dict[str, str], auth: tuple[str, str] | None = None, headers: dict[str, str] | None = None
) -> requests.Response:
    return requests.post(
        f"{pool.base}/oauth2/token", data=urlencode(data), auth=auth, headers={**FORM, **(headers or {})}, timeout=10
    )


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})
