"""ASGI entry point: HTTP goes to Django (behind the body limit), /ws/live/ and /ws/events/ to the live
consumers.

The websocket stack refuses foreign origins before it even loads the session (live.origins: a missing origin
only for a program bringing a token to /ws/events/), and the consumers refuse anonymous or disabled users
and unusable tokens.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soundboard.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from edge import daphne as daphne_edge  # noqa: E402
from edge.asgi import BodyLimitMiddleware  # noqa: E402
from live.origins import SiteOrProgramOriginValidator  # noqa: E402
from live.routing import websocket_urlpatterns  # noqa: E402

# Oversized bodies are refused before anything reads them (inside daphne, then again at the ASGI layer).
daphne_edge.install()

application = ProtocolTypeRouter(
    {
        "http": BodyLimitMiddleware(django_asgi_app),
        "websocket": SiteOrProgramOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
