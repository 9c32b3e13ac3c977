from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from .models import Option, Poll


def poll_index(request):
    polls = Poll.objects.filter(opens_at__lte=timezone.now())
    return render(request, "polls/index.html", {"polls": polls})


def poll_detail(request, slug):
    poll = get_object_or_404(Poll, slug=slug)
    return render(request, "polls/detail.html", {"poll": poll, "options": poll.options.all()})


@require_POST
def vote(request, slug):
    poll = get_object_or_404(Poll, slug=slug)
    if not poll.is_open():
        return redirect("polls:detail", slug=slug)
    option = get_object_or_404(Option, poll=poll, pk=request.POST.get("option"))
    Option.objects.filter(pk=option.pk).update(votes=F("votes") + 1)
    return redirect("polls:detail", slug=slug)
