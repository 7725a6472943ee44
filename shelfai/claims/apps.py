from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "shelfai.claims"
    label = "claims"
