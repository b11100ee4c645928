"""The workshop API: thin views over community.selectors and community.services."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from community import calendars, selectors
from community.models import Registration
from community.models.workshops import WorkshopStatus
from community.serializers import (
    AttendanceInputSerializer,
    AttendeeSerializer,
    CalendarTokenSerializer,
    CancelInputSerializer,
    DetailErrorSerializer,
    FieldErrorsSerializer,
    RegistrationStateSerializer,
    WorkshopDetailSerializer,
    WorkshopInputSerializer,
    WorkshopListSerializer,
    WorkshopUpdateSerializer,
)
from community.services import attendance, registrations, workshops
from community.services import calendars as calendar_tokens
from core.api import CursorPagination
from core.errors import NotFound
from core.throttling import AnonWindowRateThrottle

BAD_INPUT = OpenApiResponse(FieldErrorsSerializer, description="invalid input, per field")
REFUSED = OpenApiResponse(DetailErrorSerializer, description="not possible now, with the reason")
FORBIDDEN = OpenApiResponse(DetailErrorSerializer, description="not allowed, with what is missing")
MISSING = OpenApiResponse(DetailErrorSerializer, description="no such workshop (or not visible)")
CONFLICT = OpenApiResponse(DetailErrorSerializer, description="the current state forbids it")
ICS = {(200, "text/calendar"): OpenApiTypes.BINARY}


def _user(request: Request) -> User:
    return cast(User, request.user)


def _detail(request: Request, public_id: Any, code: int = status.HTTP_200_OK) -> Response:
    user = _user(request)
    workshop = selectors.workshop_for_viewer(user=user, public_id=public_id)
    return Response(WorkshopDetailSerializer(workshop, context={"user": user}).data, status=code)


def _state(registration: Registration, code: int = status.HTTP_200_OK) -> Response:
    state = selectors.registration_state(registration)
    return Response(RegistrationStateSerializer(state).data, status=code)


class ScopePagination(CursorPagination):
    """Soonest first for what is ahead, most recent first for what is behind."""

    ordering = ("starts_at", "pk")  # type: ignore[assignment]


class WorkshopListView(APIView):
    """GET: workshops, by scope (upcoming by default). POST: a host creates one."""

    pagination_class = ScopePagination

    @extend_schema(
        parameters=[
            OpenApiParameter("scope", str, enum=list(selectors.SCOPES)),
            OpenApiParameter("q", str, description="words of the title"),
        ],
        responses={200: WorkshopListSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        scope = request.query_params.get("scope", "upcoming")
        queryset = selectors.workshop_list(
            user=_user(request), scope=scope, query=request.query_params.get("q", "")
        )
        paginator = self.pagination_class()
        if scope in ("past", "hosting"):
            paginator.ordering = ("-starts_at", "-pk")  # type: ignore[assignment]
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(WorkshopListSerializer(page, many=True).data)

    @extend_schema(
        request=WorkshopInputSerializer,
        responses={201: WorkshopDetailSerializer, 400: BAD_INPUT, 403: FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        data = WorkshopInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        cohosts = selectors.users_by_public_id(fields.pop("cohosts", []))
        workshop = workshops.workshop_create(actor=_user(request), cohosts=cohosts, **fields)
        return _detail(request, workshop.public_id, status.HTTP_201_CREATED)


class WorkshopDetailView(APIView):
    @extend_schema(responses={200: WorkshopDetailSerializer, 404: MISSING})
    def get(self, request: Request, public_id: str) -> Response:
        return _detail(request, public_id)

    @extend_schema(
        request=WorkshopUpdateSerializer,
        responses={
            200: WorkshopDetailSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            404: MISSING,
            409: CONFLICT,
        },
    )
    def patch(self, request: Request, public_id: str) -> Response:
        data = WorkshopUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = _user(request)
        workshop = selectors.workshop_for_manager(user=user, public_id=public_id)
        fields = dict(data.validated_data)
        cohosts = fields.pop("cohosts", None)
        workshops.workshop_update(
            workshop=workshop,
            actor=user,
            cohosts=None if cohosts is None else selectors.users_by_public_id(cohosts),
            **fields,
        )
        return _detail(request, public_id)


class WorkshopPublishView(APIView):
    @extend_schema(
        request=None,
        responses={200: WorkshopDetailSerializer, 400: REFUSED, 403: FORBIDDEN, 409: CONFLICT},
    )
    def post(self, request: Request, public_id: str) -> Response:
        user = _user(request)
        workshop = selectors.workshop_for_manager(user=user, public_id=public_id)
        workshops.workshop_publish(workshop=workshop, actor=user)
        return _detail(request, public_id)


class WorkshopCancelView(APIView):
    @extend_schema(
        request=CancelInputSerializer,
        responses={200: WorkshopDetailSerializer, 400: BAD_INPUT, 403: FORBIDDEN, 409: CONFLICT},
    )
    def post(self, request: Request, public_id: str) -> Response:
        data = CancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        workshop = selectors.workshop_for_manager(user=user, public_id=public_id)
        workshops.workshop_cancel(
            workshop=workshop, actor=user, message=data.validated_data["message"]
        )
        return _detail(request, public_id)


class RegistrationView(APIView):
    """POST registers (201; 200 with the existing registration when already registered);
    DELETE leaves. Both answer with the registration's state."""

    @extend_schema(
        request=None,
        responses={
            201: RegistrationStateSerializer,
            200: RegistrationStateSerializer,
            400: REFUSED,
            403: FORBIDDEN,
            404: MISSING,
        },
    )
    def post(self, request: Request, public_id: str) -> Response:
        user = _user(request)
        workshop = selectors.workshop_for_viewer(user=user, public_id=public_id)
        result = registrations.registration_create(workshop=workshop, user=user)
        return _state(
            result.registration, status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )

    @extend_schema(
        request=None,
        responses={200: RegistrationStateSerializer, 400: REFUSED, 404: MISSING, 409: CONFLICT},
    )
    def delete(self, request: Request, public_id: str) -> Response:
        user = _user(request)
        registration = _mine(user, public_id)
        return _state(registrations.registration_cancel(registration=registration, user=user))


def _mine(user: User, public_id: str) -> Registration:
    workshop = selectors.workshop_for_viewer(user=user, public_id=public_id)
    registration = selectors.registration_for(user=user, workshop=workshop)
    if registration is None:
        raise NotFound("You are not registered for this workshop.")
    return registration


class OfferAcceptView(APIView):
    @extend_schema(
        request=None,
        responses={200: RegistrationStateSerializer, 404: MISSING, 409: CONFLICT},
    )
    def post(self, request: Request, public_id: str) -> Response:
        user = _user(request)
        registration = _mine(user, public_id)
        return _state(registrations.offer_accept(registration=registration, user=user))


class OfferDeclineView(APIView):
    @extend_schema(
        request=None,
        responses={200: RegistrationStateSerializer, 404: MISSING, 409: CONFLICT},
    )
    def post(self, request: Request, public_id: str) -> Response:
        user = _user(request)
        registration = _mine(user, public_id)
        return _state(registrations.offer_decline(registration=registration, user=user))


class AttendeesView(APIView):
    """Hosts: everyone registered (confirmed, offered, waitlisted) in arrival order."""

    pagination_class = CursorPagination

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="part of a name or e-mail")],
        responses={200: AttendeeSerializer(many=True), 403: FORBIDDEN, 404: MISSING},
    )
    def get(self, request: Request, public_id: str) -> Response:
        workshop = selectors.workshop_for_manager(user=_user(request), public_id=public_id)
        paginator = self.pagination_class()
        paginator.ordering = "queue_number"
        queryset = selectors.attendees(workshop=workshop, query=request.query_params.get("q", ""))
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(AttendeeSerializer(page, many=True).data)


class AttendanceView(APIView):
    """Hosts: mark a confirmed person attended, no-show, or unmarked again."""

    @extend_schema(
        request=AttendanceInputSerializer,
        responses={
            200: AttendeeSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            404: MISSING,
            409: CONFLICT,
        },
    )
    def post(self, request: Request, public_id: str) -> Response:
        data = AttendanceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        workshop = selectors.workshop_for_manager(user=user, public_id=public_id)
        registration = selectors.registration_of(
            workshop=workshop, public_id=data.validated_data["registration"]
        )
        attendance.attendance_mark(
            registration=registration,
            actor=user,
            attendance=data.validated_data["attendance"],
        )
        row = selectors.attendees(workshop=workshop).get(pk=registration.pk)
        return Response(AttendeeSerializer(row).data)


class JSONErrorsNegotiation(DefaultContentNegotiation):
    """Calendar clients ask for text/calendar; the success path returns the file itself,
    and errors keep the API's JSON shape whatever was asked for."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return (renderers[0], renderers[0].media_type)


def _ics(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    return response


class WorkshopCalendarView(APIView):
    content_negotiation_class = JSONErrorsNegotiation

    @extend_schema(responses={**ICS, 404: MISSING})
    def get(self, request: Request, public_id: str) -> HttpResponse:
        user = _user(request)
        workshop = selectors.workshop_for_viewer(user=user, public_id=public_id)
        sees = selectors.may_see_link(
            user=user, workshop=workshop, my_status=getattr(workshop, "my_status", None)
        )
        content = calendars.calendar_bytes(
            workshops=[workshop],
            show_location=lambda _: sees,
            name=workshop.title,
            now=timezone.now(),
        )
        return _ics(content, f"workshop-{workshop.public_id}.ics")


class FeedThrottle(AnonWindowRateThrottle):
    scope = "anon"


class MyCalendarView(APIView):
    """The personal subscription feed: confirmed and hosted workshops, for whoever holds the
    secret token (calendar apps send no session)."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [FeedThrottle]
    content_negotiation_class = JSONErrorsNegotiation

    @extend_schema(
        parameters=[OpenApiParameter("token", str, required=True)],
        responses={**ICS, 404: OpenApiResponse(DetailErrorSerializer, description="bad token")},
        auth=[],
    )
    def get(self, request: Request) -> HttpResponse:
        owner = selectors.calendar_feed_owner(token=request.query_params.get("token", ""))
        if owner is None:
            raise NotFound("No calendar at this address; it may have been reset.")
        now = timezone.now()
        content = calendars.calendar_bytes(
            workshops=selectors.calendar_workshops(user=owner, now=now),
            show_location=lambda workshop: workshop.status != WorkshopStatus.CANCELLED,
            name="My workshops",
            now=now,
        )
        return _ics(content, "my-workshops.ics")


def feed_url(request: Any, token: str) -> str:
    return request.build_absolute_uri(reverse("community-api:my-calendar") + f"?token={token}")


class MyCalendarTokenView(APIView):
    """POST: a new secret feed URL (the old one stops working). DELETE: no feed at all."""

    @extend_schema(request=None, responses={201: CalendarTokenSerializer})
    def post(self, request: Request) -> Response:
        token = calendar_tokens.calendar_token_reset(user=_user(request))
        return Response(
            CalendarTokenSerializer({"url": feed_url(request, token)}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        calendar_tokens.calendar_token_revoke(user=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
