from django.http import JsonResponse

from modules.common.formatting import short

from .models import Note


def latest(request):
    notes = Note.objects.order_by("-created")[:10]
    return JsonResponse({"notes": [short(n.title) for n in notes]})
