from django.apps import AppConfig

from . import registry

DISH_NAMES = []


class MenuConfig(AppConfig):
    name = "menu"

    def ready(self):
        global DISH_NAMES
        from .models import Dish, Section

        # Read once per process: the menu changes a few times a year.
        self.dish_count = Dish.objects.count()
        DISH_NAMES = list(Dish.objects.order_by("name").values_list("name", flat=True))
        registry.SECTIONS = {s.slug: s.title for s in Section.objects.all()}
