from django.urls import path

from community import chat_api

app_name = "chat-api"

urlpatterns = [
    path("rooms/", chat_api.RoomListView.as_view(), name="rooms"),
    path("rooms/<str:slug>/messages/", chat_api.MessagesView.as_view(), name="messages"),
]
