from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Imported in ready(), not at the top: they import models, loaded after apps.py.
        from accounts import roles, signals  # noqa: F401

        # After every migrate, so a role's permissions follow the code on each deploy; the
        # auth app's own post_migrate handler has created the permission rows by then.
        post_migrate.connect(roles.sync_role_groups, sender=self)
