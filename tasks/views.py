"""Pages: the pioneer's feed and work page, the requester's editor and results.

Page views call the same selectors and services as the API. A domain error becomes the
error page with its status and message (`core.middleware.DomainErrorMiddleware`), except
where the page carries on: forms show it beside their field, and the work page shows it
in place of the item. The work page is htmx: answering returns the next item's fragment
at once; without JavaScript the same forms post and the full page comes back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from core.middleware import form_error
from core.types import AuthenticatedHttpRequest
from tasks import results, samples, selectors
from tasks.forms import ProjectForm, ResultsFilterForm, answer_from_post
from tasks.models import Assignment, Project
from tasks.services import feed as feed_services
from tasks.services import projects


def _htmx(request: AuthenticatedHttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# --- Pioneer ----------------------------------------------------------------------------


@login_required
@require_GET
def feed(request: AuthenticatedHttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"balance": selectors.credit_balance(user=request.user)}
    try:
        context["projects"] = list(selectors.feed_projects(user=request.user).order_by("-pk"))
    except DomainError as error:
        context["refusal"] = error.message
        context["projects"] = []
    return render(request, "tasks/feed.html", context)


@login_required
@require_GET
def feed_card(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    """One feed card, for a project announced live to an open feed page."""
    project = selectors.feed_project(user=request.user, public_id=public_id)
    return render(request, "tasks/_project_card.html", {"project": project})


def _item_context(project: Project, assignment: Assignment | None) -> dict[str, Any]:
    context: dict[str, Any] = {"project": project, "assignment": assignment}
    if project.kind == "rating":
        context["scale"] = list(range(project.scale_min, project.scale_max + 1))
    return context


def _render_item(
    request: AuthenticatedHttpRequest,
    project: Project,
    assignment: Assignment | None,
    *,
    error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {**_item_context(project, assignment), "error": error}
    template = "tasks/_item.html" if _htmx(request) else "tasks/work.html"
    return render(request, template, context, status=status)


@login_required
@require_GET
def work(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    """The work page; its item comes from `work_next` (htmx on load, or a button)."""
    project = selectors.project_for_pioneer(user=request.user, public_id=public_id)
    live = selectors.live_assignment(user=request.user, project=project)
    context = {**_item_context(project, live), "start": live is None}
    return render(request, "tasks/work.html", context)


@login_required
@require_POST
def work_next(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    try:
        project = selectors.project_for_pioneer(user=request.user, public_id=public_id)
        claim = feed_services.item_claim_next(project=project, pioneer=request.user)
    except DomainError as error:
        if not _htmx(request):
            raise
        # htmx swaps only successful responses: the refusal takes the item's place.
        return render(request, "tasks/_item.html", {"error": error.message}, status=200)
    return _render_item(request, project, claim.assignment if claim else None)


@login_required
@require_POST
def work_answer(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    assignment = selectors.assignment_for_pioneer(user=request.user, public_id=public_id)
    project = assignment.project
    value = answer_from_post(project.kind, request.POST)
    try:
        feed_services.assignment_answer(assignment=assignment, pioneer=request.user, value=value)
    except DomainError as error:
        if error.status_code == 400:
            return _render_item(request, project, assignment, error=error.message, status=400)
        return _next_after(request, project, notice=error.message)
    return _next_after(request, project, notice="Answer saved.")


@login_required
@require_POST
def work_skip(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    assignment = selectors.assignment_for_pioneer(user=request.user, public_id=public_id)
    try:
        feed_services.assignment_skip(assignment=assignment, pioneer=request.user)
    except DomainError as error:
        return _next_after(request, assignment.project, notice=error.message)
    return _next_after(request, assignment.project, notice="Skipped.")


def _next_after(
    request: AuthenticatedHttpRequest, project: Project, *, notice: str
) -> HttpResponse:
    """After an answer or a skip the next item comes in the same response."""
    try:
        claim = feed_services.item_claim_next(project=project, pioneer=request.user)
    except DomainError as error:
        return render(
            request,
            "tasks/_item.html" if _htmx(request) else "tasks/work.html",
            {"project": project, "error": error.message},
        )
    context = {**_item_context(project, claim.assignment if claim else None), "notice": notice}
    return render(request, "tasks/_item.html" if _htmx(request) else "tasks/work.html", context)


# --- Requester --------------------------------------------------------------------------


@login_required
@require_GET
def requester_projects(request: AuthenticatedHttpRequest) -> HttpResponse:
    owned = list(selectors.owner_projects(user=request.user).order_by("-pk"))
    return render(request, "tasks/requester_list.html", {"projects": owned})


@login_required
@require_http_methods(["GET", "POST"])
def project_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not selectors.may_publish(user=request.user):
        raise Http404("No such page.")
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.service_fields(editing=False)
            project = projects.project_create(
                owner=request.user, title=data.pop("title"), kind=data.pop("kind"), **data
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, "Project created. Upload items, then publish.")
            return redirect("tasks:project", public_id=project.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "tasks/project_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, public_id=public_id)
    initial = {
        field: getattr(project, field)
        for field in ProjectForm.base_fields
        if field not in ("labels",)
    }
    initial["labels"] = "\n".join(project.labels)
    form = ProjectForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                projects.project_update(
                    project=project, actor=request.user, **form.service_fields(editing=True)
                )
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, "Project saved.")
                return redirect("tasks:project", public_id=project.public_id)
        status = 400
    context = {
        "project": project,
        "form": form,
        "counts": selectors.project_item_counts(project=project),
        "items": selectors.project_items_shown(project=project),
        "items_shown": selectors.ITEMS_SHOWN,
        "upload_url": reverse("tasks-api:project-items", args=[project.public_id]),
    }
    return render(request, "tasks/project_edit.html", context, status=status)


def _move(
    request: AuthenticatedHttpRequest,
    public_id: str,
    move: Callable[..., Project],
    verb: str,
) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, public_id=public_id)
    move(project=project, actor=request.user)
    messages.success(request, f"Project {project.title}: {verb} done.")
    return redirect("tasks:project", public_id=project.public_id)


@login_required
@require_POST
def project_publish(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    return _move(request, public_id, projects.project_publish, "publish")


@login_required
@require_POST
def project_pause(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    return _move(request, public_id, projects.project_pause, "pause")


@login_required
@require_POST
def project_close(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    return _move(request, public_id, projects.project_close, "close")


@login_required
@require_GET
def project_close_confirm(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    """Closing cannot be undone, so the project page's Close leads here first."""
    project = selectors.project_for_owner(user=request.user, public_id=public_id)
    return render(request, "tasks/project_close.html", {"project": project})


@login_required
@require_GET
def project_sample(request: AuthenticatedHttpRequest, public_id: str, fmt: str) -> HttpResponse:
    """A sample item file for the project's kind and labels, in CSV or JSON Lines."""
    project = selectors.project_for_owner(user=request.user, public_id=public_id)
    spec = projects.project_spec(project)
    if fmt == "csv":
        body, content_type = samples.sample_csv(spec), "text/csv; charset=utf-8"
    else:
        body, content_type = samples.sample_jsonl(spec), "application/x-ndjson; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="sample-items-{project.kind}.{fmt}"'
    return response


# The results page shows the first rows; the API pages through all of them, and the
# export has everything.
RESULTS_PAGE_ROWS = 200
CHART_WIDTH = 320
CHART_HEIGHT = 120


def _bars(values: list[int], labels: list[str]) -> list[dict[str, Any]]:
    """Bar geometry for the inline SVG chart (server-side, so it works without JS)."""
    top = max(values) if values else 0
    width = CHART_WIDTH / max(1, len(values))
    bars = []
    for index, (value, label) in enumerate(zip(values, labels, strict=True)):
        height = 0 if top == 0 else math.ceil((CHART_HEIGHT - 20) * value / top)
        bars.append(
            {
                "x": round(index * width + 2, 1),
                "y": CHART_HEIGHT - 16 - height,
                "width": round(width - 4, 1),
                "height": height,
                "value": value,
                "label": label,
                "text_x": round(index * width + width / 2, 1),
            }
        )
    return bars


@login_required
@require_GET
def project_results(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, public_id=public_id)
    form = ResultsFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            key: value for key, value in form.cleaned_data.items() if value not in ("", None)
        }
    report = results.report(project=project, **filters, limit=RESULTS_PAGE_ROWS)
    histogram_labels = [f"{n / 10:.1f}" for n in range(10)]
    context = {
        "project": project,
        "form": form,
        "report": report,
        "rows": report.rows,
        "truncated": report.count > len(report.rows),
        "confidence_bars": _bars(report.histogram, histogram_labels),
        "label_bars": _bars(list(report.label_counts.values()), list(report.label_counts)),
        "chart": {"width": CHART_WIDTH, "height": CHART_HEIGHT},
        "export_url": reverse("tasks-api:project-export", args=[project.public_id]),
        "method": filters.get("method", ""),
    }
    return render(
        request,
        "tasks/results.html",
        context,
        status=200 if form.is_valid() or not request.GET else 400,
    )
