"""Reputation pages: mine, a person's public profile, and the moderators' penalties page."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.mfa import second_factor_required
from accounts.models import User
from core.errors import DomainError
from core.middleware import form_error
from core.types import AuthenticatedHttpRequest
from reputation.chart import score_chart
from reputation.forms import AppealForm, DecisionForm, PenaltyForm, VisibilityForm
from reputation.models import Penalty
from reputation.selectors.penalties import appeals_pending, penalties_of, penalties_recent
from reputation.selectors.standing import (
    PRIVILEGE_WORDS,
    event_words,
    events_of,
    next_step,
    privileges_of,
    score_history,
    shows_display_name,
    standing_of,
    user_level,
)
from reputation.services import penalties, profiles


def _privileges(level: int) -> list[str]:
    return [PRIVILEGE_WORDS[name] for name in privileges_of(level)]


@login_required
@require_GET
def mine(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    standing = standing_of(user=user)
    events = events_of(user=user)
    context = {
        "standing": standing,
        "next_step": next_step(
            level=standing.level, positive=standing.positive, total=standing.evidence
        ),
        "privileges": _privileges(standing.level),
        "chart": score_chart(score_history(user=user)),
        "events": [(event, event_words(event)) for event in events],
        "penalties": list(penalties_of(user=user)),
        "appeal_form": AppealForm(),
        "visibility_form": VisibilityForm(
            initial={"show_display_name": shows_display_name(user=user)}
        ),
    }
    return render(request, "reputation/mine.html", context)


@login_required
@require_POST
def visibility(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = VisibilityForm(request.POST)
    form.is_valid()
    profiles.public_profile_set(
        user=request.user, show_display_name=bool(form.cleaned_data.get("show_display_name"))
    )
    messages.success(request, "Your public profile is updated.")
    return redirect("reputation:mine")


@login_required
@require_POST
def appeal(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    penalty = _penalty(public_id, user=request.user)
    form = AppealForm(request.POST)
    if form.is_valid():
        try:
            penalties.penalty_appeal(
                user=request.user, penalty=penalty, text=form.cleaned_data["text"]
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Your appeal is with the moderators.")
    else:
        messages.error(request, "Write why the penalty is wrong to appeal it.")
    return redirect("reputation:mine")


@require_GET
def public_profile(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        key = uuid.UUID(public_id)
    except ValueError:
        raise Http404("No such person.") from None
    person = User.objects.select_related("profile").filter(public_id=key, is_active=True).first()
    if person is None:
        raise Http404("No such person.")
    level = user_level(user=person)
    name = person.profile.display_name if shows_display_name(user=person) else ""
    return render(
        request,
        "reputation/profile.html",
        {"person": person, "name": name, "level": level, "privileges": _privileges(level)},
    )


def _penalty(public_id: str, *, user: User | None = None) -> Penalty:
    try:
        key = uuid.UUID(public_id)
    except ValueError:
        raise Http404("No such penalty.") from None
    queryset = Penalty.objects.all() if user is None else Penalty.objects.filter(user=user)
    penalty = queryset.filter(public_id=key).first()
    if penalty is None:
        raise Http404("No such penalty.")
    return penalty


def _moderation_page(
    request: AuthenticatedHttpRequest,
    *,
    form: PenaltyForm | None = None,
    decision_forms: dict[int, DecisionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    decision_forms = decision_forms or {}
    appeals = [
        (penalty, decision_forms.get(penalty.pk, DecisionForm(prefix=str(penalty.public_id))))
        for penalty in appeals_pending()[:50]
    ]
    context = {
        "form": form or PenaltyForm(),
        "appeals": appeals,
        "recent": penalties_recent(),
    }
    return render(request, "reputation/moderation.html", context, status=status)


MODERATE = penalties.MODERATE


@login_required
@second_factor_required
@permission_required(MODERATE, raise_exception=True)
@require_GET
def moderation(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _moderation_page(request)


@login_required
@second_factor_required
@permission_required(MODERATE, raise_exception=True)
@require_http_methods(["POST"])
def penalise(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PenaltyForm(request.POST)
    if form.is_valid():
        person = User.objects.filter(public_id=form.cleaned_data["person"]).first()
        if person is None:
            form.add_error("person", "No such person.")
        else:
            try:
                penalties.penalty_impose(
                    moderator=request.user,
                    user=person,
                    reason=form.cleaned_data["reason"],
                    explanation=form.cleaned_data["explanation"],
                    weight=form.cleaned_data["weight"],
                )
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, "The penalty is recorded and the person is told.")
                return redirect("reputation:moderation")
    return _moderation_page(request, form=form, status=400)


@login_required
@second_factor_required
@permission_required(MODERATE, raise_exception=True)
@require_POST
def decide(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    penalty = _penalty(public_id)
    form = DecisionForm(request.POST, prefix=str(penalty.public_id))
    if form.is_valid():
        try:
            penalties.appeal_decide(
                moderator=request.user,
                penalty=penalty,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, "The appeal is decided and the person is told.")
            return redirect("reputation:moderation")
    return _moderation_page(request, decision_forms={penalty.pk: form}, status=400)
