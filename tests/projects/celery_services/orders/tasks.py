from celery import shared_task
from elasticsearch import ConnectionError as SearchUnavailable

from .models import Order
from .search import index_order


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def index_order_task(self, order_id):
    try:
        order = Order.objects.select_related("status").get(pk=order_id)
    except Order.DoesNotExist:
        return
    try:
        index_order(order)
    except SearchUnavailable as exc:
        raise self.retry(exc=exc)
