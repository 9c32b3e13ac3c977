from django.apps import AppConfig
from django.db.utils import OperationalError, ProgrammingError


class BooksConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'books'

    def ready(self):
        from .models import Genre

        # books without a genre are shown under "General"
        try:
            Genre.objects.get_or_create(slug='general', defaults={'name': 'General'})
        except (OperationalError, ProgrammingError):
            pass
