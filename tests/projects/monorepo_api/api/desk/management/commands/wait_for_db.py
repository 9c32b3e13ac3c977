from django.core.management.base import BaseCommand
from django.db import connection


class Command(BaseCommand):
    help = "Wait until the database answers."

    def handle(self, *args, **options):
        connection.ensure_connection()
