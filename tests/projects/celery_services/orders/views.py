from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from .models import Order


@require_GET
def order_list(request):
    from .constants import DEFAULT_STATUSES

    orders = Order.objects.select_related("status")
    status = request.GET.get("status")
    if status in DEFAULT_STATUSES:
        orders = orders.filter(status__name=status)
    total = cache.get("orders:total")
    if total is None:
        total = Order.objects.count()
        cache.set("orders:total", total, 60)
    return JsonResponse(
        {"total": total, "orders": [order.as_document() for order in orders[:100]]}
    )


@require_GET
def order_detail(request, reference):
    order = get_object_or_404(Order.objects.select_related("status"), reference=reference)
    return JsonResponse(order.as_document())
