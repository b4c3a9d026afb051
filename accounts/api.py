"""`GET /api/v1/me`: who the caller is."""

from __future__ import annotations

from ninja import Router, Schema

from web.types import AuthedRequest

router = Router(tags=["accounts"])


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
