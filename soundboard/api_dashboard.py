"""The seed's three dashboard views as JSON."""

from __future__ import annotations

from typing import Any

from ninja import Router
from ninja.errors import HttpError

from soundboard import dashboard
from soundboard.types import AuthedRequest

router = Router(tags=["dashboard"])


@router.get("/soundboard-statistics")
def soundboard_statistics(request: AuthedRequest) -> dict[str, Any]:
    return dashboard.soundboard_statistics()


@router.get("/track-statistics")
def track_statistics(request: AuthedRequest) -> dict[str, Any]:
    return dashboard.track_statistics()


@router.get("/top-sounds")
def top_sounds(
    request: AuthedRequest, sound_type: str = "all", period: str = "all_time", limit: int = 10
) -> dict[str, Any]:
    try:
        items = dashboard.top_sounds(sound_type=sound_type, period=period, limit=limit)
    except dashboard.StatsError as exc:
        raise HttpError(400, exc.detail) from exc
    return {"sound_type": sound_type, "period": period, "limit": limit, "items": items}
