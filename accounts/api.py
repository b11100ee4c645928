from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.hooks import reputation_level, reputation_next_step
from accounts.models import User
from accounts.serializers import MeOutputSerializer, ProfileInputSerializer


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
        services.profile_update(user=cast(User, request.user), **serializer.validated_data)
        return Response(me_payload(cast(User, request.user).pk))
