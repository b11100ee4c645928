from django.apps import AppConfig


class CommunityConfig(AppConfig):
    """Workshops and live chat: where community members meet and talk."""

    name = "community"
    verbose_name = "Community"
