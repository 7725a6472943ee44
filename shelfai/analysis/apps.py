from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "shelfai.analysis"
    label = "analysis"
