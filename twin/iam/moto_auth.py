"""Corrections to moto 5.2.5's IAM enforcement, installed in the control plane only under `--enforce-iam`.

Measured against moto 5.2.5 (moto/core/authorization.py, moto/iam/access_control.py), once enforcement is on:

- Operations AWS serves without a signature (botocore marks them `auth: none`: RespondToAuthChallenge,
  GetCredentialsForIdentity, AssumeRoleWithWebIdentity, ...) crash with HTTP 500 (a KeyError on the missing
  Authorization header) unless moto's short PUBLIC_OPERATIONS list names them. The twin lets every such
  operation of Cognito and STS through, as AWS does: IAM policies do not govern them.
- Any other unsigned request crashes the same way; the twin answers MissingAuthenticationToken (403).
- GET/DELETE requests (REST reads: lambda:GetPolicy, every API Gateway read) never verify: moto signs its own
  parsed-parameters dict as the payload when the body is empty, the client signed an empty payload, so every
  such call is SignatureDoesNotMatch. The twin recomputes the signature over the empty body.
- moto compares every statement's Resource with "*" (it knows no resource for most services), so the twin
  names the user pool for Cognito user pool calls (`arn:aws:cognito-idp:<region>:<account>:userpool/<UserPoolId>`,
  "*" for calls without a pool such as CreateUserPool), letting the CI policy's user pool scoping and its Deny
  on the stack's own pool be checked. Other services still see "*" (see twin.iam.policy.twin_form).
- Refusals are moto's XML error bodies even for JSON services, so botocore finds no error code ("403").
  The twin answers JSON services in their own protocol: AccessDeniedException, UnrecognizedClientException,
  InvalidSignatureException (HTTP 400 for JSON 1.x services, 403 for REST-JSON ones). Query services (IAM,
  STS) keep moto's XML errors, which are already theirs; EC2 says UnauthorizedOperation, as EC2 does.

Hand-written because this is a patch of moto's own method; it is checked against the pinned moto at import,
like the control plane's other patches.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import botocore.session
from botocore.awsrequest import AWSRequest
from moto import settings
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import (
    AccessDeniedError,
    AuthFailureError,
    InvalidClientTokenIdError,
    JsonRESTError,
    SignatureDoesNotMatchError,
)
from moto.iam.access_control import IAMRequest
from moto.utilities.utils import get_partition

from twin.controlplane.patches._guard import MotoMismatch, add, replace, require

PATCH = "twin.iam.moto_auth"
# Services the harness may call without a signature (AWS's unauthenticated APIs); botocore knows which.
UNSIGNED_SERVICES = ("cognito-idp", "cognito-identity", "sts")
# Query-protocol POSTs arrive with the form already parsed into the dict moto signs, which is right for them.
BODYLESS_METHODS = frozenset({"GET", "HEAD", "DELETE"})
_JSON_CODES = {
    AccessDeniedError: "AccessDeniedException",
    InvalidClientTokenIdError: "UnrecognizedClientException",
    SignatureDoesNotMatchError: "InvalidSignatureException",
    AuthFailureError: "UnrecognizedClientException",
}

require(
    PATCH,
    ActionAuthenticatorMixin,
    [
        ("_authenticate_and_authorize_action", ("self", "iam_request_cls", "resource")),
        ("PUBLIC_OPERATIONS", None),
    ],
)
require(PATCH, IAMRequest, [("_create_aws_request", ("self",))])
if hasattr(CognitoIdpResponse, "_determine_resource"):
    raise MotoMismatch(f"{PATCH}: moto now names Cognito resources itself; re-check the patch")


class _JsonAuthError(JsonRESTError):
    def __init__(self, error_type: str, message: str, status: int) -> None:
        super().__init__(error_type, message)
        self.code = status


class _MissingToken(AccessDeniedError):
    def __init__(self) -> None:
        super(AccessDeniedError, self).__init__("MissingAuthenticationToken", "Missing Authentication Token")


class _Ec2Unauthorized(AccessDeniedError):
    def __init__(self, message: str) -> None:
        super(AccessDeniedError, self).__init__("UnauthorizedOperation", message)


@cache
def unsigned_operations() -> tuple[frozenset[str], frozenset[str]]:
    """(X-Amz-Target values, query Action names) of the operations AWS serves without a signature."""
    session = botocore.session.get_session()
    targets: set[str] = set()
    query_actions: set[str] = set()
    for service in UNSIGNED_SERVICES:
        model = session.get_service_model(service)
        for name in model.operation_names:
            if model.operation_model(name).auth_type != "none":
                continue
            if model.protocol == "json":
                targets.add(f"{model.metadata['targetPrefix']}.{name}")
            else:
                query_actions.add(name)
    return frozenset(targets), frozenset(query_actions)


def _enforced() -> bool:
    return ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT


def _wrap(original: Callable[..., None]) -> Callable[..., None]:
    def authenticate(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        if not _enforced() or iam_request_cls.__name__ != "IAMRequest":  # S3 keeps moto's own handling
            return original(self, iam_request_cls, resource)
        targets, query_actions = unsigned_operations()
        target = self.headers.get("X-Amz-Target")
        action = self.querystring.get("Action")
        if target in targets or (action and action[0] in query_actions):
            return None
        json_status = 400 if target else None if action else 403  # JSON 1.x, query, REST-JSON
        try:
            if "Authorization" not in self.headers:
                raise _MissingToken()
            return original(self, iam_request_cls, resource)
        except (AccessDeniedError, InvalidClientTokenIdError, SignatureDoesNotMatchError, AuthFailureError) as exc:
            if json_status is None:
                if isinstance(exc, AccessDeniedError) and _signing_service(self.headers) == "ec2":
                    raise _Ec2Unauthorized(exc.message) from None
                raise
            code = "MissingAuthenticationTokenException" if isinstance(exc, _MissingToken) else _JSON_CODES[type(exc)]
            raise _JsonAuthError(code, exc.message, json_status) from None

    return authenticate


def _wrap_request(original: Callable[..., AWSRequest]) -> Callable[..., AWSRequest]:
    def create_aws_request(self: Any) -> AWSRequest:
        request = original(self)
        if self._method in BODYLESS_METHODS and not self._body:
            request.data = b""  # what the client signed, not moto's parameter dict
        return request

    return create_aws_request


def _user_pool_resource(self: CognitoIdpResponse) -> str:
    """The ARN moto checks a Cognito user pool call against: the pool named in the request, else "*"."""
    try:
        pool = json.loads(self.body or "{}").get("UserPoolId")
    except (ValueError, AttributeError):
        pool = None
    if not isinstance(pool, str) or not pool:
        return "*"
    return f"arn:{get_partition(self.region)}:cognito-idp:{self.region}:{self.current_account}:userpool/{pool}"


def _signing_service(headers: Any) -> str:
    # Authorization: AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...
    scope = str(headers.get("Authorization", "")).partition("Credential=")[2].partition(",")[0].split("/")
    return scope[3] if len(scope) > 3 else ""


def apply() -> None:
    """Install the corrections (idempotent)."""
    replace(ActionAuthenticatorMixin, "_authenticate_and_authorize_action", _wrap, PATCH)
    replace(IAMRequest, "_create_aws_request", _wrap_request, PATCH)
    add(CognitoIdpResponse, "_determine_resource", _user_pool_resource)
