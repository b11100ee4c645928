from django.apps import AppConfig

from accounts.realtime import register_topic
from tasks.signals import project_published, project_renamed


class CommunityConfig(AppConfig):
    """Workshops and live chat: where community members meet and talk."""

    name = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        # Imported in ready(), not at the top: they import models, loaded after apps.py.
        from community.selectors import can_watch_workshop
        from community.services.chat import on_project_published, on_project_renamed

        # `workshop:<public id>` carries seats left and the waitlist length to the
        # workshop's open pages; anyone who may see the workshop may listen.
        register_topic("workshop", can_watch_workshop)

        # Tasks knows nothing of community: its publication opens the project's room here.
        project_published.connect(on_project_published, dispatch_uid="community.project_room")
        project_renamed.connect(on_project_renamed, dispatch_uid="community.project_room_title")
