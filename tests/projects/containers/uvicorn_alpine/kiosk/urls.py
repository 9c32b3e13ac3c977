from django.contrib import admin
from django.urls import path

from menu.views import dishes

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", dishes),
]
