from django.urls import path

from accounts.consumers import FeedConsumer
from community.consumers import ChatConsumer

websocket_urlpatterns = [
    path("ws/feed/", FeedConsumer.as_asgi()),
    path("ws/chat/<str:slug>/", ChatConsumer.as_asgi()),
]
