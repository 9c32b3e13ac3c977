from django.urls import path

from memos import views

urlpatterns = [
    path("", views.index, name="index"),
    path("memos/<int:pk>/", views.detail, name="detail"),
]
