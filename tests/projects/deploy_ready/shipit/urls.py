from django.contrib import admin
from django.urls import include, path

from common.views import health

urlpatterns = [
    path("health", health, name="health"),
    path("common/", include("common.urls")),
    path("catalog/", include("catalog.urls")),
    path("admin/", admin.site.urls),
]
