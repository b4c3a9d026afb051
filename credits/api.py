"""`GET /api/v1/credits/transactions`: the caller's own ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from api.pagination import PageQuery, page_of
from credits.models import CreditAction, CreditTransaction
from web.types import AuthedRequest

router = Router(tags=["credits"])


class TransactionOut(Schema):
    id: int
    action: str
    amount: int
    balance_before: int
    balance_after: int
    success: bool
    metadata: dict[str, Any]
    created_at: datetime


class TransactionPage(Schema):
    items: list[TransactionOut]
    total: int
    page: int
    page_size: int


class TransactionFilters(PageQuery):
    action: str | None = Field(default=None, description="One of: " + ", ".join(CreditAction.values))


@router.get("/transactions", response=TransactionPage)
def transactions(request: AuthedRequest, filters: Query[TransactionFilters]) -> TransactionPage:
    qs = CreditTransaction.objects.for_user(request.user.pk)
    if filters.action:
        if filters.action not in CreditAction.values:
            raise HttpError(400, f"Unknown action; use one of {', '.join(CreditAction.values)}.")
        qs = qs.filter(action=filters.action)
    items, total = page_of(qs, filters)
    return TransactionPage(
        items=[TransactionOut.model_validate(t, from_attributes=True) for t in items],
        total=total,
        page=filters.page,
        page_size=filters.page_size,
    )
