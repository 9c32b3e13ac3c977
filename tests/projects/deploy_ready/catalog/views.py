from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_safe

from .models import Category


@require_safe
@cache_page(60)
def category_items(request, slug):
    category = get_object_or_404(Category, slug=slug)
    items = category.items.filter(is_active=True).values("sku", "name", "price_cents")
    return JsonResponse({"category": category.name, "items": list(items)})
