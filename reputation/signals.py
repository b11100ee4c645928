"""How reputation tells the apps above it what became of their subjects.

Reputation imports no app above it; the app that asked for a review connects a receiver
(in its AppConfig.ready) and picks out its own subjects by their prefix.

`review_decided` is sent inside the deciding transaction, with `request` (the
ReviewRequest: `subject`, `author`, `accepted`) and `reviews` (what the counted reviewers
said, in the order they said it, without who they are: dicts of `accept`,
`reason_codes`, `reason_labels` and `comment`). Receivers send anything outside the
database on commit (`accounts.services.sockets.notify_user` does).
"""

from __future__ import annotations

from django.dispatch import Signal

review_decided = Signal()
