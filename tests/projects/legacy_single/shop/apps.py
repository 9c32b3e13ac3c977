import logging

from django.apps import AppConfig
from django.db.utils import OperationalError, ProgrammingError

logger = logging.getLogger(__name__)


class ShopConfig(AppConfig):
    name = 'shop'
    verbose_name = 'Shop'

    def ready(self):
        from shop.models import Category, Product

        try:
            logger.info('shop: %d active products', Product.objects.filter(is_active=True).count())
            # every product needs a category, make sure the fallback one exists
            Category.objects.get_or_create(
                slug='uncategorized',
                defaults={'name': 'Uncategorized', 'position': 999},
            )
        except (OperationalError, ProgrammingError):
            # tables are not there yet (first migrate) or the db is down
            pass
