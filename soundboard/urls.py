from django.contrib import admin
from django.urls import include, path

from api import docs as api_docs
from api.root import api_urls
from dashboard import views as dashboard_views
from health import views as health_views
from live import views as live_views
from sounds import views as sound_views

admin.site.site_header = "Soundboard admin"
admin.site.site_title = "Soundboard admin"

urlpatterns = [
    path("", sound_views.library, name="home"),
    path("sounds/", include("sounds.urls")),
    path("credits/", include("credits.urls")),
    path("player/", include("player.urls")),
    path("board/", include("board.urls")),
    path("playlists/", include("playlists.urls")),
    path("extractions/", include("extraction.urls")),
    path("live/refresh/", live_views.live_refresh, name="live_refresh"),
    path("dashboard/", dashboard_views.page, name="dashboard"),
    path("messages/new/", live_views.send_message, name="send_message"),
    path("profile/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api_urls()),
    # The seed's addresses of the schema and the documentation (api/docs.py).
    path("api/openapi.json", api_docs.openapi_json, name="api_openapi"),
    path("api/docs", api_docs.swagger, name="api_docs"),
    path("api/redoc", api_docs.redoc, name="api_redoc"),
    path("api/redoc.standalone.js", api_docs.redoc_script, name="api_redoc_script"),
    # For monitoring, without signing in: /health/ tells what is down, /metrics needs METRICS_TOKEN.
    path("health/", health_views.health, name="health"),
    path("metrics", health_views.metrics, name="metrics"),
]

handler403 = "web.views.permission_denied"
handler404 = "web.views.page_not_found"
handler500 = "web.views.server_error"
