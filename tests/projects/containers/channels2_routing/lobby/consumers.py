from channels.generic.websocket import JsonWebsocketConsumer

from lobby.models import Player


class LobbyConsumer(JsonWebsocketConsumer):
    def connect(self):
        self.accept()
        self.send_json({"players": Player.objects.count()})
