"""The seed's three dashboard views as JSON."""

from __future__ import annotations

from ninja import Router, Schema

from dashboard import stats
from web.types import AuthedRequest

router = Router(tags=["dashboard"])


class TopSoundsOut(Schema):
    sound_type: str
    period: str
    limit: int
    items: list[stats.TopSound]


# The figures' TypedDicts are the response schemas: one definition for the page, the API and its OpenAPI.
@router.get("/soundboard-statistics", response=stats.BoardStatistics)
def soundboard_statistics(request: AuthedRequest) -> stats.BoardStatistics:
    return stats.soundboard_statistics()


@router.get("/track-statistics", response=stats.TrackStatistics)
def track_statistics(request: AuthedRequest) -> stats.TrackStatistics:
    return stats.track_statistics()


@router.get("/top-sounds", response=TopSoundsOut)
def top_sounds(
    request: AuthedRequest, sound_type: str = "all", period: str = "all_time", limit: int = 10
) -> TopSoundsOut:
    # A bad filter is a StatsError (a UserError): the API's one handler answers it with 400.
    items = stats.top_sounds(sound_type=sound_type, period=period, limit=limit)
    return TopSoundsOut(sound_type=sound_type, period=period, limit=limit, items=items)
