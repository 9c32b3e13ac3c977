from django.http import JsonResponse

from .models import Story


async def latest(request):
    headlines = [s.headline async for s in Story.objects.order_by("-published")[:20]]
    return JsonResponse({"headlines": headlines})
