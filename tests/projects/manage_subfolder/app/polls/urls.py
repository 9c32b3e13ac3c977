from django.urls import path

from . import views

app_name = "polls"

urlpatterns = [
    path("", views.poll_index, name="index"),
    path("<slug:slug>/", views.poll_detail, name="detail"),
    path("<slug:slug>/vote/", views.vote, name="vote"),
]
