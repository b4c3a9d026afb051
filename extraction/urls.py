from django.urls import path

from extraction import views

app_name = "extraction"

urlpatterns = [
    path("", views.extraction_list, name="list"),
    path("<int:extraction_id>/retry/", views.retry, name="retry"),
    path("workers/", views.workers, name="workers"),
]
