"""Review pages: the review work page (keyboard-driven like task work) and the
moderators' page of flagged rings. Thin views over `reputation.services.reviews` and
`reputation.services.rings`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.mfa import second_factor_required
from accounts.models import User
from core.errors import DomainError
from core.types import AuthenticatedHttpRequest
from reputation import review_rules as rules
from reputation.models import ReviewAssignment, ReviewRing
from reputation.selectors.reviews import (
    may_moderate_rings,
    review_for_reviewer,
    reviews_of_author,
    ring_for_moderator,
    rings_for_moderator,
)
from reputation.selectors.standing import has_privilege
from reputation.services import reviews
from reputation.services import rings as ring_services


def _held(user: User) -> ReviewAssignment | None:
    return (
        ReviewAssignment.objects.select_related("request")
        .filter(
            reviewer=user, status=ReviewAssignment.Status.RESERVED, expires_at__gt=timezone.now()
        )
        .first()
    )


@login_required
@require_GET
def review_work(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The review held for this person (if any), and how peers judged their own work."""
    may_review = has_privilege(request.user, "review_peers")
    context: dict[str, Any] = {
        "may_review": may_review,
        "held": _held(request.user) if may_review else None,
        "accept_reasons": rules.ACCEPT_REASONS,
        "reject_reasons": rules.REJECT_REASONS,
        "comment_max": rules.COMMENT_MAX_LENGTH,
        "mine": reviews_of_author(author=request.user),
    }
    return render(request, "reviews/work.html", context)


@login_required
@require_POST
def review_next(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        claim = reviews.review_claim_next(reviewer=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("reviews:work")
    if claim is None:
        messages.info(request, "Nothing to review right now. Come back later.")
    return redirect("reviews:work")


@login_required
@require_POST
def review_submit(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    accept = {"accept": True, "reject": False}.get(request.POST.get("verdict", ""))
    try:
        assignment = review_for_reviewer(reviewer=request.user, public_id=public_id)
        reviews.review_submit(
            assignment=assignment,
            reviewer=request.user,
            accept="missing" if accept is None else accept,
            reason_codes=request.POST.getlist("reason_codes"),
            comment=request.POST.get("comment", ""),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("reviews:work")
    messages.success(request, "Review saved.")
    # The next one comes at once, as in task work.
    try:
        if reviews.review_claim_next(reviewer=request.user) is None:
            messages.info(request, "That was the last one for now.")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("reviews:work")


def _require_moderator(user: User) -> None:
    if not may_moderate_rings(user):
        raise Http404("No such page.")


def _ring_rows(rings: list[ReviewRing]) -> list[dict[str, Any]]:
    people = {
        str(user.public_id): user
        for ring in rings
        for user in ring.members.all()  # prefetched
    }
    rows = []
    for ring in rings:
        favours = [
            {
                **favour,
                "reviewer_name": _name(people.get(favour["reviewer"])),
                "author_name": _name(people.get(favour["author"])),
                "share_percent": round(100 * favour["share"]),
                "baseline_percent": round(100 * favour["baseline"]),
            }
            for favour in ring.evidence.get("favours", [])
        ]
        rows.append(
            {
                "ring": ring,
                "members": [_name(user) for user in ring.members.all()],
                "favours": favours,
                "held": ring.held,  # type: ignore[attr-defined]  # annotated by the selector
            }
        )
    return rows


def _name(user: User | None) -> str:
    if user is None:
        return "(gone)"
    return user.email


@login_required
@second_factor_required
@require_GET
def rings(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_moderator(request.user)
    flagged = list(rings_for_moderator(moderator=request.user).order_by("created_at")[:100])
    return render(request, "reviews/rings.html", {"rows": _ring_rows(flagged)})


def _resolve(request: AuthenticatedHttpRequest, public_id: str, action: Any, done: str) -> Any:
    _require_moderator(request.user)
    try:
        ring = ring_for_moderator(moderator=request.user, public_id=public_id)
        action(ring=ring, moderator=request.user, note=request.POST.get("note", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("reviews:rings")


@login_required
@second_factor_required
@require_POST
def ring_clear(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    return _resolve(
        request, public_id, ring_services.ring_clear, "Cleared: their reviews of each other count."
    )


@login_required
@second_factor_required
@require_POST
def ring_penalise(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    return _resolve(
        request, public_id, ring_services.ring_penalise, "Penalised: each member was told why."
    )
