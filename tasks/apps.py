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
