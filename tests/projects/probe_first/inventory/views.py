from django.http import JsonResponse

from .models import Item


def in_stock(request):
    names = Item.objects.filter(stock__gt=0).values_list("name", flat=True)
    return JsonResponse({"in_stock": list(names)})
