"""ASGI entry point: HTTP goes to Django (behind the body limit), /ws/live/ and /ws/events/ to the live
consumers.

The websocket stack refuses foreign origins before it even loads the session (live.origins: a missing origin
only for a program bringing a token to /ws/events/), and the consumers refuse anonymous or disabled users
and unusable tokens.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soundboard.settings")
django.setup(set_prefix=False)  # what get_asgi_application() does before making its handler

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from edge import daphne as daphne_edge  # noqa: E402
from edge.asgi import BodyLimitMiddleware  # noqa: E402
from edge.handler import PooledASGIHandler  # noqa: E402
from live.origins import SiteOrProgramOriginValidator  # noqa: E402
from live.routing import websocket_urlpatterns  # noqa: E402

# Django's handler, each request in one thread of a pool (edge.handler says why).
django_asgi_app = PooledASGIHandler(threads=settings.WEB_REQUEST_THREADS)

# Oversized bodies are refused before anything reads them (inside daphne, then again at the ASGI layer).
daphne_edge.install()

application = ProtocolTypeRouter(
    {
        "http": BodyLimitMiddleware(django_asgi_app),
        "websocket": SiteOrProgramOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
