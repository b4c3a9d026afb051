"""Websocket routes of the live channel (the ASGI router in soundboard.asgi mounts them)."""

from django.urls import URLPattern, path

from live.consumers import LiveConsumer

websocket_urlpatterns: list[URLPattern] = [path("ws/live/", LiveConsumer.as_asgi())]
