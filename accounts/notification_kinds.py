"""The kinds of notification a person can receive, and which of them may be e-mailed.

A kind is the one thing a person's settings are about: "e-mail me when a chat message
mentions me". Apps above accounts send with
`accounts.services.notifications.notification_send(kind=...)`; a kind that is not in this
table is a bug in the caller and raises.

`email_default` is what a person gets before they touch their settings. A kind whose news
the app already mails by itself, with details the notification does not carry (the
workshop's confirmation with its calendar link, its time-or-place change), is not
`emailable`: offering a switch that could not stop that mail would be a lie.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NotificationKind:
    key: str
    label: str
    description: str
    email_default: bool
    emailable: bool = True


KINDS: dict[str, NotificationKind] = {
    kind.key: kind
    for kind in (
        NotificationKind(
            "kyc.decision",
            "Identity verification decided",
            "A moderator approved, rejected or returned your identity case.",
            email_default=True,
        ),
        NotificationKind(
            "kyc.validator_paused",
            "Paused as a validator",
            "Too few of your identity checks agreed with final decisions, and you were "
            "paused as a validator until a moderator resumes you.",
            email_default=False,
        ),
        NotificationKind(
            "workshop.offer",
            "Workshop seat offered",
            "A seat freed up in a workshop you are waiting for; the offer has a deadline.",
            email_default=True,
        ),
        NotificationKind(
            "workshop.cancelled",
            "Workshop cancelled",
            "The hosts cancelled a workshop you registered for.",
            email_default=True,
        ),
        NotificationKind(
            "workshop.registration",
            "Workshop registration",
            "A seat offer lapsed, or a workshop's time or place changed; the workshop "
            "mails these itself, with its calendar details.",
            email_default=False,
            emailable=False,
        ),
        NotificationKind(
            "workshop.attendance",
            "Workshop attendance",
            "Your attendance at a workshop was counted in your reputation.",
            email_default=False,
        ),
        NotificationKind(
            "project.paused",
            "Paused on a project",
            "Your gold accuracy on a project fell too low and you were paused on it.",
            email_default=False,
        ),
        NotificationKind(
            "chat.mention",
            "Mentioned in chat",
            "Someone mentioned you in a chat room.",
            email_default=True,
        ),
        NotificationKind(
            "chat.moderation",
            "Muted or banned in chat",
            "A moderator muted you in chat, or banned you from a room, and said why; you are "
            "told again whenever you try to post.",
            email_default=False,
        ),
        NotificationKind(
            "review.outcome",
            "Peer review outcome",
            "Peers reviewed work you submitted.",
            email_default=True,
        ),
        NotificationKind(
            "reputation.penalty",
            "Reputation penalty",
            "A moderator penalised your reputation, and said why.",
            email_default=True,
        ),
        NotificationKind(
            "reputation.appeal_decided",
            "Penalty appeal decided",
            "A moderator upheld or overturned a penalty you appealed, and said why.",
            email_default=True,
        ),
        NotificationKind(
            "reputation.ring_cleared",
            "Reviews cleared",
            "A moderator looked at reviews of yours that were held back as a possible "
            "review ring, found nothing wrong, and let them count again.",
            email_default=False,
        ),
    )
}


def kind_of(key: str) -> NotificationKind:
    try:
        return KINDS[key]
    except KeyError:
        raise ValueError(f"unknown notification kind {key!r}: add it to KINDS") from None
