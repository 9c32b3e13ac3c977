from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from .models import Room


@login_required
def room_list(request):
    return render(request, "rooms/room_list.html", {"rooms": Room.objects.all()})


@login_required
def room_detail(request, slug):
    room = get_object_or_404(Room, slug=slug)
    recent = room.messages.select_related("author").order_by("-sent_at")[:50]
    return render(request, "rooms/room_detail.html", {"room": room, "recent": reversed(recent)})
