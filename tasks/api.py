"""The task API: thin views over tasks.selectors and the tasks.services modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any, cast

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import CursorPagination, FiniteFloatField, LimitedJSONParser, PayloadTooLarge
from core.errors import InvalidInput, NotFound
from core.schema import CONFLICT, Link, response_links
from tasks import conf, results, selectors
from tasks.models import Credit, Project
from tasks.serializers import (
    AnswerInputSerializer,
    AnswerOutputSerializer,
    AssignmentSerializer,
    CreditPageSerializer,
    CreditSerializer,
    FeedProjectSerializer,
    ItemInputSerializer,
    OwnerProjectSerializer,
    ProjectInputSerializer,
    ProjectUpdateSerializer,
    ResultsOutputSerializer,
    UploadOutputSerializer,
)
from tasks.services import exports, feed, items, projects

JSONL_TYPES = {"application/x-ndjson", "application/jsonl", "application/jsonlines", "text/jsonl"}

PROJECT = "$response.body#/id"
SAME_PROJECT = "$request.path.public_id"
FIRST_IN_PAGE = "$response.body#/results/0/id"
PROJECT_OPERATIONS = {
    "project": "v1_projects_retrieve",
    "edit": "v1_projects_partial_update",
    "items": "v1_projects_items_create",
    "publish": "v1_projects_publish_create",
    "pause": "v1_projects_pause_create",
    "close": "v1_projects_close_create",
    "next": "v1_projects_next_create",
    "results": "v1_projects_results_retrieve",
    "export": "v1_projects_export_create",
}


def _project_links(project_id: str, *names: str) -> dict[str, Link]:
    return {name: Link(PROJECT_OPERATIONS[name], {"public_id": project_id}) for name in names}


def _assignment_links() -> dict[str, Link]:
    return {
        name: Link(f"v1_assignments_{name}_create", {"public_id": "$response.body#/id"})
        for name in ("answer", "skip")
    }


AS_SEEN = (
    "A pioneer sees the feed's view of a project; its owner (and `mine=1`) gets every field "
    "of OwnerProject as well."
)


def _user(request: Request) -> User:
    return cast(User, request.user)


class ProjectListView(APIView):
    """GET: the feed (published projects the pioneer may work), or `?mine=1` for a
    requester's own projects. POST: a requester creates a draft project."""

    pagination_class = CursorPagination

    @extend_schema(
        parameters=[OpenApiParameter("mine", bool, description="the requester's own projects")],
        responses=FeedProjectSerializer(many=True),
    )
    @response_links(200, **_project_links(FIRST_IN_PAGE, "project", "next"))
    def get(self, request: Request) -> Response:
        user = _user(request)
        paginator = self.pagination_class()
        if request.query_params.get("mine") in {"1", "true"}:
            queryset = selectors.owner_projects(user=user)
            serializer_class: type[serializers.Serializer] = OwnerProjectSerializer
        else:
            queryset = selectors.feed_projects(user=user)
            serializer_class = FeedProjectSerializer
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)

    @extend_schema(request=ProjectInputSerializer, responses={201: OwnerProjectSerializer})
    @response_links(
        201,
        **_project_links(PROJECT, "project", "edit", "items", "publish", "results", "export"),
    )
    def post(self, request: Request) -> Response:
        data = ProjectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = projects.project_create(owner=_user(request), **data.validated_data)
        project = selectors.project_for_owner(user=_user(request), public_id=project.public_id)
        return Response(OwnerProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailView(APIView):
    @extend_schema(responses=OpenApiResponse(FeedProjectSerializer, description=AS_SEEN))
    @response_links(200, **_project_links(PROJECT, "next"))
    def get(self, request: Request, public_id: str) -> Response:
        user = _user(request)
        try:
            project = selectors.project_for_owner(user=user, public_id=public_id)
        except NotFound:
            project = selectors.with_remaining(
                selectors.Project.objects.filter(
                    pk=selectors.project_for_pioneer(user=user, public_id=public_id).pk
                )
            ).get()
            return Response(FeedProjectSerializer(project).data)
        return Response(OwnerProjectSerializer(project).data)

    @extend_schema(
        request=ProjectUpdateSerializer, responses={200: OwnerProjectSerializer, 409: CONFLICT}
    )
    def patch(self, request: Request, public_id: str) -> Response:
        data = ProjectUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = _user(request)
        project = selectors.project_for_owner(user=user, public_id=public_id)
        projects.project_update(project=project, actor=user, **data.validated_data)
        project = selectors.project_for_owner(user=user, public_id=public_id)
        return Response(OwnerProjectSerializer(project).data)


class ProjectTransitionView(APIView):
    # One URL per move (publish, pause, close), each given its service in `api_urls`.
    move: Callable[..., Project] | None = None

    @extend_schema(request=None, responses={200: OwnerProjectSerializer, 409: CONFLICT})
    @response_links(200, **_project_links(PROJECT, "next", "results"))
    def post(self, request: Request, public_id: str) -> Response:
        user = _user(request)
        project = selectors.project_for_owner(user=user, public_id=public_id)
        assert self.move is not None
        self.move(project=project, actor=user)
        project = selectors.project_for_owner(user=user, public_id=public_id)
        return Response(OwnerProjectSerializer(project).data)


class UnreadBodyParser(parsers.BaseParser):
    """Claims every media type and reads nothing, so DRF's CSRF check (which looks at
    `request.POST`) leaves the body for the view to stream."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return {}


class ItemUploadView(APIView):
    """Bulk items as a JSON list (`application/json`) or JSON Lines
    (`application/x-ndjson`), read as a stream: the body never sits whole in memory, and
    the shared JSON body limit does not apply. Errors name the line; all or nothing."""

    parser_classes = [UnreadBodyParser]

    @extend_schema(
        request={
            "application/json": ItemInputSerializer(many=True),
            "application/x-ndjson": ItemInputSerializer(many=True),
            "text/csv": OpenApiTypes.STR,
        },
        description=(
            "A JSON list of items, or JSON Lines (one item object per line; "
            "`application/jsonl` and `text/jsonl` are read the same way), or CSV with a "
            "header row: `ref` and `gold` columns are the item's own, every other column "
            "(`text`, or `payload.text` as the CSV export names it) a payload field. All or "
            "nothing: `errors.items` names each bad line."
        ),
        responses={201: UploadOutputSerializer, 409: CONFLICT},
    )
    @response_links(201, **_project_links(SAME_PROJECT, "publish"))
    def post(self, request: Request, public_id: str) -> Response:
        user = _user(request)
        project = selectors.project_for_owner(user=user, public_id=public_id)
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type in JSONL_TYPES:
            fmt = "jsonl"
        elif content_type == "application/json":
            fmt = "json"
        elif content_type == "text/csv":
            fmt = "csv"
        else:
            raise InvalidInput(
                "Send application/json (a list), application/x-ndjson (JSON Lines) "
                "or text/csv (a header row, then one item per row).",
                field="items",
            )
        length = request.META.get("CONTENT_LENGTH")
        if length and length.isdigit() and int(length) > conf.upload_max_bytes():
            raise PayloadTooLarge(f"The upload is larger than {conf.upload_max_bytes()} bytes.")
        try:
            counts = items.items_upload(
                project=project, actor=user, stream=cast(IO[bytes], request._request), fmt=fmt
            )
        except items.UploadRejected as rejected:
            raise serializers.ValidationError({"items": rejected.errors}) from rejected
        return Response(UploadOutputSerializer(counts).data, status=status.HTTP_201_CREATED)


class NextItemView(APIView):
    @extend_schema(
        request=None,
        responses={
            201: OpenApiResponse(AssignmentSerializer, description="a new assignment"),
            200: OpenApiResponse(
                AssignmentSerializer, description="the assignment this pioneer already holds"
            ),
            204: OpenApiResponse(description="nothing left for this pioneer"),
            409: CONFLICT,
        },
    )
    @response_links(201, **_assignment_links())
    @response_links(200, **_assignment_links())
    def post(self, request: Request, public_id: str) -> Response:
        user = _user(request)
        project = selectors.project_for_pioneer(user=user, public_id=public_id)
        claim = feed.item_claim_next(project=project, pioneer=user)
        if claim is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(
            AssignmentSerializer(claim.assignment).data,
            status=status.HTTP_201_CREATED if claim.created else status.HTTP_200_OK,
        )


class AnswerView(APIView):
    @extend_schema(
        request=AnswerInputSerializer, responses={201: AnswerOutputSerializer, 409: CONFLICT}
    )
    def post(self, request: Request, public_id: str) -> Response:
        data = AnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        assignment = selectors.assignment_for_pioneer(user=user, public_id=public_id)
        answer = feed.assignment_answer(
            assignment=assignment, pioneer=user, value=data.validated_data["value"]
        )
        return Response(AnswerOutputSerializer(answer).data, status=status.HTTP_201_CREATED)


class SkipView(APIView):
    @extend_schema(request=None, responses={200: AssignmentSerializer, 409: CONFLICT})
    def post(self, request: Request, public_id: str) -> Response:
        user = _user(request)
        assignment = selectors.assignment_for_pioneer(user=user, public_id=public_id)
        skipped = feed.assignment_skip(assignment=assignment, pioneer=user)
        return Response(AssignmentSerializer(skipped).data)


class ResultsQuerySerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=results.METHODS, required=False)
    label = serializers.CharField(required=False)  # type: ignore[assignment]
    min_confidence = FiniteFloatField(min_value=0, max_value=1, required=False)
    max_confidence = FiniteFloatField(min_value=0, max_value=1, required=False)
    # Bounded so that the offset, page x page_size, fits PostgreSQL's bigint.
    page = serializers.IntegerField(min_value=1, max_value=2**31 - 1, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=500, default=100)


class ResultsView(APIView):
    """Aggregated label, confidence and method per item, agreement, gold accuracy.

    Aggregates are computed over the whole project (Dawid-Skene needs every answer), so
    the rows are paged by number after filtering rather than by a database cursor."""

    @extend_schema(parameters=[ResultsQuerySerializer], responses=ResultsOutputSerializer)
    def get(self, request: Request, public_id: str) -> Response:
        query = ResultsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        project = selectors.project_for_owner(user=_user(request), public_id=public_id)
        report = results.report(
            project=project,
            method=params.get("method"),
            label=params.get("label"),
            min_confidence=params.get("min_confidence"),
            max_confidence=params.get("max_confidence"),
            offset=(params["page"] - 1) * params["page_size"],
            limit=params["page_size"],
        )
        return Response(
            ResultsOutputSerializer(
                {
                    "project": project.public_id,
                    "method": report.method,
                    "count": report.count,
                    "page": params["page"],
                    "results": report.rows,
                    "agreement": report.agreement_payload(),
                    "gold_accuracy": report.gold,
                    "exports": report.exports,
                }
            ).data
        )


class PlainNegotiation(DefaultContentNegotiation):
    """`?format=` names the export format here, not one of DRF's renderers."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return (renderers[0], renderers[0].media_type)


class ExportView(APIView):
    """POST: build the export, record its SHA-256 in the ledger, stream it back. A POST,
    not a GET, because it writes: a link or an image on another site must not be able to
    add entries to the public log in a requester's name (CSRF applies to POST)."""

    content_negotiation_class = PlainNegotiation
    # The results page posts a plain form (its CSRF token); the body carries nothing else.
    parser_classes = (LimitedJSONParser, parsers.FormParser)

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=["jsonl", "csv"]),
            OpenApiParameter("method", str, enum=list(results.METHODS)),
        ],
        request=None,
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(
                bytes, description="`format=jsonl`: one result per line"
            ),
            (200, "text/csv"): OpenApiResponse(bytes, description="`format=csv`"),
        },
    )
    def post(self, request: Request, public_id: str) -> FileResponse:
        user = _user(request)
        project = selectors.project_for_owner(user=user, public_id=public_id)
        fmt = request.query_params.get("format", "jsonl")
        method = request.query_params.get("method") or None
        if method is not None and method not in results.METHODS:
            raise InvalidInput(f"Choose one of: {', '.join(results.METHODS)}.", field="method")
        export = exports.export_create(project=project, actor=user, fmt=fmt, method=method)
        record = export.record
        response = FileResponse(
            export.file,
            as_attachment=True,
            filename=f"project-{project.public_id}-{record.exported_at:%Y%m%dT%H%M%SZ}.{fmt}",
            content_type="application/x-ndjson" if fmt == "jsonl" else "text/csv; charset=utf-8",
        )
        response["X-Export-SHA256"] = record.sha256
        response["X-Ledger-Index"] = str(record.ledger_index)
        response["Link"] = f'</transparency/?index={record.ledger_index}>; rel="proof"'
        return response


class CreditsView(APIView):
    """The signed-in pioneer's credit rows (newest first) and derived balance."""

    @extend_schema(operation_id="v1_credits_list", responses=CreditPageSerializer)
    def get(self, request: Request) -> Response:
        user = _user(request)
        paginator = CursorPagination()
        page = paginator.paginate_queryset(
            Credit.objects.filter(pioneer=user).select_related("project"), request, view=self
        )
        response = paginator.get_paginated_response(CreditSerializer(page, many=True).data)
        response.data["balance"] = selectors.credit_balance(user=user)
        return response
