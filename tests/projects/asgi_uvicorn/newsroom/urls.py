from django.urls import path

from feeds import views

urlpatterns = [
    path("latest/", views.latest, name="latest"),
]
