from django.core.cache import cache
from django.http import JsonResponse
from django.urls import path


def status(request):
    return JsonResponse({"cached": cache.get("status")})


urlpatterns = [path("api/status/", status)]
