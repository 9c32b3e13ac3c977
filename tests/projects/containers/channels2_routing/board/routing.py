from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path

from lobby.consumers import LobbyConsumer

application = ProtocolTypeRouter(
    {
        "websocket": URLRouter([path("ws/lobby/", LobbyConsumer.as_asgi() if hasattr(LobbyConsumer, "as_asgi") else LobbyConsumer)]),
    }
)
