"""Open the chat room of every project published before publication opened it.

From now on a project's room opens inside the transaction that publishes it (the receiver
of `tasks.signals.project_published`). Projects already published are given theirs here,
once, rather than lazily on first access, because this is the way that stays right when
things happen at once:

- Lazy opening would turn reads into writes: the room list, the room page, the socket's
  connect and the history API would each have to look for published projects without a
  room and insert one. Two first readers at once both miss and both insert; only the
  unique `Room.project` and a catch-and-reread in every one of those paths keeps that to
  one room without a 500, and a read inside an outer transaction cannot recover from the
  failed insert without its own savepoint. And a room that nobody has opened yet is not in
  anybody's room list, so the requester could not find it by listing.
- This migration is one set-based insert per batch that skips conflicts (`ON CONFLICT DO
  NOTHING` on PostgreSQL, `INSERT OR IGNORE` on SQLite). A publication committing while it
  runs opens its own room in its own transaction; whichever of the two inserts comes
  second waits for the first on the unique index and then does nothing, so there is one
  room per project whatever the interleaving, and neither side fails.
"""

from typing import Any

from django.db import migrations

BATCH = 500


def open_rooms_of_published_projects(apps: Any, schema_editor: Any) -> None:
    Project = apps.get_model("tasks", "Project")
    Room = apps.get_model("community", "Room")
    db = schema_editor.connection.alias
    # published_at is set at a project's first publication and kept through pauses and
    # closing: the room stays with the people who worked the project.
    waiting = (
        Project.objects.using(db)
        .filter(published_at__isnull=False, chat_room__isnull=True)
        .order_by("pk")
        .values_list("pk", "public_id", "title")
    )
    batch = []
    for pk, public_id, title in waiting.iterator(chunk_size=BATCH):
        batch.append(
            Room(project_id=pk, slug=f"project-{public_id}", kind="project", title=title[:120])
        )
        if len(batch) == BATCH:
            Room.objects.using(db).bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        Room.objects.using(db).bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0002_chat_rooms_messages_moderation"),
        ("tasks", "0006_project_review_rate"),
    ]

    # Rooms opened here stay on the way back: they may hold messages by then.
    operations = [
        migrations.RunPython(open_rooms_of_published_projects, migrations.RunPython.noop),
    ]
