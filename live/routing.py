"""Websocket routes: pages (`/ws/live/`) and programs (`/ws/events/`); soundboard.asgi mounts them."""

from django.urls import URLPattern, path

from live.consumers import EventsConsumer, LiveConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/live/", LiveConsumer.as_asgi()),
    path("ws/events/", EventsConsumer.as_asgi()),
]
