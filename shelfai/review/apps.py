from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "shelfai.review"
    label = "review"
    verbose_name = "Review queue"
