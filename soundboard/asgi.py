"""ASGI entry point: HTTP goes to Django (behind the body limit), /ws/live/ to the live consumer.

The websocket stack refuses foreign origins (AllowedHostsOriginValidator) before it even loads the session,
and the consumer refuses anonymous or disabled users.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soundboard.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from edge import daphne as daphne_edge  # noqa: E402
from edge.asgi import BodyLimitMiddleware  # noqa: E402
from live.routing import websocket_urlpatterns  # noqa: E402

# Oversized bodies are refused before anything reads them (inside daphne, then again at the ASGI layer).
daphne_edge.install()

application = ProtocolTypeRouter(
    {
        "http": BodyLimitMiddleware(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
