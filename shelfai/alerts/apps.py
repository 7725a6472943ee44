from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "shelfai.alerts"
    label = "alerts"
    verbose_name = "Alerts"
