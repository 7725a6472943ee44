from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "shelfai.web"
    label = "web"
