"""Help, privacy and terms pages, the contact form, and the moderators' inbox of it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError, RetryLater
from core.middleware import form_error
from core.types import AuthenticatedHttpRequest
from kyc import conf as kyc_conf
from reputation import conf as reputation_conf
from support import selectors, services
from support.forms import ContactForm


def _facts() -> dict[str, object]:
    """Figures the help and privacy pages quote, read from the running configuration so
    the pages cannot drift from what the platform does."""
    reputation_rules = reputation_conf.rules()
    return {
        "retention_days": kyc_conf.retention_days(),
        "session_days": settings.SESSION_COOKIE_AGE // 86400,
        "validator_votes": kyc_conf.validator_votes(),
        "claim_minutes": kyc_conf.claim_minutes(),
        "min_age": kyc_conf.min_age(),
        "messages_per_hour": services.MESSAGES_PER_WINDOW,
        "half_life_days": f"{reputation_rules.half_life_days:g}",
        "grace_days": reputation_rules.grace_days,
    }


@require_GET
def help_page(request: HttpRequest) -> HttpResponse:
    return render(request, "support/help.html", _facts())


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "support/privacy.html", _facts())


@require_GET
def terms(request: HttpRequest) -> HttpResponse:
    return render(request, "support/terms.html", _facts())


@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    signed_in = request.user.is_authenticated
    form = ContactForm(request.POST if request.method == "POST" else None)
    status = 200
    retry_after: int | None = None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.contact_message_send(
                    sender=request.user if signed_in else None,  # type: ignore[arg-type]
                    reply_to=form.cleaned_data["reply_to"],
                    topic=form.cleaned_data["topic"],
                    body=form.cleaned_data["body"],
                    client_address=request.META.get("REMOTE_ADDR", ""),
                )
            except DomainError as error:
                form_error(form, error)
                status = error.status_code
                if isinstance(error, RetryLater):
                    retry_after = error.retry_after
            else:
                messages.success(
                    request, "Thank you. The moderators have your message and answer by e-mail."
                )
                return redirect("support:contact")
    response = render(
        request, "support/contact.html", {"form": form, "signed_in": signed_in}, status=status
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@login_required
@permission_required("accounts.moderate_community", raise_exception=True)
@require_GET
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    show_handled = request.GET.get("show") == "handled"
    context = {
        "contact_messages": selectors.inbox(moderator=request.user, handled=show_handled),
        "show_handled": show_handled,
    }
    return render(request, "support/inbox.html", context)


@login_required
@permission_required("accounts.moderate_community", raise_exception=True)
@require_POST
def mark_handled(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    message = selectors.message_for_moderator(moderator=request.user, public_id=public_id)
    services.contact_message_mark_handled(message=message, moderator=request.user)
    messages.success(request, "Marked as handled.")
    return redirect("support:inbox")
