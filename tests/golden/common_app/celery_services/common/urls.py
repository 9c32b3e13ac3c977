try:
    from django.urls import re_path as url  # Django >= 2.0; url() is gone in 4.0
except ImportError:
    from django.conf.urls import url

from . import views

app_name = "common"

urlpatterns = [
    url(r"^health/?$", views.health, name="health"),
]
