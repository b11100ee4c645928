"""Writes to accounts, and the one way to push an event to a person's open pages."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import IO, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import global_settings, settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_countries import countries

from accounts.models import Notification, NotificationSetting, Profile, User, avatar_path
from accounts.notification_kinds import KINDS, kind_of
from accounts.realtime import topic_group
from accounts.roles import Role
from accounts.selectors import (
    UNREAD_VERSION_SECONDS,
    notifications_unread_count_uncached,
    unread_version_key,
)
from core.errors import Conflict, InvalidInput
from core.images import sanitize_image
from core.jobs import enqueue_on_commit

logger = logging.getLogger(__name__)

LANGUAGE_CODES = frozenset(code for code, _ in global_settings.LANGUAGES)
MAX_LANGUAGES = 10
AVATAR_MAX_BYTES = 2 * 1024 * 1024


# Close codes of /ws/feed/ that a server-side event asks for (4000-4999 are the
# application's). 4401 mirrors HTTP 401: the session has ended, reconnecting will not help.
# 4001: the credentials changed; reconnect, and the handshake decides afresh whether this
# session still counts.
CLOSE_SESSION_ENDED = 4401
CLOSE_REAUTHENTICATE = 4001


def feed_group(user_id: int) -> str:
    return f"feed.user.{user_id}"


def session_group(session_key: str) -> str:
    """The group of the sockets opened with one session. The key is a bearer secret and
    group names are stored in Redis in the clear, so the group is named by its hash."""
    digest = hashlib.sha256(session_key.encode()).hexdigest()[:40]
    return f"feed.session.{digest}"


def sockets_close_for_session(*, session_key: str) -> None:
    """Close every `/ws/feed/` socket opened with this session (on sign-out), after commit."""
    _group_send_on_commit(
        session_group(session_key), {"type": "feed.close", "code": CLOSE_SESSION_ENDED}
    )


def sockets_close_for_user(*, user_id: int) -> None:
    """Close every `/ws/feed/` socket of a person (password changed or reset), after commit.

    Each reconnects and the handshake checks its session again: the one that changed the
    password stays signed in, the others were invalidated with the old password.
    """
    _group_send_on_commit(feed_group(user_id), {"type": "feed.close", "code": CLOSE_REAUTHENTICATE})


def _group_send_on_commit(group: str, message: dict[str, Any]) -> None:
    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        async_to_sync(layer.group_send)(group, message)

    transaction.on_commit(send)


def notify_user(*, user: User, event: dict[str, Any]) -> None:
    """Send `event` to every `/ws/feed/` socket `user` has open, once the transaction commits.

    A rolled-back change must tell nobody anything, so the send waits for commit; outside a
    transaction it happens at once. `event` must be JSON and carry a `type`.
    """
    _send_on_commit(feed_group(user.pk), event)


def _send_on_commit(group: str, event: dict[str, Any]) -> None:
    if not isinstance(event.get("type"), str):
        raise ValueError("an event needs a string 'type'")
    json.dumps(event)  # fail here, in the caller's stack, not later in the socket
    _group_send_on_commit(group, {"type": "feed.event", "event": event})


def notify_topic(*, topic: str, event: dict[str, Any]) -> None:
    """Send `event` to every socket subscribed to `topic` (see accounts.realtime), on commit."""
    _send_on_commit(topic_group(topic), event)


# --- notifications ---------------------------------------------------------------------

NOTIFICATION_EMAIL_JOB = "accounts.tasks.email_notification"
TITLE_MAX = 200
BODY_MAX = 2000
URL_MAX = 300
# feed.js pings every 25 s; a socket not heard from for this long is gone.
PRESENCE_SECONDS = 60


def presence_key(user_id: int) -> str:
    return f"accounts:feed-seen:{user_id}"


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

    `kind` must be in accounts.notification_kinds.KINDS (`chat.mention` and
    `review.outcome` are there for chat and peer review). `title` and `body` are plain text
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


def user_grant_role(*, user: User, role: Role) -> None:
    user.groups.add(Group.objects.get(name=role.value))
    logger.debug("role granted user=%s role=%s", user.public_id, role.value)


def user_revoke_role(*, user: User, role: Role) -> None:
    user.groups.remove(Group.objects.get(name=role.value))
    logger.debug("role revoked user=%s role=%s", user.public_id, role.value)


@transaction.atomic
def user_set_verified(*, user: User) -> User:
    """Mark a person identity-verified. Only the KYC decision calls this, inside its own
    transaction (so this one is not durable)."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.verified_at is not None:
        raise Conflict("This person is already verified.")
    locked.verified_at = timezone.now()
    locked.save(update_fields=["verified_at"])
    user.verified_at = locked.verified_at
    return locked


@transaction.atomic
def user_clear_verified(*, user: User) -> User:
    """Withdraw verification (a successful appeal against approval, a fraud finding), inside
    the deciding service's transaction."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.verified_at = None
    locked.save(update_fields=["verified_at"])
    user.verified_at = None
    return locked


def _clean_languages(languages: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for code in languages:
        if not isinstance(code, str) or code not in LANGUAGE_CODES:
            raise InvalidInput(f"Unknown language code: {code!r}.", field="languages")
        if code not in cleaned:
            cleaned.append(code)
    if len(cleaned) > MAX_LANGUAGES:
        raise InvalidInput(f"Choose at most {MAX_LANGUAGES} languages.", field="languages")
    return cleaned


def profile_update(
    *,
    user: User,
    display_name: str | None = None,
    country: str | None = None,
    languages: Iterable[str] | None = None,
    avatar: IO[bytes] | None = None,
) -> Profile:
    """Change the given profile fields; fields left as None keep their value.

    A new avatar is validated and re-encoded before anything is written; its file is
    stored before the row, removed again if the row does not commit, and the file it
    replaces is removed only after the commit: no orphan either way.
    """
    updates: dict[str, Any] = {}
    if display_name is not None:
        display_name = display_name.strip()
        if len(display_name) > 60:
            raise InvalidInput("Use at most 60 characters.", field="display_name")
        updates["display_name"] = display_name
    if country is not None:
        if country and country not in countries:
            raise InvalidInput(f"Unknown country code: {country!r}.", field="country")
        updates["country"] = country
    if languages is not None:
        updates["languages"] = _clean_languages(languages)
    clean_avatar = (
        sanitize_image(
            avatar,
            field="avatar",
            holder=str(user.public_id),
            max_bytes=AVATAR_MAX_BYTES,
            max_side=512,
        )
        if avatar is not None
        else None
    )

    storage = Profile._meta.get_field("avatar").storage  # type: ignore[attr-defined]
    new_avatar = (
        storage.save(avatar_path(None, "avatar.png"), ContentFile(clean_avatar.content))
        if clean_avatar
        else None
    )
    try:
        with transaction.atomic(durable=True):
            profile = Profile.objects.select_for_update().get(user=user)
            old_avatar = profile.avatar.name or None
            for name, value in updates.items():
                setattr(profile, name, value)
            if new_avatar:
                profile.avatar.name = new_avatar
                updates["avatar"] = new_avatar
                if old_avatar:
                    transaction.on_commit(lambda: storage.delete(old_avatar))
            if updates:
                profile.save(update_fields=[*updates, "updated_at"])
    except BaseException:
        if new_avatar:
            storage.delete(new_avatar)
        raise
    return profile


CLOSED_EMAIL_DOMAIN = "closed.invalid"


def user_close(*, user: User) -> User:
    """Close an account at its owner's request: nobody can sign in to it again, and what
    identifies the person in accounts (address, password, second factors, profile) goes.

    The row stays, under a placeholder address, because records other apps must keep
    (credits, decided identity cases, audit events) point to it. Their identity documents
    are the kyc app's to erase, before this runs. Other sessions end: the password hash
    changes, which Django checks on every request, and the sockets close on commit.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    with transaction.atomic(durable=True):
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            raise Conflict("This account is already closed.")
        locked.email = f"closed-{locked.public_id.hex}@{CLOSED_EMAIL_DOMAIN}"
        locked.set_unusable_password()
        locked.is_active = False
        locked.is_staff = False
        locked.is_superuser = False
        locked.save(update_fields=["email", "password", "is_active", "is_staff", "is_superuser"])
        locked.groups.clear()
        locked.user_permissions.clear()
        EmailAddress.objects.filter(user=locked).delete()
        Authenticator.objects.filter(user=locked).delete()
        profile = Profile.objects.select_for_update().get(user=locked)
        avatar = profile.avatar.name
        profile.display_name = ""
        profile.country = ""
        profile.languages = []
        profile.avatar = ""  # type: ignore[assignment]
        profile.save(update_fields=["display_name", "country", "languages", "avatar", "updated_at"])
        if avatar:
            storage = Profile._meta.get_field("avatar").storage  # type: ignore[attr-defined]
            transaction.on_commit(lambda: storage.delete(avatar))
    logger.info("account closed user=%s", locked.public_id)
    return locked
