from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Task projects"

    def ready(self) -> None:
        from accounts.realtime import register_topic
        from tasks.selectors import can_watch_project

        # `project:<public id>` carries remaining counts; only people who may work the
        # project (or its owner) may listen.
        register_topic("project", can_watch_project)

        from reputation.signals import review_decided
        from tasks.services.reviews import on_review_decided

        review_decided.connect(on_review_decided, dispatch_uid="tasks.review_decided")
