from django.conf import settings
from elasticsearch import Elasticsearch

_client = None


def get_client():
    global _client
    if _client is None:
        _client = Elasticsearch(settings.ELASTICSEARCH_URL, request_timeout=10)
    return _client


def index_order(order):
    get_client().index(
        index=settings.ELASTICSEARCH_ORDERS_INDEX,
        id=order.reference,
        document=order.as_document(),
    )


def delete_order(reference):
    get_client().options(ignore_status=404).delete(index=settings.ELASTICSEARCH_ORDERS_INDEX, id=reference)
