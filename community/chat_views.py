"""Chat pages: the room list, a room with its history rendered on the server (the socket
adds the live parts, static/js/chat.js), and one page per action: edit, delete, report;
for moderators remove, mute, ban, slow mode, the reports queue and an edit history.

Domain errors reach `core.middleware.DomainErrorMiddleware`, except on forms, where
`form_error` puts them beside their field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from community import chat_selectors as selectors
from community.chat_forms import MessageForm, MuteForm, ReasonForm, SlowModeForm
from community.models import Message, Report, Room
from community.services import chat, moderation
from core.errors import DomainError, NotFound
from core.middleware import form_error
from core.types import AuthenticatedHttpRequest
from ledger.schemas import utc_timestamp


def _may_edit(message: Message, user: User) -> bool:
    return (
        message.author_id == user.pk
        and message.deleted_at is None
        and timezone.now() - message.created_at <= chat.EDIT_WINDOW
    )


@login_required
@require_GET
def room_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    rooms = list(selectors.rooms_with_unread(user=request.user))
    return render(request, "community/chat/list.html", {"rooms": rooms})


@login_required
@require_GET
def room_view(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    room = selectors.room_for_reader(user=request.user, slug=slug)
    before_text = request.GET.get("before", "")
    before = int(before_text) if before_text.isdigit() and len(before_text) < 18 else None
    page = selectors.history(room=room, before=before)
    user = request.user
    now = timezone.now()
    mute = selectors.running_mute(user=user, room=room, now=now)
    may_post = user.is_verified or selectors.is_moderator(user)
    if before is None and room.last_seq:
        chat.room_mark_read(room=room, user=user, seq=room.last_seq)
    for message in page:
        message.may_edit = _may_edit(message, user)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "room": room,
        "page": page,
        "older": page[0].seq if page and page[0].seq > 1 else None,
        "live": before is None,
        "last_id": page[-1].seq if page else 0,
        "form": MessageForm(),
        "may_post": may_post,
        "mute": mute,
        "mute_until": utc_timestamp(mute.until) if mute else "",
        "moderator": selectors.is_moderator(user),
        "me": str(user.public_id),
    }
    return render(request, "community/chat/room.html", context)


@login_required
@require_POST
def message_post(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    room = selectors.room_for_reader(user=request.user, slug=slug)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            chat.message_post(room=room, author=request.user, body=form.cleaned_data["body"])
        except DomainError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, " ".join(str(error) for error in form.errors.get("body", [])))
    return redirect("chat:room", slug=room.slug)


def _message(request: AuthenticatedHttpRequest, slug: str, seq: int) -> Message:
    return selectors.message_for_reader(user=request.user, slug=slug, seq=seq)


def _form_page(
    request: AuthenticatedHttpRequest,
    *,
    form: forms.Form,
    act: Callable[[dict[str, Any]], str],
    done: str,
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """Every action page: on a valid POST `act` calls the service with the cleaned data and
    returns what to tell the person ("" for nothing), then the page goes to `done`; a
    domain error goes beside its field and the form is shown again."""
    if request.method == "POST" and form.is_valid():
        try:
            said = act(form.cleaned_data)
        except DomainError as error:
            form_error(form, error)
        else:
            if said:
                messages.success(request, said)
            return redirect(done)
    return render(request, template, {**context, "form": form})


def _room_url(slug: str) -> str:
    return reverse("chat:room", kwargs={"slug": slug})


def _message_page(
    request: AuthenticatedHttpRequest,
    message: Message,
    act: Callable[[dict[str, Any]], str],
    *,
    done: str,
    title: str,
    button: str,
    intro: str,
) -> HttpResponse:
    return _form_page(
        request,
        form=ReasonForm(request.POST or None),
        act=act,
        done=done,
        template="community/chat/action.html",
        context={
            "message": message,
            "room": message.room,
            "title": title,
            "button": button,
            "intro": intro,
        },
    )


def _person_page(
    request: AuthenticatedHttpRequest,
    slug: str,
    person: Any,
    form: type[forms.Form],
    act: Callable[[Room, User, dict[str, Any]], str],
    *,
    title: str,
    button: str,
) -> HttpResponse:
    _moderator(request)
    room = selectors.room_for_reader(user=request.user, slug=slug)
    subject = _person(person)
    return _form_page(
        request,
        form=form(request.POST or None),
        act=lambda data: act(room, subject, data),
        done=_room_url(slug),
        template="community/chat/person_action.html",
        context={
            "room": room,
            "subject": subject,
            "name": selectors.display_name(subject),
            "title": title,
            "button": button,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def message_edit(request: AuthenticatedHttpRequest, slug: str, seq: int) -> HttpResponse:
    message = _message(request, slug, seq)

    def act(data: dict[str, Any]) -> str:
        chat.message_edit(message=message, editor=request.user, body=data["body"])
        return ""

    return _form_page(
        request,
        form=MessageForm(request.POST or None, initial={"body": message.body}),
        act=act,
        done=_room_url(slug),
        template="community/chat/edit.html",
        context={"message": message, "room": message.room},
    )


@login_required
@require_POST
def message_delete(request: AuthenticatedHttpRequest, slug: str, seq: int) -> HttpResponse:
    chat.message_delete(message=_message(request, slug, seq), actor=request.user)
    messages.success(request, "Your message was deleted.")
    return redirect("chat:room", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def message_report(request: AuthenticatedHttpRequest, slug: str, seq: int) -> HttpResponse:
    message = _message(request, slug, seq)

    def act(data: dict[str, Any]) -> str:
        moderation.report_create(message=message, reporter=request.user, reason=data["reason"])
        return "Thank you: the moderators will look at it."

    return _message_page(
        request,
        message,
        act,
        done=_room_url(slug),
        title="Report a message",
        button="Send the report",
        intro="Tell the moderators what is wrong with this message.",
    )


# --- Moderators ---------------------------------------------------------------------------


def _moderator(request: AuthenticatedHttpRequest) -> None:
    if not selectors.is_moderator(request.user):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def message_remove(request: AuthenticatedHttpRequest, slug: str, seq: int) -> HttpResponse:
    _moderator(request)
    message = _message(request, slug, seq)

    def act(data: dict[str, Any]) -> str:
        moderation.message_remove(message=message, moderator=request.user, reason=data["reason"])
        return "The message was removed; the reason is on the record."

    return _message_page(
        request,
        message,
        act,
        done=reverse("chat:queue") if request.GET.get("next") == "queue" else _room_url(slug),
        title="Remove a message",
        button="Remove the message",
        intro=(
            "Readers see that a moderator removed it; the text and your reason stay on the record."
        ),
    )


def _person(public_id: Any) -> User:
    person = User.objects.filter(public_id=public_id).select_related("profile").first()
    if person is None:
        raise NotFound("No such person.")
    return person


@login_required
@require_http_methods(["GET", "POST"])
def mute(request: AuthenticatedHttpRequest, slug: str, person: Any) -> HttpResponse:
    def act(room: Room, subject: User, data: dict[str, Any]) -> str:
        moderation.mute_create(
            subject=subject,
            moderator=request.user,
            room=None if data["everywhere"] else room,
            minutes=data["minutes"],
            reason=data["reason"],
        )
        return f"{selectors.display_name(subject)} is muted."

    return _person_page(request, slug, person, MuteForm, act, title="Mute", button="Mute")


@login_required
@require_http_methods(["GET", "POST"])
def ban(request: AuthenticatedHttpRequest, slug: str, person: Any) -> HttpResponse:
    def act(room: Room, subject: User, data: dict[str, Any]) -> str:
        moderation.ban_create(
            subject=subject, moderator=request.user, room=room, reason=data["reason"]
        )
        return f"{selectors.display_name(subject)} is banned from {room.title}."

    return _person_page(
        request, slug, person, ReasonForm, act, title="Ban from the room", button="Ban"
    )


@login_required
@require_http_methods(["GET", "POST"])
def slow_mode(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    _moderator(request)
    room = selectors.room_for_reader(user=request.user, slug=slug)

    def act(data: dict[str, Any]) -> str:
        moderation.room_set_slow_mode(room=room, moderator=request.user, seconds=data["seconds"])
        return ""

    return _form_page(
        request,
        form=SlowModeForm(request.POST or None, initial={"seconds": room.slow_mode_seconds}),
        act=act,
        done=_room_url(slug),
        template="community/chat/slow_mode.html",
        context={"room": room},
    )


@login_required
@require_GET
def edit_history(request: AuthenticatedHttpRequest, slug: str, seq: int) -> HttpResponse:
    _moderator(request)
    message = _message(request, slug, seq)
    return render(
        request,
        "community/chat/history.html",
        {
            "message": message,
            "room": message.room,
            "edits": selectors.edit_history(message=message),
        },
    )


QUEUE_LIMIT = 50


@login_required
@require_GET
def report_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    _moderator(request)
    reports = list(selectors.open_reports()[:QUEUE_LIMIT])
    contexts = selectors.contexts_of(messages=[report.message for report in reports])
    items = [{"report": report, "context": contexts[report.message_id]} for report in reports]
    return render(request, "community/chat/queue.html", {"items": items})


@login_required
@require_POST
def report_dismiss(request: AuthenticatedHttpRequest, public_id: Any) -> HttpResponse:
    _moderator(request)
    report = Report.objects.filter(public_id=public_id).first()
    if report is None:
        raise NotFound("No such report.")
    moderation.report_dismiss(report=report, moderator=request.user)
    messages.success(request, "The report was dismissed.")
    return redirect("chat:queue")
