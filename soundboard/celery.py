"""The Celery app. Configuration lives in settings under the CELERY_ prefix."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soundboard.settings")

app = Celery("soundboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Declared explicitly so a worker started with `-Q default,audio` or `-Q extraction` finds its queues even
# before any task was ever routed there.
app.conf.task_queues = (Queue("default"), Queue("audio"), Queue("extraction"))
app.autodiscover_tasks()
