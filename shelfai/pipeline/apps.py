from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "shelfai.pipeline"
    label = "pipeline"
    verbose_name = "Photo pipeline"
