"""The chat API: rooms with unread counts, history by id, posting (the socket's rules)."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from community import chat_selectors as selectors
from community.chat_serializers import (
    HistoryQuerySerializer,
    HistorySerializer,
    MessageInputSerializer,
    MessageSerializer,
    RoomSerializer,
)
from community.serializers import DetailErrorSerializer, FieldErrorsSerializer
from community.services import chat
from core.api import CursorPagination

BAD_INPUT = OpenApiResponse(FieldErrorsSerializer, description="invalid input, per field")
MISSING = OpenApiResponse(DetailErrorSerializer, description="no such room, or not yours to read")
REFUSED = OpenApiResponse(
    DetailErrorSerializer, description="not allowed to post here (unverified, muted), with why"
)
LIVE_DOWN = OpenApiResponse(
    DetailErrorSerializer, description="live chat is down; nothing was sent (Retry-After)"
)
TOO_FAST = OpenApiResponse(
    DetailErrorSerializer, description="rate limit or slow mode; Retry-After says when"
)


def _user(request: Request) -> User:
    return cast(User, request.user)


class RoomPagination(CursorPagination):
    ordering = "pk"  # type: ignore[assignment]


class RoomListView(APIView):
    """The rooms the person reads, each with its unread count: one query for any number."""

    pagination_class = RoomPagination

    @extend_schema(responses={200: RoomSerializer(many=True), 400: BAD_INPUT})
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        rooms = selectors.rooms_with_unread(user=_user(request)).order_by("pk")
        page = paginator.paginate_queryset(rooms, request, view=self)
        return paginator.get_paginated_response(RoomSerializer(page, many=True).data)


class MessagesView(APIView):
    """GET: a page of history, newest page first (`?before=` pages back). POST: a message."""

    pagination_class = None

    @extend_schema(
        parameters=[HistoryQuerySerializer],
        responses={200: HistorySerializer, 400: BAD_INPUT, 404: MISSING},
    )
    def get(self, request: Request, slug: str) -> Response:
        query = HistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        room = selectors.room_for_reader(user=_user(request), slug=slug)
        page = selectors.history(
            room=room,
            before=query.validated_data.get("before"),
            limit=query.validated_data["limit"],
        )
        older = page[0].seq if page and page[0].seq > 1 else None
        events = [chat.message_event(message) for message in page]
        return Response(HistorySerializer({"results": events, "before": older}).data)

    @extend_schema(
        request=MessageInputSerializer,
        responses={
            201: MessageSerializer,
            400: BAD_INPUT,
            403: REFUSED,
            404: MISSING,
            429: TOO_FAST,
            503: LIVE_DOWN,
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        data = MessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        room = selectors.room_for_reader(user=user, slug=slug)
        message = chat.message_post(room=room, author=user, body=data.validated_data["body"])
        return Response(
            MessageSerializer(chat.message_event(message)).data, status=status.HTTP_201_CREATED
        )
