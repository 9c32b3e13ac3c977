from django.apps import AppConfig
from django.db.models.signals import post_migrate

DEFAULT_STATUSES = [
    # (name, label, position, is_final)
    ("new", "New", 10, False),
    ("paid", "Paid", 20, False),
    ("shipped", "Shipped", 30, False),
    ("delivered", "Delivered", 40, True),
    ("cancelled", "Cancelled", 50, True),
]


def create_default_statuses(sender, **kwargs):
    from .models import Status

    for name, label, position, is_final in DEFAULT_STATUSES:
        Status.objects.get_or_create(
            name=name,
            defaults={"label": label, "position": position, "is_final": is_final},
        )


class OrdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orders"

    def ready(self):
        post_migrate.connect(create_default_statuses, sender=self)
