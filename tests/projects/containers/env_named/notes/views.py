from django.http import JsonResponse

from notes.models import Note


def note_list(request):
    return JsonResponse({"notes": list(Note.objects.values_list("title", flat=True))})
