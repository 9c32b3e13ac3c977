from django.urls import path

from lobby.views import players

urlpatterns = [path("", players)]
