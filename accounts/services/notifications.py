"""Notifications: sending one (kept, pushed live, e-mailed when the person is away),
marking them read, the e-mail settings, and the purge of old read ones."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Notification, NotificationSetting, User
from accounts.notification_kinds import KINDS, kind_of
from accounts.selectors import (
    UNREAD_VERSION_SECONDS,
    notifications_unread_count_uncached,
    unread_version_key,
)
from accounts.services.sockets import notify_user, presence_key
from core.errors import InvalidInput
from core.jobs import enqueue_on_commit

logger = logging.getLogger(__name__)

NOTIFICATION_EMAIL_JOB = "accounts.tasks.email_notification"
TITLE_MAX = 200
BODY_MAX = 2000
URL_MAX = 300


def _check_url(url: str) -> None:
    # A path inside the site: e-mailed links must not lead elsewhere, and a link is no
    # place for a secret or someone else's data.
    if url and (
        not url.startswith("/")
        or url.startswith("//")
        or "\\" in url
        or len(url) > URL_MAX
        or any(ord(char) < 33 for char in url)
    ):
        raise ValueError(f"a notification links to a path inside the site, not {url!r}")


def notification_email_wanted(*, user: User, kind: str) -> bool:
    """Whether `user` wants `kind` e-mailed when away: their setting, else the default."""
    spec = kind_of(kind)
    if not spec.emailable:
        return False
    chosen = (
        NotificationSetting.objects.filter(user=user, kind=kind)
        .values_list("email", flat=True)
        .first()
    )
    return spec.email_default if chosen is None else chosen


def _unread(user: User) -> int:
    # Counted, not cached: inside the changing transaction the cache still holds the
    # count from before the change.
    return notifications_unread_count_uncached(user=user)


def _replace_unread_version(user_id: int) -> None:
    try:
        cache.set(unread_version_key(user_id), uuid.uuid4().hex, timeout=UNREAD_VERSION_SECONDS)
    except Exception:
        # The cached count expires within UNREAD_COUNT_SECONDS; the change itself stands.
        logger.warning("unread count cache unavailable user=%s", user_id, exc_info=True)


def notifications_unread_changed(*, user: User) -> None:
    """The person's unread count changes with the current transaction: once it commits,
    the cached count is dropped (its version replaced), including one that another
    request counted and stored while this change was on its way; a rollback drops
    nothing, as nothing changed. Every change of a person's unread notifications calls
    this (sending one, marking read); the purge deletes only read ones."""
    user_id = user.pk
    transaction.on_commit(lambda: _replace_unread_version(user_id))


def notification_payload(notification: Notification) -> dict[str, Any]:
    return {
        "id": str(notification.public_id),
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "created_at": notification.created_at.isoformat(),
    }


@transaction.atomic
def notification_send(
    *,
    user: User,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    event: dict[str, Any] | None = None,
    once_key: str = "",
) -> Notification:
    """Tell `user` something worth keeping: the one way to notify a person.

    Keeps a `Notification` (the bell, `/notifications/`, the API), and once the transaction
    commits sends `event` (when given: the caller's own live event, for the pages that
    react to it) and a `{"type": "notification", "notification": {...}, "unread_count": n}`
    event to the person's open `/ws/feed/` sockets, and queues an e-mail when the kind's
    setting asks for one. The e-mail job sends only if the person is still away and has
    not read it by then: away means no `/ws/feed/` socket of theirs connected or pinged in
    the last PRESENCE_SECONDS (see `presence_key`).

    `kind` must be in accounts.notification_kinds.KINDS, where each kind says whether it is
    mailed by default. `title` and `body` are plain text
    for the recipient alone (nobody else's e-mail or real name: pseudonyms or display
    names); `url` is a path inside the site, without secrets. For example:

        notification_send(
            user=mentioned,
            kind="chat.mention",
            title=f"{author_name} mentioned you in {room.title}",
            body=message.text[:300],
            url=f"/chat/{room.slug}/#m-{message.public_id}",
        )

    A caller that may run twice for the same news (a Celery job delivered again) passes
    `once_key` (unique per person, internal, e.g. `f"workshop.offer:{registration.pk}:
    {deadline}"`): a second call with it returns the first notification and tells nobody.

    Runs inside the caller's transaction when there is one (so a plain `atomic`): a
    rolled-back decision tells nobody anything. For live-only news that is not worth
    keeping (seat counters, a reservation about to expire) use `notify_user`.
    """
    kind_of(kind)
    title = title.strip()
    if not title or len(title) > TITLE_MAX:
        raise ValueError(f"a notification title has 1 to {TITLE_MAX} characters")
    if len(body) > BODY_MAX:
        body = body[: BODY_MAX - 1] + "…"
    _check_url(url)
    if once_key:
        earlier = Notification.objects.filter(recipient=user, once_key=once_key).first()
        if earlier is not None:
            return earlier
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=user, kind=kind, title=title, body=body, url=url, once_key=once_key
            )
    except IntegrityError:
        # A concurrent run with the same once_key committed first: it told the person.
        if not once_key:
            raise
        return Notification.objects.get(recipient=user, once_key=once_key)
    notifications_unread_changed(user=user)
    if event is not None:
        notify_user(user=user, event=event)
    notify_user(
        user=user,
        event={
            "type": "notification",
            "notification": notification_payload(notification),
            "unread_count": _unread(user),
        },
    )
    if notification_email_wanted(user=user, kind=kind):
        enqueue_on_commit(NOTIFICATION_EMAIL_JOB, notification.pk)
    return notification


def notification_email(*, notification_id: int) -> bool:
    """Mail one notification if it still should be: unread, not mailed yet, still wanted,
    and the person away. Run by the e-mail job, so it may run twice: the row is marked
    under its lock before the mail leaves, and a second run finds it marked."""
    with transaction.atomic(durable=True):
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.read_at or notification.emailed_at:
            return False
        user = notification.recipient
        if not user.is_active or not notification_email_wanted(user=user, kind=notification.kind):
            return False
        if cache.get(presence_key(user.pk)):
            return False
        site = settings.SITE_URL.rstrip("/")
        lines = [notification.title, ""]
        if notification.body:
            lines += [notification.body, ""]
        if notification.url:
            lines += [f"Open it: {site}{notification.url}", ""]
        lines += [
            "You get this e-mail because you were not on the site when it happened.",
            f"Choose which notifications are e-mailed: {site}/notifications/#settings",
        ]
        # Sent under the row's lock, before the mark commits: a mail server that fails
        # rolls the mark back and the job's retry sends it; only a commit failing after a
        # sent mail could send it twice, which beats losing a decision's mail.
        EmailMessage(subject=notification.title, body="\n".join(lines), to=[user.email]).send()
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


def notifications_mark_read(*, user: User, public_ids: Iterable[Any] | None = None) -> int:
    """Mark `user`'s notifications read: those with these ids, or all when None. Ids of
    someone else's notifications mark nothing. Returns how many changed; the person's
    other open pages hear the new unread count."""
    with transaction.atomic(durable=True):
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
        if public_ids is not None:
            unread = unread.filter(public_id__in=list(public_ids))
        marked = unread.update(read_at=timezone.now())
        if marked:
            notifications_unread_changed(user=user)
            notify_user(
                user=user, event={"type": "notification.read", "unread_count": _unread(user)}
            )
    return marked


def notification_settings_update(*, user: User, email: dict[str, bool]) -> None:
    """Set which kinds are e-mailed to `user` when away; kinds not named keep their choice."""
    for key, wanted in email.items():
        spec = KINDS.get(key)
        if spec is None:
            raise InvalidInput(f"Unknown notification kind: {key!r}.", field="email")
        if not isinstance(wanted, bool):
            raise InvalidInput(f"Say true or false for {key!r}.", field="email")
        if wanted and not spec.emailable:
            raise InvalidInput(f"{spec.label} is not sent by e-mail.", field="email")
    with transaction.atomic(durable=True):
        for key, wanted in email.items():
            if KINDS[key].emailable:
                NotificationSetting.objects.update_or_create(
                    user=user, kind=key, defaults={"email": wanted}
                )


def notifications_purge(*, older_than_days: int | None = None) -> int:
    """Delete notifications read more than NOTIFICATIONS_READ_RETENTION_DAYS ago (the
    daily beat job); unread ones stay until they are read. Returns how many went."""
    days = older_than_days
    if days is None:
        days = settings.NOTIFICATIONS_READ_RETENTION_DAYS
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = Notification.objects.filter(read_at__lt=cutoff).delete()
    return deleted
