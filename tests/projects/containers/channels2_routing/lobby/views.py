from django.http import JsonResponse

from lobby.models import Player


def players(request):
    return JsonResponse({"players": list(Player.objects.values_list("nick", flat=True))})
