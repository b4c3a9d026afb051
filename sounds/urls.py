from django.urls import path

from sounds import views

app_name = "sounds"

urlpatterns = [
    path("upload/", views.upload, name="upload"),
    path("hint/dismiss/", views.dismiss_hint, name="dismiss_hint"),
    path("tts/", views.tts, name="tts"),
    path("scan/", views.scan, name="scan"),
    path("normalize/", views.normalize_all, name="normalize_all"),
    path("<int:sound_id>/normalize/", views.normalize, name="normalize"),
    path("<int:sound_id>/rename/", views.rename, name="rename"),
    path("<int:sound_id>/delete/", views.delete, name="delete"),
    path("<int:sound_id>/favorite/", views.favorite, name="favorite"),
    path("<int:sound_id>/edit/", views.edit, name="edit"),
    path("<int:sound_id>/menu/", views.menu, name="menu"),
]
