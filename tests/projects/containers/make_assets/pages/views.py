from django.http import JsonResponse
from django.templatetags.static import static
from django.utils.translation import gettext as _

from pages.models import Page


def pages(request):
    return JsonResponse(
        {"title": _("Pages of the wiki"), "pages": Page.objects.count(), "js": static("build/wiki.js")}
    )
