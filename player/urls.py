from django.urls import path

from player import views

app_name = "player"

urlpatterns = [
    path("play/<int:sound_id>/", views.play, name="play"),
    path("play/random/", views.play_random, name="play_random"),
    path("stop/", views.stop_all, name="stop_all"),
    path("", views.page, name="page"),
    path("music/", views.music, name="music"),
    path("queue/", views.queue_add, name="queue_add"),
    path("queue/order/", views.queue_reorder, name="queue_reorder"),
    path("queue/<int:item_id>/move/", views.queue_move, name="queue_move"),
    path("queue/<int:item_id>/remove/", views.queue_remove, name="queue_remove"),
]
