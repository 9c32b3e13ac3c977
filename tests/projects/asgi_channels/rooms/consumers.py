from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .models import Message, Room


class RoomConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.room = await self.get_room(self.scope["url_route"]["kwargs"]["slug"])
        if self.room is None or not self.scope["user"].is_authenticated:
            await self.close()
            return
        await self.channel_layer.group_add(self.room.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        room = getattr(self, "room", None)
        if room is not None:
            await self.channel_layer.group_discard(room.group_name, self.channel_name)

    async def receive_json(self, content, **kwargs):
        text = str(content.get("text", "")).strip()
        if not text:
            return
        message = await self.save_message(text[:2000])
        await self.channel_layer.group_send(
            self.room.group_name,
            {
                "type": "room.message",
                "text": message.text,
                "author": self.scope["user"].get_username(),
                "sent_at": message.sent_at.isoformat(),
            },
        )

    async def room_message(self, event):
        await self.send_json({key: event[key] for key in ("text", "author", "sent_at")})

    @database_sync_to_async
    def get_room(self, slug):
        return Room.objects.filter(slug=slug).first()

    @database_sync_to_async
    def save_message(self, text):
        return Message.objects.create(room=self.room, author=self.scope["user"], text=text)
