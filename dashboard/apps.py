from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """A signed-in person's own pages: the role dashboard, earnings and personal data.

    It sits above kyc, tasks, community and support and only reads them (through their
    selectors) or calls their services; nothing below imports it."""

    name = "dashboard"
    verbose_name = "Dashboard"
