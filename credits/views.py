"""The Credits page: the user's ledger and their plan's numbers."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from credits.forms import HistoryFilterForm
from credits.models import CreditAction, CreditTransaction
from web.types import AuthedRequest

PAGE_SIZE = 25


@require_GET
def history(request: AuthedRequest) -> HttpResponse:
    query = HistoryFilterForm(request.GET)
    action = query.action_value()
    qs = CreditTransaction.objects.for_user(request.user.pk)
    if action:
        qs = qs.filter(action=action)
    page = Paginator(qs, PAGE_SIZE).get_page(query.page_number())
    context = {
        "page_obj": page,
        "transactions": page.object_list,
        "action": action,
        "actions": CreditAction.choices,
        "plan": request.user.plan,
    }
    template = "credits/history.html#table" if request.htmx and not request.htmx.boosted else "credits/history.html"
    return render(request, template, context)
