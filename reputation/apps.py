from django.apps import AppConfig


class ReputationConfig(AppConfig):
    name = "reputation"
    verbose_name = "Reputation"

    def ready(self) -> None:
        from accounts.hooks import register_level_provider
        from reputation.selectors import user_level

        register_level_provider(lambda user: user_level(user=user))
