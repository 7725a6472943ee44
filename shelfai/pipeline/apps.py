from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "shelfai.pipeline"
    label = "pipeline"
    verbose_name = "Photo pipeline"

    def ready(self) -> None:
        # Register the tasks in every process (web too), so ``dispatch`` can send them by name
        # without importing the module that imports it.
        from shelfai.pipeline import tasks  # noqa: F401
