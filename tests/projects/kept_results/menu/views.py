from django.apps import apps
from django.http import JsonResponse

from . import apps as menu_apps
from . import registry


def overview(request):
    return JsonResponse(
        {
            "dishes": apps.get_app_config("menu").dish_count,
            "names": menu_apps.DISH_NAMES,
            "sections": registry.SECTIONS,
        }
    )
