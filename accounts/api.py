"""`GET /api/v1/me`: who the caller is; `POST`/`DELETE /api/v1/auth/token`: a program's sign-in and sign-out."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import AwareDatetime, Field, field_validator

from accounts import services
from accounts.models import ApiToken
from api.errors import refusals
from core.errors import UserError
from web.types import AuthedRequest

router = Router(tags=["accounts"])

# Where the bearer authentication (api.root) leaves the token a request came with.
API_TOKEN_ATTRIBUTE = "api_token"  # noqa: S105  (an attribute name, not a secret)


class PlanSummaryOut(Schema):
    code: str
    name: str
    credits: int
    max_credits: int


class MeOut(Schema):
    id: int
    email: str
    name: str
    plan: PlanSummaryOut | None
    credits: int
    is_admin: bool


@router.get("/me", response=MeOut)
def me(request: AuthedRequest) -> MeOut:
    user = request.user
    plan = user.plan
    return MeOut(
        id=user.pk,
        email=user.email,
        name=user.display_name,
        plan=PlanSummaryOut(code=plan.code, name=plan.name, credits=plan.credits, max_credits=plan.max_credits)
        if plan
        else None,
        credits=user.credits,
        is_admin=user.is_staff,
    )


class TokenLoginIn(Schema):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=4096)
    name: str = Field(default="", max_length=100, description="What the token is for; shown on the profile page.")
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the token stops working, with a time zone; absent: never."
    )

    @field_validator("name")
    @classmethod
    def _clean_name(cls, name: str) -> str:
        if any(ord(c) < 32 or ord(c) == 127 for c in name):
            raise ValueError("the name cannot contain control characters")
        return name.strip()


class TokenOut(Schema):
    token: str = Field(description="Send it as `Authorization: Bearer <token>`. Shown this once, never again.")
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None


@router.post(
    "/auth/token",
    auth=None,
    response={201: TokenOut},
    openapi_extra=refusals(401, 403, 429),
    summary="Sign in with email and password; get a new API token",
)
def token_login(request: HttpRequest, payload: TokenLoginIn) -> Status[TokenOut]:
    """Failed attempts count against the sign-in form's limits; a wrong password and an unknown email get the
    same answer (401). A disabled account gets 403."""
    token, raw = services.issue_token_by_password(
        request=request,
        email=payload.email,
        password=payload.password,
        name=payload.name,
        expires_at=payload.expires_at,
    )
    return Status(
        201,
        TokenOut(
            token=raw,
            id=token.pk,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            expires_at=token.expires_at,
        ),
    )


@router.delete("/auth/token", response={204: None}, summary="Revoke the token this request is made with")
def token_logout(request: AuthedRequest) -> HttpResponse:
    token: ApiToken | None = getattr(request, API_TOKEN_ATTRIBUTE, None)
    if token is None:
        raise UserError(
            "This request carries no token to revoke: send it as `Authorization: Bearer <token>` "
            "(tokens are also listed, and revoked, on the profile page).",
            400,
        )
    services.revoke_tokens(ApiToken.objects.filter(pk=token.pk))
    return HttpResponse(status=204)
