from django.http import JsonResponse

from menu.models import Dish


async def dishes(request):
    names = [d.name async for d in Dish.objects.all()]
    return JsonResponse({"dishes": names})
