from django.contrib import admin
from django.urls import path

from notes.views import note_list

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", note_list),
]
