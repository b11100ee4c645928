from django.apps import AppConfig

from accounts.hooks import register_level_provider, register_next_step_provider
from accounts.realtime import register_topic


class ReputationConfig(AppConfig):
    name = "reputation"
    verbose_name = "Reputation"

    def ready(self) -> None:
        # Imported in ready(), not at the top: it imports models, loaded after apps.py.
        from reputation.selectors.standing import next_step_summary, user_level

        register_level_provider(lambda user: user_level(user=user))
        register_next_step_provider(lambda user: next_step_summary(user=user))

        # Outcomes of one's reviewed work come on one's own feed; the review page
        # subscribes to `reviews:mine` only to learn (from the "subscribed" answer) that
        # its socket is live. Nothing is published to it.
        register_topic("reviews", lambda user, key: key == "mine")
