from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "shelfai.alerts"
    label = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        # Register the tasks in every process, so ``services`` can send the webhook task by name
        # without importing the module that imports it.
        from shelfai.alerts import tasks  # noqa: F401
