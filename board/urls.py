from django.urls import path

from board import views

app_name = "board"

urlpatterns = [
    path("hotkeys/", views.hotkeys, name="hotkeys"),
    path("hotkeys/bind/", views.bind, name="bind"),
    path("hotkeys/<str:key>/unbind/", views.unbind, name="unbind"),
    path("view/", views.board_view, name="view"),
]
