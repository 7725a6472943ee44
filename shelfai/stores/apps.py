from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "shelfai.stores"
    label = "stores"
