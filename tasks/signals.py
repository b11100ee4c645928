"""What tasks tell the apps beside it, which import tasks and not the reverse.

`project_published` is sent inside the publishing transaction, under the project's row
lock, each time a project moves to published (its first publication and every resume
after a pause), with `project` (the locked row) and `first` (whether this is its first
publication). Receivers write in that same transaction, so a publication and what hangs
on it commit or roll back together; anything outside the database they send on commit.
Community connects one in its AppConfig.ready to open the project's chat room.

`project_renamed` is sent inside `project_update`'s transaction when the title changed,
with `project` (the locked row); community gives the project's room the new title.
"""

from __future__ import annotations

from django.dispatch import Signal

project_published = Signal()
project_renamed = Signal()
