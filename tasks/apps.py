from django.apps import AppConfig

from accounts.realtime import register_topic
from reputation.signals import review_decided


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Task projects"

    def ready(self) -> None:
        # Imported in ready(), not at the top: they import models, loaded after apps.py.
        from tasks.selectors import can_watch_project
        from tasks.services.reviews import on_review_decided

        # `project:<public id>` carries remaining counts; only people who may work the
        # project (or its owner) may listen.
        register_topic("project", can_watch_project)

        review_decided.connect(on_review_decided, dispatch_uid="tasks.review_decided")
