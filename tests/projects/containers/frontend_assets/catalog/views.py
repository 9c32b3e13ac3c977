from django.http import JsonResponse
from django.utils.translation import gettext as _

from catalog.models import Book


def books(request):
    return JsonResponse({"title": _("Books on the shelf"), "books": Book.objects.count()})
