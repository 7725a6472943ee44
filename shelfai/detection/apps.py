from django.apps import AppConfig


class DetectionConfig(AppConfig):
    """The detector registry, detection runs and their detections, and the training commands.

    The label stays "analysis", the package's first name: it names the tables and the migrations
    that existing databases have applied, and renaming it would move every table for no gain.
    """

    name = "shelfai.detection"
    label = "analysis"
    verbose_name = "Detection"
