from django.apps import AppConfig


class SupportConfig(AppConfig):
    """Help and legal pages, and the contact form that reaches the moderators."""

    name = "support"
    verbose_name = "Support"
