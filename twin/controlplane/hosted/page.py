"""The HTML of the login and error pages.

The form's fields are those of Cognito's classic hosted UI, which scripts and browser tests fill in: it posts
to the same /login URL (the authorize parameters stay in the query) with `_csrf` (hidden, equal to the
XSRF-TOKEN cookie), `username`, `password` and `signInSubmitButton`. Every value is HTML-escaped.
"""

from __future__ import annotations

from html import escape

STYLE = "body{font-family:sans-serif;max-width:24rem;margin:3rem auto}label,input{display:block;width:100%}"


def login_page(action: str, csrf: str, client_name: str, message: str | None = None, username: str = "") -> str:
    error = f'<p id="loginErrorMessage" class="errorMessage" role="alert">{escape(message)}</p>' if message else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Signin</title><style>{STYLE}</style></head>
<body>
<h1>Sign in to {escape(client_name)}</h1>
{error}
<form name="cognitoSignInForm" method="post" action="{escape(action)}">
<input type="hidden" name="_csrf" value="{escape(csrf)}">
<label for="signInFormUsername">Username</label>
<input id="signInFormUsername" name="username" type="text" autocapitalize="none" required value="{escape(username)}">
<label for="signInFormPassword">Password</label>
<input id="signInFormPassword" name="password" type="password" required>
<input name="signInSubmitButton" type="submit" value="Sign in">
</form>
</body></html>
"""


def error_page() -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Error</title><style>{STYLE}</style></head>
<body><h1>An error was encountered with the requested page.</h1></body></html>
"""
