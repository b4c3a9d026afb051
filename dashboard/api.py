"""The seed's three dashboard views as JSON."""

from __future__ import annotations

from typing import Any

from ninja import Router

from dashboard import stats
from web.types import AuthedRequest

router = Router(tags=["dashboard"])


@router.get("/soundboard-statistics")
def soundboard_statistics(request: AuthedRequest) -> dict[str, Any]:
    return stats.soundboard_statistics()


@router.get("/track-statistics")
def track_statistics(request: AuthedRequest) -> dict[str, Any]:
    return stats.track_statistics()


@router.get("/top-sounds")
def top_sounds(
    request: AuthedRequest, sound_type: str = "all", period: str = "all_time", limit: int = 10
) -> dict[str, Any]:
    # A bad filter is a StatsError (a UserError): the API's one handler answers it with 400.
    items = stats.top_sounds(sound_type=sound_type, period=period, limit=limit)
    return {"sound_type": sound_type, "period": period, "limit": limit, "items": items}
