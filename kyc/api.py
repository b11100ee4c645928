from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any, cast

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, permissions, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.mfa import SecondFactorForReviewers
from accounts.models import User
from core.api import CursorPagination, IsAuthenticatedWithVerifiedEmail
from core.schema import CONFLICT, Link, response_links
from kyc.selectors.cases import case_for_viewer, current_case, personal_data_export
from kyc.selectors.queue import claim_is_live, queue_rows, sla_figures
from kyc.serializers import (
    CaseInputSerializer,
    CaseOutputSerializer,
    CheckOut,
    DecisionInputSerializer,
    DocumentInputSerializer,
    ErasedOut,
    PersonalDataOut,
    QueueCaseSerializer,
    QueueQuerySerializer,
    ReasonInputSerializer,
    SlaOut,
    VoteInputSerializer,
    VoteOut,
)
from kyc.services import cases, documents, moderation, retention, validation

CASE = "$response.body#/id"
FIRST_IN_PAGE = "$response.body#/results/0/id"
SAME_CASE = "$request.path.public_id"


def _case_links(case_id: str, *names: str) -> dict[str, Link]:
    operations = {
        "case": "v1_kyc_cases_retrieve",
        "edit": "v1_kyc_cases_partial_update",
        "documents": "v1_kyc_cases_documents_create",
        "submit": "v1_kyc_cases_submit_create",
        "appeal": "v1_kyc_cases_appeal_create",
        "claim": "v1_kyc_cases_claim_create",
        "decide": "v1_kyc_cases_decide_create",
        "escalate": "v1_kyc_cases_escalate_create",
    }
    return {name: Link(operations[name], {"public_id": case_id}) for name in names}


class IsModerator(permissions.BasePermission):
    message = "Only moderators may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.has_perm("accounts.review_kyc_cases"))


# Every KYC endpoint answers people who can open identity documents only after MFA.
SIGNED_IN = [IsAuthenticatedWithVerifiedEmail, SecondFactorForReviewers]
MODERATOR = [*SIGNED_IN, IsModerator]


def _user(request: Request) -> User:
    return cast(User, request.user)


def _case_response(request: Request, public_id: Any, code: int = 200) -> Response:
    case = case_for_viewer(user=_user(request), public_id=public_id)
    return Response(CaseOutputSerializer(case).data, status=code)


class CaseCreateView(APIView):
    permission_classes = SIGNED_IN

    @extend_schema(
        request=CaseInputSerializer, responses={201: CaseOutputSerializer, 409: CONFLICT}
    )
    @response_links(201, **_case_links(CASE, "case", "edit", "documents", "submit"))
    def post(self, request: Request) -> Response:
        data = CaseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = cases.case_create(user=_user(request), **data.validated_data)
        return _case_response(request, case.public_id, status.HTTP_201_CREATED)


class CaseDetailView(APIView):
    permission_classes = SIGNED_IN

    @extend_schema(responses=CaseOutputSerializer)
    @response_links(200, **_case_links(CASE, "documents", "submit", "appeal"))
    def get(self, request: Request, public_id: str) -> Response:
        return _case_response(request, public_id)

    @extend_schema(
        request=CaseInputSerializer, responses={200: CaseOutputSerializer, 409: CONFLICT}
    )
    def patch(self, request: Request, public_id: str) -> Response:
        case = case_for_viewer(user=_user(request), public_id=public_id)
        data = CaseInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        cases.case_update(case=case, user=_user(request), **data.validated_data)
        return _case_response(request, public_id)


class DocumentUploadView(APIView):
    permission_classes = SIGNED_IN
    parser_classes = [parsers.MultiPartParser]

    @extend_schema(
        request=DocumentInputSerializer, responses={201: CaseOutputSerializer, 409: CONFLICT}
    )
    @response_links(201, **_case_links(SAME_CASE, "documents", "submit"))
    def post(self, request: Request, public_id: str) -> Response:
        case = case_for_viewer(user=_user(request), public_id=public_id)
        data = DocumentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        documents.document_upload(
            case=case,
            user=_user(request),
            kind=data.validated_data["kind"],
            upload=data.validated_data["file"],
        )
        return _case_response(request, public_id, status.HTTP_201_CREATED)


class CaseSubmitView(APIView):
    permission_classes = SIGNED_IN

    @extend_schema(request=None, responses={200: CaseOutputSerializer, 409: CONFLICT})
    @response_links(200, **_case_links(CASE, "case"))
    def post(self, request: Request, public_id: str) -> Response:
        case = case_for_viewer(user=_user(request), public_id=public_id)
        cases.case_submit(case=case, user=_user(request))
        return _case_response(request, public_id)


class CaseAppealView(APIView):
    permission_classes = SIGNED_IN

    @extend_schema(
        request=ReasonInputSerializer, responses={200: CaseOutputSerializer, 409: CONFLICT}
    )
    def post(self, request: Request, public_id: str) -> Response:
        case = case_for_viewer(user=_user(request), public_id=public_id)
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cases.case_appeal(case=case, user=_user(request), reason=data.validated_data["reason"])
        return _case_response(request, public_id)


class MyDataView(APIView):
    """GET: a copy of everything KYC holds about me. DELETE: erase my documents now."""

    permission_classes = SIGNED_IN

    @extend_schema(request=None, responses=PersonalDataOut)
    def get(self, request: Request) -> Response:
        response = Response(personal_data_export(user=_user(request)))
        response["Cache-Control"] = "no-store"
        response["Content-Disposition"] = 'attachment; filename="my-kyc-data.json"'
        return response

    @extend_schema(request=None, responses={200: ErasedOut, 409: CONFLICT})
    def delete(self, request: Request) -> Response:
        case = current_case(user=_user(request))
        erased = retention.documents_erase_on_request(case=case, user=_user(request)) if case else 0
        return Response({"erased_documents": erased})


class IsValidator(permissions.BasePermission):
    message = "Only verified validators answer identity checks."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.has_perm("accounts.vote_kyc_checks") and user.is_verified)


VALIDATOR = [*SIGNED_IN, IsValidator]


def _check_payload(request: Request, check: validation.Check) -> dict[str, Any]:
    return {
        "id": check.id,
        "question": check.question,
        "text": check.text,
        "expires_at": check.assignment.expires_at,
        "images": [
            request.build_absolute_uri(reverse("kyc:check-image", args=[check.id, kind]))
            for kind in validation.check_image_kinds(check=check)
        ],
    }


class NextCheckView(APIView):
    permission_classes = VALIDATOR

    @extend_schema(request=None, responses={200: CheckOut, 204: None, 409: CONFLICT})
    @response_links(200, vote=Link("v1_kyc_checks_vote_create", {"check_id": CASE}))
    def get(self, request: Request) -> Response:
        check = validation.check_next(validator=_user(request))
        if check is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(_check_payload(request, check))


class VoteView(APIView):
    permission_classes = VALIDATOR

    @extend_schema(request=VoteInputSerializer, responses={201: VoteOut, 409: CONFLICT})
    def post(self, request: Request, check_id: str) -> Response:
        data = VoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        check = validation.check_for_validator(validator=_user(request), check_id=check_id)
        vote = validation.check_vote(
            check=check, validator=_user(request), answer=data.validated_data["answer"]
        )
        return Response({"id": check_id, "answer": vote.answer}, status=status.HTTP_201_CREATED)


class CheckConflictView(APIView):
    """The validator knows the person: record the conflict and give the check back."""

    permission_classes = VALIDATOR

    @extend_schema(request=ReasonInputSerializer, responses={204: None})
    def post(self, request: Request, check_id: str) -> Response:
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        check = validation.check_for_validator(validator=_user(request), check_id=check_id)
        validation.check_give_back(
            check=check, validator=_user(request), reason=data.validated_data["reason"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


def _iso(value: datetime | None, zone: tzinfo) -> str | None:
    """What DRF's DateTimeField writes: the time in the current zone (`zone`, looked up
    once per response: it is a context-local read), UTC as "Z"."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class QueueView(ListAPIView):
    """The moderators' queue. Its rows are written straight from the selected columns:
    a serializer per row cost more than the query; `QueueCaseSerializer` still describes
    them in the schema, and the tests hold the two to the same output."""

    permission_classes = MODERATOR
    serializer_class = QueueCaseSerializer

    class Pagination(CursorPagination):
        ordering = ("submitted_at", "pk")  # type: ignore[assignment]

    pagination_class = Pagination

    @extend_schema(parameters=[QueueQuerySerializer])
    @response_links(200, **_case_links(FIRST_IN_PAGE, "case", "claim"))
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = QueueQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return queue_rows(reviewer=_user(self.request), **query.validated_data)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        now, zone = timezone.now(), timezone.get_current_timezone()
        rows = [
            {
                "id": str(row["public_id"]),
                "state": row["state"],
                "document_type": row["document_type"],
                "issuing_state": row["issuing_state"],
                "risk_flags": row["risk_flags"],
                "submitted_at": _iso(row["submitted_at"], zone),
                "claimed": claim_is_live(row, now),
            }
            for row in page or []
        ]
        return self.get_paginated_response(rows)


class ClaimView(APIView):
    permission_classes = MODERATOR

    @extend_schema(request=None, responses={200: CaseOutputSerializer, 409: CONFLICT})
    @response_links(200, **_case_links(CASE, "decide", "escalate"))
    def post(self, request: Request, public_id: str) -> Response:
        case = case_for_viewer(user=_user(request), public_id=public_id)
        moderation.case_claim(case=case, moderator=_user(request))
        return _case_response(request, public_id)


class DecideView(APIView):
    permission_classes = MODERATOR

    @extend_schema(
        request=DecisionInputSerializer, responses={200: CaseOutputSerializer, 409: CONFLICT}
    )
    def post(self, request: Request, public_id: str) -> Response:
        case = case_for_viewer(user=_user(request), public_id=public_id)
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        moderation.case_decide(case=case, moderator=_user(request), **data.validated_data)
        return _case_response(request, public_id)


class EscalateView(APIView):
    permission_classes = MODERATOR

    @extend_schema(
        request=ReasonInputSerializer, responses={200: CaseOutputSerializer, 409: CONFLICT}
    )
    def post(self, request: Request, public_id: str) -> Response:
        case = case_for_viewer(user=_user(request), public_id=public_id)
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        moderation.case_escalate(
            case=case, moderator=_user(request), reason=data.validated_data["reason"]
        )
        return _case_response(request, public_id)


class CaseConflictView(APIView):
    """The moderator cannot judge this person impartially: none of their cases reach them
    again, and a claim on this one is given back."""

    permission_classes = MODERATOR

    @extend_schema(request=ReasonInputSerializer, responses={204: None})
    def post(self, request: Request, public_id: str) -> Response:
        case = case_for_viewer(user=_user(request), public_id=public_id)
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        moderation.conflict_declare(
            case=case, reviewer=_user(request), reason=data.validated_data["reason"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SlaView(APIView):
    permission_classes = MODERATOR

    @extend_schema(request=None, responses=SlaOut)
    def get(self, request: Request) -> Response:
        return Response(vars(sla_figures(reuse_decision_figures=True)))
