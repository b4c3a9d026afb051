from django.urls import path

from playlists import views

app_name = "playlists"

urlpatterns = [
    path("", views.playlist_list, name="list"),
    path("<int:playlist_id>/", views.detail, name="detail"),
    path("<int:playlist_id>/edit/", views.update, name="update"),
    path("<int:playlist_id>/delete/", views.delete, name="delete"),
    path("<int:playlist_id>/add/", views.add, name="add"),
    path("<int:playlist_id>/order/", views.reorder, name="reorder"),
    path("<int:playlist_id>/picker/", views.picker, name="picker"),
    path("<int:playlist_id>/items/<int:item_id>/remove/", views.remove, name="remove"),
    path("<int:playlist_id>/items/<int:item_id>/move/", views.move, name="move"),
]
