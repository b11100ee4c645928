"""The validators' page: one redacted question at a time, and the image crops it needs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.mfa import second_factor_required
from core.errors import DomainError, InvalidInput
from core.types import AuthenticatedHttpRequest
from kyc.services import validation


@login_required
@second_factor_required
@require_GET
def check_image(request: AuthenticatedHttpRequest, check_id: str, kind: str) -> HttpResponse:
    """The crop of an image a validator's check needs, watermarked with their pseudonym;
    logged. Only through a check handed to them that is still open."""
    content = validation.check_image_read(validator=request.user, check_id=check_id, kind=kind)
    response = HttpResponse(content, content_type="image/png")
    response["Cache-Control"] = "no-store"
    return response


@login_required
@second_factor_required
@require_http_methods(["GET", "POST"])
def validator_checks(request: AuthenticatedHttpRequest) -> HttpResponse:
    """One redacted question at a time for validators; answering loads the next at once."""
    if not (request.user.has_perm("accounts.vote_kyc_checks") and request.user.is_verified):
        raise PermissionDenied
    if request.method == "POST":
        answer = request.POST.get("answer")
        # A check can close between showing and answering (it expired, the case went to a
        # moderator): say so and show the next one, which is what the validator wants.
        try:
            if answer not in {"yes", "no", "cannot_tell", "conflict"}:
                raise InvalidInput("Answer yes, no or can't tell.", field="answer")
            check = validation.check_for_validator(
                validator=request.user, check_id=request.POST.get("check", "")
            )
            if answer == "cannot_tell":
                validation.check_cannot_tell(check=check, validator=request.user)
                messages.success(request, "Fine: another validator will look at this one.")
            elif answer == "conflict":
                validation.check_give_back(
                    check=check, validator=request.user, reason="knows the person"
                )
                messages.success(request, "Noted: this person's checks will not reach you.")
            else:
                validation.check_vote(check=check, validator=request.user, answer=answer == "yes")
                messages.success(request, "Thanks, your answer counts.")
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("kyc:validator-checks")
    handed = validation.check_next(validator=request.user)
    images = [
        {"kind": kind, "caption": _IMAGE_CAPTIONS.get(kind, kind)}
        for kind in (validation.check_image_kinds(check=handed) if handed else [])
    ]
    offered, per_day = validation.checks_offered_today(validator=request.user)
    context = {"check": handed, "images": images, "offered": offered, "per_day": per_day}
    return render(request, "kyc/validator_check.html", context)


# What each image of a check is, said under it (the crop shows only part of it).
_IMAGE_CAPTIONS = {
    "id_front": "The identity document's front (only the part this question needs)",
    "id_back": "The identity document's back (only the part this question needs)",
    "selfie": "The selfie the person took",
}
