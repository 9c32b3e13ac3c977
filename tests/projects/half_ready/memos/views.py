from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404

from .models import Memo


def index(request):
    memos = [{"id": m.pk, "title": m.title} for m in Memo.objects.all()[:50]]
    return JsonResponse({"memos": memos})


def detail(request, pk):
    memo = get_object_or_404(Memo, pk=pk)
    return HttpResponse(memo.body, content_type="text/plain")
