from django.urls import path

from board import views

urlpatterns = [
    path("issues/", views.open_issues, name="open-issues"),
]
