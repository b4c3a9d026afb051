from django.contrib import admin
from django.urls import include, path

from soundboard import dashboard_views, views
from soundboard.api import api_urls
from sounds import views as sound_views

admin.site.site_header = "Soundboard admin"
admin.site.site_title = "Soundboard admin"

urlpatterns = [
    path("", sound_views.library, name="home"),
    path("sounds/", include("sounds.urls")),
    path("credits/", include("credits.urls")),
    path("player/", include("player.urls")),
    path("playlists/", include("playlists.urls")),
    path("extractions/", include("extraction.urls")),
    path("live/refresh/", views.live_refresh, name="live_refresh"),
    path("dashboard/", dashboard_views.page, name="dashboard"),
    path("messages/new/", views.send_message, name="send_message"),
    path("profile/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api_urls()),
]

handler403 = "soundboard.views.permission_denied"
handler404 = "soundboard.views.page_not_found"
handler500 = "soundboard.views.server_error"
