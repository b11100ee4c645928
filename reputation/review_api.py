"""The peer review API: thin views over `reputation.services.reviews`."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.schema import CONFLICT, Link, response_links
from reputation import review_rules as rules
from reputation.models import ReviewAssignment
from reputation.selectors.reviews import review_for_reviewer
from reputation.services import reviews


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]


class ReasonChoicesSerializer(serializers.Serializer):
    accept = ReasonSerializer(many=True, help_text="reasons an acceptance may give")
    reject = ReasonSerializer(many=True, help_text="reasons a rejection must give (one or more)")


class ReviewWorkSerializer(serializers.Serializer):
    """What a reviewer sees: the work and its instructions, never who did it."""

    title = serializers.CharField(help_text="the project's title")
    kind = serializers.CharField(help_text="the kind of answer under review")
    instructions_html = serializers.CharField(help_text="the project's instructions, sanitized")
    item = serializers.JSONField(help_text="the item that was answered")
    answer = serializers.JSONField(help_text="the answer under review")


class ReviewOutSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="the review to post the verdict to")
    expires_at = serializers.DateTimeField(help_text="the reservation ends then")
    work = ReviewWorkSerializer()
    reasons = ReasonChoicesSerializer()


class ReviewInputSerializer(serializers.Serializer):
    accept = serializers.BooleanField(help_text="true to accept the work, false to reject it")
    reason_codes = serializers.ListField(
        child=serializers.ChoiceField(choices=list(rules.REASONS)),
        required=False,
        max_length=len(rules.REASONS),
        help_text="codes from `reasons` of the verdict given; a rejection needs at least one",
    )
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=rules.COMMENT_MAX_LENGTH,
        help_text="optional, shown to the author without the reviewer's name",
    )


class ReviewDoneSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    accept = serializers.BooleanField()
    reason_codes = serializers.ListField(child=serializers.CharField())
    comment = serializers.CharField(allow_blank=True)
    submitted_at = serializers.DateTimeField(source="finished_at")


def _reason_choices() -> dict[str, list[dict[str, str]]]:
    return {
        "accept": [{"code": c, "label": label} for c, label in rules.ACCEPT_REASONS.items()],
        "reject": [{"code": c, "label": label} for c, label in rules.REJECT_REASONS.items()],
    }


def review_payload(assignment: ReviewAssignment) -> dict[str, Any]:
    context = assignment.request.context
    return {
        "id": assignment.public_id,
        "expires_at": assignment.expires_at,
        "work": {name: context.get(name, "") for name in ReviewWorkSerializer().fields},
        "reasons": _reason_choices(),
    }


def _user(request: Request) -> User:
    return cast(User, request.user)


class NextReviewView(APIView):
    """One piece of work to review (the reservation this reviewer holds, or a new one);
    204 when there is none. Level 2 and up."""

    @extend_schema(
        request=None,
        responses={
            200: ReviewOutSerializer,
            204: OpenApiResponse(description="nothing to review for you right now"),
        },
    )
    @response_links(200, submit=Link("v1_reviews_create", {"public_id": "$response.body#/id"}))
    def get(self, request: Request) -> Response:
        claim = reviews.review_claim_next(reviewer=_user(request))
        if claim is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(ReviewOutSerializer(review_payload(claim.assignment)).data)


class ReviewSubmitView(APIView):
    """The verdict on a review handed to this reviewer. Someone else's review is 404; a
    second verdict or an expired reservation is 409, naming `review`."""

    @extend_schema(
        request=ReviewInputSerializer, responses={201: ReviewDoneSerializer, 409: CONFLICT}
    )
    def post(self, request: Request, public_id: str) -> Response:
        data = ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        reviews.require_reviewer(user)
        assignment = review_for_reviewer(reviewer=user, public_id=public_id)
        done = reviews.review_submit(
            assignment=assignment,
            reviewer=user,
            accept=data.validated_data["accept"],
            reason_codes=data.validated_data.get("reason_codes"),
            comment=data.validated_data.get("comment", ""),
        )
        return Response(ReviewDoneSerializer(done).data, status=status.HTTP_201_CREATED)
