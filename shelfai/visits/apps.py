from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "shelfai.visits"
    label = "visits"
