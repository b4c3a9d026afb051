"""The seed's admin user API: list, read, update, enable and disable users; list plans. Staff only."""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from accounts import services
from accounts.models import Plan, User
from api.pagination import PageQuery, page_of
from core.errors import UserError
from credits.services import adjust
from web.types import AuthedRequest

router = Router(tags=["admin"])


def _staff(request: AuthedRequest) -> None:
    if not request.user.is_staff:
        raise HttpError(403, "Admins only.")


class AdminPlanOut(Schema):
    id: int
    code: str
    name: str
    description: str
    credits: int
    max_credits: int


class AdminUserOut(Schema):
    id: int
    email: str
    name: str
    plan: AdminPlanOut | None
    credits: int
    is_active: bool
    is_admin: bool
    last_login: datetime | None
    date_joined: datetime

    @classmethod
    def of(cls, user: User) -> AdminUserOut:
        plan = user.plan
        return cls(
            id=user.pk,
            email=user.email,
            name=user.name,
            plan=AdminPlanOut.model_validate(plan, from_attributes=True) if plan else None,
            credits=user.credits,
            is_active=user.is_active,
            is_admin=user.is_staff,
            last_login=user.last_login,
            date_joined=user.date_joined,
        )


class UserPage(Schema):
    items: list[AdminUserOut]
    total: int
    page: int
    page_size: int


class UserUpdate(Schema):
    name: str | None = Field(default=None, max_length=100)
    plan_id: int | None = None
    credits: int | None = Field(default=None, ge=0, le=1_000_000)
    is_active: bool | None = None
    reason: str = Field(default="", max_length=200, description="Recorded on the ledger when credits change.")


class Paging(PageQuery):
    q: str = Field(default="", max_length=100)


@router.get("/users/", response=UserPage)
def list_users(request: AuthedRequest, paging: Query[Paging]) -> UserPage:
    _staff(request)
    qs = User.objects.select_related("plan").order_by("email")
    if paging.q:
        qs = qs.filter(email__icontains=paging.q) | qs.filter(name__icontains=paging.q)
    users, total = page_of(qs, paging)
    return UserPage(
        items=[AdminUserOut.of(u) for u in users],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.get("/users/plans/list", response=list[AdminPlanOut])
def list_plans(request: AuthedRequest) -> list[Plan]:
    _staff(request)
    return list(Plan.objects.all())


@router.get("/users/{user_id}", response=AdminUserOut)
def get_user(request: AuthedRequest, user_id: int) -> AdminUserOut:
    _staff(request)
    return AdminUserOut.of(get_object_or_404(User.objects.select_related("plan"), pk=user_id))


@router.patch("/users/{user_id}", response=AdminUserOut)
def update_user(request: AuthedRequest, user_id: int, payload: UserUpdate) -> AdminUserOut:
    _staff(request)
    user = get_object_or_404(User, pk=user_id)
    services.check_can_manage(user=user, by=request.user)
    if payload.is_active is False and user.pk == request.user.pk:
        raise UserError("You cannot disable your own account.", 400)
    if payload.plan_id is not None:
        plan = Plan.objects.filter(pk=payload.plan_id).first()
        if plan is None:
            raise HttpError(400, "No such plan.")
        user.plan = plan
    if payload.name is not None:
        user.name = payload.name.strip()
    user.save(update_fields=["plan", "name"])
    if payload.credits is not None and payload.credits != user.credits:
        if not payload.reason.strip():
            raise HttpError(400, "Changing credits needs a reason (it goes on the ledger).")
        adjust(user=user, amount=payload.credits - user.credits, reason=payload.reason, by=request.user)
    if payload.is_active is not None:
        services.set_active(user=user, active=payload.is_active, by=request.user)
    return AdminUserOut.of(User.objects.select_related("plan").get(pk=user.pk))


@router.post("/users/{user_id}/disable", response=AdminUserOut)
def disable_user(request: AuthedRequest, user_id: int) -> AdminUserOut:
    _staff(request)
    user = get_object_or_404(User, pk=user_id)
    services.set_active(user=user, active=False, by=request.user)
    return AdminUserOut.of(User.objects.select_related("plan").get(pk=user.pk))


@router.post("/users/{user_id}/enable", response=AdminUserOut)
def enable_user(request: AuthedRequest, user_id: int) -> AdminUserOut:
    _staff(request)
    user = get_object_or_404(User, pk=user_id)
    services.set_active(user=user, active=True)
    return AdminUserOut.of(User.objects.select_related("plan").get(pk=user.pk))
