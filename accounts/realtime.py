"""Topics a feed socket may subscribe to, beyond the person's own events.

An app registers a topic prefix with a permission check (`register_topic("project",
can_watch_project)`); a client sends `{"type": "subscribe", "topic": "project:42"}` and
the consumer joins the topic's group only when the check passes. Apps publish with
`accounts.services.sockets.notify_topic`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User

TopicCheck = Callable[["User", str], bool]

_TOPIC = re.compile(r"^(?P<prefix>[a-z][a-z0-9_]{0,31}):(?P<key>[A-Za-z0-9_-]{1,64})$")
_checks: dict[str, TopicCheck] = {}


def register_topic(prefix: str, check: TopicCheck) -> None:
    _checks[prefix] = check


def topic_group(topic: str) -> str:
    match = _TOPIC.match(topic)
    if not match:
        raise ValueError(f"not a topic: {topic!r}")
    return f"topic.{match['prefix']}.{match['key']}"


def can_subscribe(user: User, topic: str) -> bool:
    match = _TOPIC.match(topic) if isinstance(topic, str) else None
    if not match:
        return False
    check = _checks.get(match["prefix"])
    return bool(check and check(user, match["key"]))
