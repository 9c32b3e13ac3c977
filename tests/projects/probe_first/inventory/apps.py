import logging

from django.apps import AppConfig
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


class InventoryConfig(AppConfig):
    name = "inventory"

    def ready(self):
        # Connect now, so that the first request does not wait for the connection.
        connection.ensure_connection()
        from .models import Item

        try:
            logger.info("%d items in stock", Item.objects.filter(stock__gt=0).count())
        except DatabaseError:
            logger.info("the stock table does not exist yet")
