"""Writes to community data, one module per noun.

- `workshops`: create, edit, publish, cancel, finish a workshop.
- `registrations`: register, leave, the waitlist and its offers (accept, decline, lapse).
- `attendance`: check-in marks and their reputation events.
- `calendars`: the secret token of a person's calendar feed.
- `announcements`: what the jobs tell people after a change (socket events and e-mail).
- `mail`: composing those e-mails, and the reminders sweep.
- `chat`: chat rooms and messages (open a room, post, edit, delete, mark read).
- `moderation`: chat reports, removals, mutes, bans and slow mode, on the record.

Every function is keyword-only and one durable transaction: guard, lock, change (with
`update_fields`), audit row in `WorkshopLog`. Socket events, jobs and e-mail go out after
the commit. Lock order, everywhere: the workshop row, then its registration rows.
"""
