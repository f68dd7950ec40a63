"""Names and settings of every resource the twin provisions (docs/ARCHITECTURE.md, "Resource names").

Faults, tests and the env file rely on these exact values, so they live in one place.
"""

from __future__ import annotations

PROJECT_TAG = {"Project": "learninghub", "ManagedBy": "twin-provision"}

USER_POOL = "learninghub-userpool"
# IssuerConfiguration.Type of the user pool (`python -m twin up --issuer-type`); ORIGINAL is Cognito's default.
ISSUER_TYPES = ("ORIGINAL", "UPDATED")
DEFAULT_ISSUER_TYPE = "ORIGINAL"
PASSWORD_MIN_LENGTH = 12
WEB_CLIENT = "learninghub-web-client"
EXPIRY_CLIENT = "learninghub-expiry-probe"
CALLBACK_URL = "https://app.learninghub.test/callback"
LOGOUT_URL = "https://app.learninghub.test/"
AUTH_FLOWS = (
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
)
OAUTH_SCOPES = ("openid", "email", "profile")
DOMAIN_PREFIX = "learninghub-twin-"
# The resource server and its custom scopes (a token carries "<identifier>/<scope name>").
RESOURCE_SERVER = "learninghub"
RESOURCE_SERVER_NAME = "LearningHub API"
RESOURCE_SCOPES = {"reports.read": "read course reports", "reports.write": "change course reports"}
REPORTS_READ = f"{RESOURCE_SERVER}/reports.read"
# The machine-to-machine app client: client credentials with a secret, the read scope only.
M2M_CLIENT = "learninghub-reporting"
M2M_SCOPES = (REPORTS_READ,)
# Whether the authorizer's audience lists the M2M client, so its client credentials tokens open the scoped
# route (the e2e audience check accepts [cognito] client_id, expiry_client_id and m2m_client_id).
AUDIENCE_HAS_M2M = True
IDENTITY_POOL = "learninghub_identitypool"

AUTH_ROLE = "learninghub-cognito-auth"
UNAUTH_ROLE = "learninghub-cognito-unauth"
LAMBDA_ROLE = "learninghub-lambda-exec"
LAMBDA_POLICY = "learninghub-lambda-least-privilege"

BUCKET = "learninghub-artifacts"
CODE_KEY = "lambda/learninghub-api.zip"
FUNCTION = "learninghub-api"
RUNTIME = "python3.12"
HANDLER = "app.handler"
FUNCTION_TIMEOUT_S = 10
LOG_RETENTION_DAYS = 14

API = "learninghub-api"
ALLOWED_ORIGINS = ("https://app.learninghub.test",)
ALLOWED_METHODS = ("GET", "POST", "OPTIONS")
ALLOWED_HEADERS = ("authorization", "content-type")
EXPOSE_HEADERS = ("x-request-id",)
CORS_MAX_AGE = 300
AUTHORIZER = "CognitoJWTAuth"
IDENTITY_SOURCE = "$request.header.Authorization"
INTEGRATION_TIMEOUT_MS = 29000
STAGE = "$default"
PERMISSION_SID = "apigw-invoke"
PUBLIC_ROUTES = ("GET /health",)
PROTECTED_ROUTES = (
    "GET /me",
    "GET /courses",
    "GET /courses/{courseId}",
    "POST /exams",
    "GET /exams/{examId}",
    "GET /reports/courses",
)
# Protected routes that also require a custom scope (AuthorizationScopes: the token needs one of them).
SCOPED_ROUTES = {"GET /reports/courses": (REPORTS_READ,)}

VPC = "learninghub-vpc"
VPC_CIDR = "10.20.0.0/16"
PUBLIC_SUBNET = "learninghub-public-a"
PUBLIC_CIDR = "10.20.1.0/24"
PRIVATE_SUBNET = "learninghub-private-a"
PRIVATE_CIDR = "10.20.2.0/24"
IGW = "learninghub-igw"
PUBLIC_ROUTE_TABLE = "learninghub-public-rt"
PRIVATE_ROUTE_TABLE = "learninghub-private-rt"
LAMBDA_SG = "learninghub-lambda-sg"
DB_SG = "learninghub-db-sg"
DB_PORT_ON_AWS = 1433
DB_INSTANCE = "learninghub-sqlserver"
DB_INSTANCE_TYPE = "m5.large"
# moto serves only the Amazon Linux public AMI parameters; SQL Server 2022 runs on Linux too.
AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"

DB_SECRET = "learninghub/sqlserver"
DB_NAME = "LearningHub"
DB_APP_LOGIN = "learninghub_app"
CANARY_COURSE_ID = 9001
