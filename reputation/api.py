"""Reputation over the API: the public, recomputable feed and scores; my standing;
penalties and appeals."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.mfa import SecondFactorForReviewers
from accounts.models import User
from core.api import CursorPagination, IsAuthenticatedWithVerifiedEmail
from core.schema import CONFLICT, ErrorDetailSerializer
from ledger.schemas import utc_timestamp
from reputation import conf, scoring
from reputation.models import Penalty, ReputationBatch
from reputation.selectors import feed
from reputation.selectors.penalties import penalties_of
from reputation.selectors.standing import (
    event_words,
    events_of,
    next_step,
    privileges_of,
    score_history,
    standing_of,
)
from reputation.serializers import (
    AfterQuery,
    AppealIn,
    BatchOut,
    BatchPageOut,
    DecisionIn,
    EventPageOut,
    MyReputationOut,
    PenaltyIn,
    PenaltyOut,
    ScorePageOut,
)
from reputation.services import penalties

MISSING = OpenApiResponse(ErrorDetailSerializer, description="no such penalty (or not yours)")


def _user(request: Request) -> User:
    return cast(User, request.user)


class PublicView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list[Any] = []


def _next(request: Request, last: int | None, full: bool) -> str | None:
    if last is None or not full:
        return None
    query = request.query_params.copy()
    query["after"] = str(last)
    return request.build_absolute_uri(request.path) + "?" + urlencode(sorted(query.items()))


class EventFeedView(PublicView):
    """Every reputation event, oldest first, people as keyed pseudonyms. Page on with
    `after` = the last id seen (the `next` link)."""

    @extend_schema(parameters=[AfterQuery], responses=EventPageOut)
    def get(self, request: Request) -> Response:
        query = AfterQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit = query.validated_data["limit"]
        events = list(feed.public_events(after=query.validated_data["after"])[:limit])
        results = [feed.public_event(event) for event in events]
        last = events[-1].id if events else None
        return Response({"results": results, "next": _next(request, last, len(events) == limit)})


class BatchListView(PublicView):
    """The runs of events committed to the transparency log, each with its leaf's index."""

    @extend_schema(parameters=[AfterQuery], responses=BatchPageOut)
    def get(self, request: Request) -> Response:
        query = AfterQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit = query.validated_data["limit"]
        batches = list(
            ReputationBatch.objects.filter(
                last_event_id__gt=query.validated_data["after"]
            ).order_by("last_event_id")[:limit]
        )
        last = batches[-1].last_event_id if batches else None
        return Response(
            {
                "results": BatchOut(batches, many=True).data,
                "next": _next(request, last, len(batches) == limit),
            }
        )


class ScorePagination(CursorPagination):
    ordering = "pk"
    page_size = 200


def rules_payload(rules: scoring.Rules) -> dict[str, Any]:
    return {
        "rule_version": scoring.RULE_VERSION,
        "half_life_days": rules.half_life_days,
        "daily_gain_cap": rules.daily_gain_cap / scoring.MILLI,
        "grace_days": rules.grace_days,
        "levels": [list(row) for row in scoring.LEVELS],
    }


class ScoreListView(PublicView):
    """Score, evidence and level of every person (as a pseudonym) at the start of this UTC
    day's evaluation: what tools/recompute_reputation.py checks."""

    @extend_schema(responses=ScorePageOut)
    def get(self, request: Request) -> Response:
        rules = conf.rules()
        now = timezone.now()
        day = scoring.day_number(now)
        through = feed.latest_event_id()
        paginator = ScorePagination()
        page = paginator.paginate_queryset(
            feed.scores_for_public(day=day, grace_days=rules.grace_days), request, view=self
        )
        rows = list(page or [])
        standings = feed.standings_at(rows, day=day, rules=rules)
        results = []
        for score in rows:
            value, evidence, level = standings[score.user_id]
            results.append(
                {
                    "person": feed.person_pseudonym(score.user),
                    "score": value,
                    "evidence": evidence,
                    "level": level,
                }
            )
        return Response(
            {
                "as_of": utc_timestamp(now),
                "day": day,
                "through_event": through,
                "rules": rules_payload(rules),
                "results": results,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
            }
        )


def my_reputation(user: User) -> dict[str, Any]:
    standing = standing_of(user=user)
    step = next_step(level=standing.level, positive=standing.positive, total=standing.evidence)
    return {
        "score": standing.score,
        "evidence": standing.evidence,
        "level": standing.level,
        "privileges": privileges_of(standing.level),
        "next_step": None
        if step is None
        else {"level": step.level, "gains": step.gains, "words": step.words},
        "history": [
            {"date": scoring.EPOCH + timedelta(days=day), "score": value}
            for day, value in score_history(user=user)
        ],
        "events": [
            {
                "id": event.id,
                "source": event.source,
                "positive": event.positive,
                "weight": event.weight,
                "reason": event.reason,
                "words": event_words(event),
                "created_at": event.created_at,
            }
            for event in events_of(user=user)
        ],
        "penalties": list(penalties_of(user=user)),
    }


class MyReputationView(APIView):
    """My score, level, what the next level needs, my history, events and penalties."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=MyReputationOut)
    def get(self, request: Request) -> Response:
        return Response(MyReputationOut(my_reputation(_user(request))).data)


class IsModerator(permissions.BasePermission):
    message = "Only moderators may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.has_perm(penalties.MODERATE))


MODERATOR = [IsAuthenticatedWithVerifiedEmail, SecondFactorForReviewers, IsModerator]


class PenaltyCreateView(APIView):
    """Moderators: penalise a person, with a reason code they will see."""

    permission_classes = MODERATOR

    @extend_schema(request=PenaltyIn, responses={201: PenaltyOut})
    def post(self, request: Request) -> Response:
        data = PenaltyIn(data=request.data)
        data.is_valid(raise_exception=True)
        person = User.objects.filter(public_id=data.validated_data["person"]).first()
        if person is None:
            return Response({"errors": {"person": ["No such person."]}}, status=400)
        penalty = penalties.penalty_impose(
            moderator=_user(request),
            user=person,
            reason=data.validated_data["reason"],
            explanation=data.validated_data["explanation"],
            weight=data.validated_data["weight"],
        )
        return Response(PenaltyOut(penalty).data, status=201)


class PenaltyAppealView(APIView):
    """The penalised person: appeal once, saying why."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=AppealIn, responses={200: PenaltyOut, 404: MISSING, 409: CONFLICT})
    def post(self, request: Request, public_id: str) -> Response:
        data = AppealIn(data=request.data)
        data.is_valid(raise_exception=True)
        penalty = _penalty(public_id, user=_user(request))
        penalty = penalties.penalty_appeal(
            user=_user(request), penalty=penalty, text=data.validated_data["text"]
        )
        return Response(PenaltyOut(penalty).data)


class AppealDecideView(APIView):
    """Moderators: uphold or overturn a pending appeal."""

    permission_classes = MODERATOR

    @extend_schema(request=DecisionIn, responses={200: PenaltyOut, 404: MISSING, 409: CONFLICT})
    def post(self, request: Request, public_id: str) -> Response:
        data = DecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        penalty = _penalty(public_id)
        penalty = penalties.appeal_decide(
            moderator=_user(request),
            penalty=penalty,
            decision=data.validated_data["decision"],
            note=data.validated_data["note"],
        )
        return Response(PenaltyOut(penalty).data)


def _penalty(public_id: str, *, user: User | None = None) -> Penalty:
    """A penalty by public id; someone else's looks like none at all to a non-moderator."""
    try:
        key = uuid.UUID(public_id)
    except ValueError:
        raise NotFound("No such penalty.") from None
    queryset = Penalty.objects.all() if user is None else Penalty.objects.filter(user=user)
    penalty = queryset.filter(public_id=key).first()
    if penalty is None:
        raise NotFound("No such penalty.")
    return penalty
