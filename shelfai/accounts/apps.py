from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shelfai.accounts"
    label = "accounts"
