"""One way to page through a list in the API, with bounds a fuzzer can't break.

A page number past SQL's integer range used to be a 500 on every paginated list: the bounds live here, once.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from ninja import Field, Schema

MAX_PAGE = 1_000_000


class PageQuery(Schema):
    """Query parameters of a paginated list; each list sets its own `page_size` bounds."""

    page: int = Field(default=1, ge=1, le=MAX_PAGE, description="1 is the first page.")
    page_size: int = Field(default=50, ge=1, le=200)


def page_of[M: Model](queryset: QuerySet[M], query: PageQuery) -> tuple[list[M], int]:
    """The objects on the requested page and the total count (a page past the end is empty, not an error)."""
    return numbered_page(queryset, page=query.page, page_size=query.page_size)


def numbered_page[M: Model](queryset: QuerySet[M], *, page: int, page_size: int) -> tuple[list[M], int]:
    """`page_of` for a list with its own bounds on `page_size` (checked by its own schema)."""
    start = (page - 1) * page_size
    return list(queryset[start : start + page_size]), queryset.count()
