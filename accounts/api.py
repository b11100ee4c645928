from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors
from accounts.hooks import reputation_level, reputation_next_step
from accounts.models import User
from accounts.serializers import (
    MeOutputSerializer,
    NotificationSerializer,
    NotificationSettingsInputSerializer,
    NotificationSettingsSerializer,
    NotificationsReadInputSerializer,
    NotificationsReadOutputSerializer,
    ProfileInputSerializer,
)
from accounts.services.notifications import notification_settings_update, notifications_mark_read
from accounts.services.profiles import profile_update
from core.api import CursorPagination


def me_payload(user_id: int) -> dict[str, Any]:
    user = selectors.user_for_me(user_id=user_id)
    user.roles = selectors.user_role_names(user=user)  # type: ignore[attr-defined]
    user.email_verified = selectors.user_email_verified(user=user)  # type: ignore[attr-defined]
    user.mfa_enabled = selectors.user_mfa_enabled(user=user)  # type: ignore[attr-defined]
    user.reputation_level = reputation_level(user)  # type: ignore[attr-defined]
    user.reputation_next_step = reputation_next_step(user)  # type: ignore[attr-defined]
    return MeOutputSerializer(user).data


class MeView(APIView):
    """The signed-in person. Reachable before e-mail verification, so a client can tell
    the person what is missing; every other endpoint needs a verified address."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=MeOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(me_payload(cast(User, request.user).pk))

    @extend_schema(request=ProfileInputSerializer, responses=MeOutputSerializer)
    def patch(self, request: Request) -> Response:
        serializer = ProfileInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        profile_update(user=cast(User, request.user), **serializer.validated_data)
        return Response(me_payload(cast(User, request.user).pk))


class NotificationPagination(CursorPagination):
    """A page of notifications, newest first, with the person's unread count beside it
    (so a client's bell needs no second request)."""

    unread_count = 0

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["unread_count"] = self.unread_count
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["unread_count"] = {"type": "integer", "minimum": 0}
        paginated["required"] = [*paginated.get("required", []), "unread_count"]
        return paginated


class NotificationListView(APIView):
    """The signed-in person's own notifications, newest first, and how many are unread."""

    pagination_class = NotificationPagination

    @extend_schema(responses={200: NotificationSerializer(many=True)})
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.notifications_for(user=user), request, view=self
        )
        paginator.unread_count = selectors.notifications_unread_count(user=user)
        return paginator.get_paginated_response(NotificationSerializer(page, many=True).data)


class NotificationsReadView(APIView):
    """Mark some (`ids`) or all (`all: true`) of one's own notifications read."""

    @extend_schema(
        request=NotificationsReadInputSerializer, responses=NotificationsReadOutputSerializer
    )
    def post(self, request: Request) -> Response:
        data = NotificationsReadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = cast(User, request.user)
        chosen = None if data.validated_data.get("all") else data.validated_data["ids"]
        marked = notifications_mark_read(user=user, public_ids=chosen)
        unread = selectors.notifications_unread_count(user=user)
        return Response({"marked": marked, "unread_count": unread})


class NotificationSettingsView(APIView):
    """Which kinds of notification are e-mailed when the person has no page open."""

    @extend_schema(responses=NotificationSettingsSerializer)
    def get(self, request: Request) -> Response:
        return self._settings(cast(User, request.user))

    @extend_schema(
        request=NotificationSettingsInputSerializer, responses=NotificationSettingsSerializer
    )
    def patch(self, request: Request) -> Response:
        data = NotificationSettingsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = cast(User, request.user)
        notification_settings_update(user=user, email=data.validated_data["email"])
        return self._settings(user)

    def _settings(self, user: User) -> Response:
        kinds = selectors.notification_settings(user=user)
        return Response(NotificationSettingsSerializer({"kinds": kinds}).data)
