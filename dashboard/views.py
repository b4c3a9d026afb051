"""The dashboard page: what the room plays, charts drawn on the server, and your own numbers."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard import stats
from dashboard.charts import bar_chart
from dashboard.forms import PERIOD_LABELS, TYPE_LABELS, DashboardFilterForm
from web.types import AuthedRequest


def _context(request: AuthedRequest) -> dict[str, object]:
    form = DashboardFilterForm(request.GET)
    filters, problem = form.filters(), form.problem()
    room = str(filters["room"]) or None  # None: every room's plays
    top = stats.top_sounds(
        sound_type=str(filters["type"]), period=str(filters["period"]), limit=int(str(filters["limit"])), room=room
    )
    per_day = stats.plays_per_day(room=room)
    by_hour = stats.plays_by_hour(room=room)
    mine_top = stats.top_sounds(period="all_time", limit=5, user_id=request.user.pk, room=room)
    spent = stats.credits_spent_per_day(user_id=request.user.pk)
    period_label = PERIOD_LABELS[str(filters["period"])]
    return {
        "filters": filters,
        "problem": problem,
        "periods": PERIOD_LABELS,
        "types": TYPE_LABELS,
        "board": stats.soundboard_statistics(),
        "rooms": form.room_choices,
        "tracks": stats.track_statistics(room=room),
        "mine": stats.play_counts(user_id=request.user.pk, room=room),
        "top": top,
        "charts": {
            "per_day": bar_chart(
                [(d.strftime("%d"), n) for d, n in per_day],
                title="Plays per day",
                description=f"Plays on each of the last 30 days, {sum(n for _, n in per_day)} in all.",
                label_every=5,
            ),
            "top": bar_chart(
                [(t["name"], t["plays"]) for t in top],
                title=f"Top sounds, {period_label.lower()}",
                description="Most played sounds: " + ", ".join(f"{t['name']} ({t['plays']})" for t in top[:5]),
                horizontal=True,
            ),
            "by_hour": bar_chart(
                [(f"{h:02d}", n) for h, n in enumerate(by_hour)],
                title="Plays by hour of day, last 90 days",
                description=f"When sounds are played, by hour ({stats.time_zone_name()}).",
                label_every=3,
            ),
            "mine_top": bar_chart(
                [(t["name"], t["plays"]) for t in mine_top],
                title="Your top sounds",
                description="The sounds you played most.",
                horizontal=True,
            ),
            "spent": bar_chart(
                [(d.strftime("%d"), n) for d, n in spent],
                title="Credits you spent per day",
                description=f"Your credits spent on each of the last 30 days, {sum(n for _, n in spent)} in all.",
                label_every=5,
            ),
        },
    }


@require_GET
def page(request: AuthedRequest) -> HttpResponse:
    context = _context(request)
    status = 400 if context["problem"] else 200
    if request.htmx and not request.htmx.boosted:
        return render(request, "dashboard/page.html#stats", context, status=status)
    return render(request, "dashboard/page.html", context, status=status)
