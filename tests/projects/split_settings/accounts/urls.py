from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("me/", views.my_profile, name="my_profile"),
]
