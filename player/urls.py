from django.urls import path

from player import views

app_name = "player"

urlpatterns = [
    path("play/<int:sound_id>/", views.play, name="play"),
    path("stop/", views.stop_all, name="stop_all"),
    path("", views.page, name="page"),
    path("music/", views.music, name="music"),
]
