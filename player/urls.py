from django.urls import path

from player import quiet_views, views

app_name = "player"

urlpatterns = [
    path("play/<int:sound_id>/", views.play, name="play"),
    path("play/random/", views.play_random, name="play_random"),
    path("stop/", views.stop_all, name="stop_all"),
    path("", views.page, name="page"),
    path("music/", views.music, name="music"),
    path("rooms/", views.room_list, name="rooms"),
    path("rooms/choose/", views.choose_room, name="choose_room"),
    path("queue/", views.queue_add, name="queue_add"),
    path("queue/order/", views.queue_reorder, name="queue_reorder"),
    path("queue/<int:item_id>/move/", views.queue_move, name="queue_move"),
    path("queue/<int:item_id>/remove/", views.queue_remove, name="queue_remove"),
    path("quiet/", quiet_views.banner, name="quiet"),
    path("quiet-hours/", quiet_views.quiet_hours, name="quiet_hours"),
    path("quiet-hours/<int:window_id>/delete/", quiet_views.delete, name="quiet_delete"),
]
