from django.urls import include, path

urlpatterns = [
    path("notes/", include("modules.notes.urls")),
]
