"""Community models, one module per noun: `workshops` (workshops, registrations, their
audit trail and calendar feeds) and `chat` (rooms, messages and their moderation).

Django looks for an app's models in `community.models`, so the model classes are imported
here; choices and constants are imported from the module that defines them.
"""

from community.models.chat import (
    Ban,
    Message,
    MessageEdit,
    ModerationAction,
    Mute,
    Report,
    Room,
    RoomRead,
)
from community.models.workshops import CalendarFeed, Registration, Workshop, WorkshopLog

__all__ = [
    "Ban",
    "CalendarFeed",
    "Message",
    "MessageEdit",
    "ModerationAction",
    "Mute",
    "Registration",
    "Report",
    "Room",
    "RoomRead",
    "Workshop",
    "WorkshopLog",
]
