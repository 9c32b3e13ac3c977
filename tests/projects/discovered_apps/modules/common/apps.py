from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Helpers every other module uses (template tags, formatting)."""

    name = "modules.common"
