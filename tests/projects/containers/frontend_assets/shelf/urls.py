from django.urls import path

from catalog.views import books

urlpatterns = [path("", books)]
