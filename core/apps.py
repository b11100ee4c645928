from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Plumbing every app shares: domain errors and their API and page handlers, base
    models, image handling, API conventions, enqueueing jobs by name. It owns no tables."""

    name = "core"
    verbose_name = "Core"
