from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "shelfai.compliance"
    label = "compliance"
