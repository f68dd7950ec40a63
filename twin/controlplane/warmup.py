"""Touch every service the twin uses once, so the first real call is fast.

moto imports a service and builds its backend on the first request (EC2 alone costs about 1 s).
The warm-up sends one harmless read per service straight into the WSGI app (no socket, no boto3),
signed with a syntactically valid SigV4 header so moto routes it to the right service.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from werkzeug.test import Client

from .app import WSGIApp

REGION = "us-east-1"


@dataclass(frozen=True)
class Probe:
    service: str  # SigV4 signing name
    method: str
    path: str
    body: str = ""
    target: str | None = None
    content_type: str = ""  # REST GETs must not look like query-protocol forms


FORM = "application/x-www-form-urlencoded"


def _json_probe(service: str, target: str, body: dict[str, object]) -> Probe:
    return Probe(service, "POST", "/", json.dumps(body), target, "application/x-amz-json-1.1")


PROBES = (
    Probe("sts", "POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", content_type=FORM),
    _json_probe("cognito-idp", "AWSCognitoIdentityProviderService.ListUserPools", {"MaxResults": 1}),
    _json_probe("cognito-identity", "AWSCognitoIdentityService.ListIdentityPools", {"MaxResults": 1}),
    Probe("iam", "POST", "/", "Action=ListRoles&Version=2010-05-08", content_type=FORM),
    Probe("lambda", "GET", "/2015-03-31/functions/"),
    Probe("apigateway", "GET", "/v2/apis"),
    Probe("ec2", "POST", "/", "Action=DescribeVpcs&Version=2016-11-15", content_type=FORM),
    Probe("s3", "GET", "/"),
    _json_probe("secretsmanager", "secretsmanager.ListSecrets", {}),
    _json_probe("ssm", "AmazonSSM.DescribeParameters", {}),
    _json_probe("logs", "Logs_20140328.DescribeLogGroups", {}),
)


def warm_up(app: WSGIApp) -> dict[str, int]:
    """Send each probe; return the HTTP status per service (200 when the backend is loaded)."""
    client = Client(app)
    statuses: dict[str, int] = {}
    for probe in PROBES:
        headers = {
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential=warmup/20240101/{REGION}/{probe.service}/aws4_request, "
                "SignedHeaders=host;x-amz-date, Signature=0"
            ),
            "X-Amz-Date": "20240101T000000Z",
        }
        if probe.content_type:
            headers["Content-Type"] = probe.content_type
        if probe.target:
            headers["X-Amz-Target"] = probe.target
        response = client.open(probe.path, method=probe.method, data=probe.body, headers=headers)
        statuses[probe.service] = response.status_code
        response.close()
    return statuses
