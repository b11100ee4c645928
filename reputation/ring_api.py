"""Flagged review rings over the API, for moderators: the list with its evidence, and the
two decisions the rings page makes (clear, penalise), over the same services."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import CursorPagination
from core.schema import CONFLICT, ErrorDetailSerializer
from reputation import review_rules as rules
from reputation.api import MODERATOR
from reputation.models import ReviewRing
from reputation.selectors.reviews import held_reviews, ring_for_moderator, rings_for_moderator
from reputation.services import rings

MISSING = OpenApiResponse(ErrorDetailSerializer, description="no such ring")


class RingMemberOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", help_text="the person's public id")
    email = serializers.EmailField()


class FavourOut(serializers.Serializer):
    reviewer = serializers.UUIDField(help_text="public id of the member who reviewed")
    author = serializers.UUIDField(help_text="public id of the member whose work it was")
    reviews = serializers.IntegerField(help_text="reviews of the author in the window")
    accepted = serializers.IntegerField(help_text="how many of them accepted the work")
    share = serializers.FloatField(help_text="accepted / reviews")
    baseline = serializers.FloatField(help_text="the reviewer's acceptance of everyone else")


class EvidenceOut(serializers.Serializer):
    window_days = serializers.IntegerField(help_text="the days of reviews looked at")
    favours = FavourOut(many=True, help_text="who accepted whom, against their baseline")


class RingOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    state = serializers.ChoiceField(choices=ReviewRing.State.choices)
    members = RingMemberOut(many=True, source="members.all")
    evidence = EvidenceOut()
    held = serializers.IntegerField(
        help_text="the members' reviews of each other that do not count (yet)"
    )
    created_at = serializers.DateTimeField(help_text="when the ring was flagged")
    resolved_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField(allow_blank=True, help_text="the moderator's note")


class ClearIn(serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=rules.COMMENT_MAX_LENGTH,
        help_text="why the reviews are fine (optional)",
    )


class PenaliseIn(serializers.Serializer):
    note = serializers.CharField(
        max_length=rules.COMMENT_MAX_LENGTH,
        help_text="the reason, sent to each member in a notification and kept with the decision",
    )


def _user(request: Request) -> User:
    return cast(User, request.user)


class RingPagination(CursorPagination):
    ordering = "pk"  # oldest flag first, as on the rings page


class RingListView(ListAPIView):
    """Moderators: the flagged rings, oldest first, with the evidence that flagged them."""

    permission_classes = MODERATOR
    serializer_class = RingOut
    pagination_class = RingPagination

    def get_queryset(self) -> Any:
        return rings_for_moderator(moderator=_user(self.request))


def _ring_response(ring: ReviewRing) -> Response:
    ring.held = held_reviews(ring=ring)  # type: ignore[attr-defined]
    return Response(RingOut(ring).data)


class RingClearView(APIView):
    """Moderators: nothing wrong; the members' reviews of each other count again. A ring
    already decided is 409; a ring one is a member of is 403."""

    permission_classes = MODERATOR

    @extend_schema(request=ClearIn, responses={200: RingOut, 404: MISSING, 409: CONFLICT})
    def post(self, request: Request, public_id: str) -> Response:
        data = ClearIn(data=request.data)
        data.is_valid(raise_exception=True)
        ring = ring_for_moderator(moderator=_user(request), public_id=public_id)
        ring = rings.ring_clear(
            ring=ring, moderator=_user(request), note=data.validated_data.get("note", "")
        )
        return _ring_response(ring)


class RingPenaliseView(APIView):
    """Moderators: collusion confirmed; each member gets a penalty and is told why, and
    their reviews of each other never count. A ring already decided is 409; a ring one is
    a member of is 403."""

    permission_classes = MODERATOR

    @extend_schema(request=PenaliseIn, responses={200: RingOut, 404: MISSING, 409: CONFLICT})
    def post(self, request: Request, public_id: str) -> Response:
        data = PenaliseIn(data=request.data)
        data.is_valid(raise_exception=True)
        ring = ring_for_moderator(moderator=_user(request), public_id=public_id)
        ring = rings.ring_penalise(
            ring=ring, moderator=_user(request), note=data.validated_data["note"]
        )
        return _ring_response(ring)
