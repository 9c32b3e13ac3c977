from django.http import JsonResponse

from .models import Issue


def open_issues(request):
    titles = Issue.objects.filter(closed=False).values_list("title", flat=True)
    return JsonResponse({"open": list(titles), "request": request.request_id})
