from django.urls import path

from menu import views

urlpatterns = [
    path("menu/", views.overview, name="menu"),
]
