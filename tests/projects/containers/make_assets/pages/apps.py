from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "pages"

    def ready(self):
        from pages import checks  # noqa: F401  (registers the bundle check)
