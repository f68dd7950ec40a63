"""The refusals of the hosted endpoints, as data: the HTTP layer (`endpoints.py`) renders them."""

from __future__ import annotations


class OAuthError(Exception):
    """A JSON answer `{"error": code}` (token, revoke) or a `?error=code` redirect (authorize)."""

    def __init__(self, code: str, status: int = 400, description: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.description = description


class ErrorPage(Exception):
    """No redirect is safe (unknown client, unregistered redirect_uri): Cognito sends the browser to its own
    `/error?error=<code>&client_id=<id>` page."""

    def __init__(self, code: str, client_id: str) -> None:
        super().__init__(code)
        self.code = code
        self.client_id = client_id
