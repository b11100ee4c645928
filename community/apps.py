from django.apps import AppConfig


class CommunityConfig(AppConfig):
    """Workshops and live chat: where community members meet and talk."""

    name = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        from accounts.realtime import register_topic
        from community.selectors import can_watch_workshop

        # `workshop:<public id>` carries seats left and the waitlist length to the
        # workshop's open pages; anyone who may see the workshop may listen.
        register_topic("workshop", can_watch_workshop)

        from community.services.chat import on_project_published
        from tasks.signals import project_published

        # Tasks knows nothing of community: its publication opens the project's room here.
        project_published.connect(on_project_published, dispatch_uid="community.project_room")
