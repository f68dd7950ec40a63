"""CORS faults: the API's CorsConfiguration widened, narrowed or deleted (apigatewayv2 UpdateApi,
which replaces the whole CORS object, and DeleteCorsConfiguration)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twin.faults.context import FaultContext
from twin.faults.model import FaultError, fault
from twin.faults.undo import Undo

APP_ORIGIN = "https://app.learninghub.test"


def observe_cors(ctx: FaultContext) -> dict[str, Any] | None:
    cors: dict[str, Any] | None = ctx.client("apigatewayv2").get_api(ApiId=ctx.target.api_id).get("CorsConfiguration")
    return cors


def change_cors(ctx: FaultContext, undo: Undo, edit: Callable[[dict[str, Any]], None]) -> None:
    current = observe_cors(ctx)
    if not current:
        raise FaultError("the API has no CORS configuration: the stack is not in its provisioned state")
    undo.aws("apigatewayv2", "update_api", ApiId=ctx.target.api_id, CorsConfiguration=dict(current))
    wanted = {k: list(v) if isinstance(v, list) else v for k, v in current.items()}
    edit(wanted)
    ctx.client("apigatewayv2").update_api(ApiId=ctx.target.api_id, CorsConfiguration=wanted)


def _cors_fault(
    name: str, story: str, edit: Callable[[dict[str, Any]], None], collateral: tuple[str, ...] = ()
) -> None:
    def change(ctx: FaultContext, undo: Undo) -> None:
        change_cors(ctx, undo, edit)

    fault(name, story=story, areas={"cors"}, collateral=collateral, observe=observe_cors)(change)


_cors_fault(
    "cors-wildcard-origin",
    "To stop a CORS error a developer sets AllowOrigins to '*', so any website may read the API's answers.",
    lambda c: c.update(AllowOrigins=["*"]),
)
_cors_fault(
    "cors-any-https-origin",
    "An operator uses API Gateway's documented prefix pattern 'https://*', meaning 'our https app', which "
    "admits every https origin on the internet.",
    lambda c: c.update(AllowOrigins=["https://*"]),
)
_cors_fault(
    "cors-http-origin-added",
    "For a quick test without TLS someone adds http://app.learninghub.test next to the https origin, so a "
    "network attacker's injected page on plain http is trusted.",
    lambda c: c["AllowOrigins"].append(APP_ORIGIN.replace("https://", "http://")),
)
_cors_fault(
    "cors-dev-origin-left",
    "A developer's local front end, http://localhost:3000, is added to AllowOrigins and never removed from "
    "the deployed API.",
    lambda c: c["AllowOrigins"].append("http://localhost:3000"),
)
_cors_fault(
    "cors-null-origin",
    "A developer adds 'null' to AllowOrigins so a page opened from file:// works; sandboxed iframes and "
    "data: URLs an attacker controls also send Origin: null.",
    lambda c: c["AllowOrigins"].append("null"),
)
_cors_fault(
    "cors-expose-headers-widened",
    "ExposeHeaders is set to '*' while debugging, so scripts of the allowed origin read every response "
    "header, not only x-request-id.",
    lambda c: c.update(ExposeHeaders=["*"]),
)
_cors_fault(
    "cors-methods-widened",
    "AllowMethods gets PUT, PATCH and DELETE 'for the next release', granting browsers methods the API does not offer.",
    lambda c: c["AllowMethods"].extend(["PUT", "PATCH", "DELETE"]),
)
_cors_fault(
    "cors-headers-wildcard",
    "AllowHeaders is set to '*' after a custom header broke a preflight, so any request header passes.",
    lambda c: c.update(AllowHeaders=["*"]),
)
_cors_fault(
    "cors-authorization-header-dropped",
    "A cleanup of AllowHeaders keeps only content-type; browsers can no longer send the bearer token.",
    lambda c: c.update(AllowHeaders=["content-type"]),
    collateral=("authorizer",),
)
_cors_fault(
    "cors-credentials-enabled",
    "AllowCredentials is switched on 'for cookies later', although the app sends bearer tokens only.",
    lambda c: c.update(AllowCredentials=True),
)
_cors_fault(
    "cors-max-age-raised",
    "MaxAge is raised to a day to save preflights, so a later CORS fix reaches browsers only a day late.",
    lambda c: c.update(MaxAge=86400),
)


@fault(
    "cors-configuration-deleted",
    story="A pipeline that redeploys the API from an old template without CorsConfiguration deletes it; "
    "browsers' preflights no longer get an answer they accept.",
    areas={"cors"},
    collateral={"authorizer"},
    observe=observe_cors,
)
def _cors_deleted(ctx: FaultContext, undo: Undo) -> None:
    current = observe_cors(ctx)
    if not current:
        raise FaultError("the API has no CORS configuration: the stack is not in its provisioned state")
    undo.aws("apigatewayv2", "update_api", ApiId=ctx.target.api_id, CorsConfiguration=dict(current))
    ctx.client("apigatewayv2").delete_cors_configuration(ApiId=ctx.target.api_id)
