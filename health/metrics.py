"""Prometheus metrics for /metrics, in prometheus-client's own registry and text exposition.

Business figures (plays, credits, jobs) are read from the database at scrape time with a few aggregate
queries: they are the same whichever process answers the scrape, and survive restarts. Only the request
latency histogram lives in the process (see `REQUEST_LATENCY`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import redis
from django.conf import settings
from django.db.models import Count, Q, Sum
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from credits.models import CreditAction, CreditTransaction
from extraction.models import Extraction
from extraction.models import Status as ExtractionStatus
from health.checks import CELERY_QUEUES
from health.players import heartbeats
from sounds.models import PlaySource, Sound, SoundPlayed

logger = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()

# Per process: each web process (daphne) keeps its own histogram and answers a scrape with it only. Behind a
# load balancer scrape every web process on its own address, or sum the series in Prometheus.
REQUEST_LATENCY = Histogram(
    "soundboard_http_request_duration_seconds",
    "Time from a request entering the web process's middleware to its response (this process only).",
    ["method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)

# kombu's Redis transport keeps a queue as one list per priority step: the name, then name + sep + step.
KOMBU_PRIORITY_SEPARATOR = "\x06\x16"
KOMBU_PRIORITY_STEPS = (0, 3, 6, 9)


def queue_lengths() -> dict[str, int]:
    """Messages waiting in each Celery queue (LLEN in the broker's Redis, the way kombu counts them)."""
    prefix = str(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", ""))
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        with client.pipeline(transaction=False) as pipe:
            for queue in CELERY_QUEUES:
                for step in KOMBU_PRIORITY_STEPS:
                    pipe.llen(f"{prefix}{queue}{KOMBU_PRIORITY_SEPARATOR}{step}" if step else f"{prefix}{queue}")
            sizes = pipe.execute()
    finally:
        client.close()
    per_queue = len(KOMBU_PRIORITY_STEPS)
    return {queue: sum(sizes[i * per_queue : (i + 1) * per_queue]) for i, queue in enumerate(CELERY_QUEUES)}


def _plays() -> Metric:
    family = CounterMetricFamily(
        "soundboard_plays", "Plays that really started, by where they came from.", labels=["source"]
    )
    counts = dict(SoundPlayed.objects.values_list("source").annotate(n=Count("id")).order_by())
    for source in PlaySource.values:
        family.add_metric([source], counts.get(source, 0))
    return family


def _credits() -> Iterable[Metric]:
    debited = CounterMetricFamily(
        "soundboard_credits_debited",
        "Credits taken from users, by what they paid for (refunds are counted separately, not subtracted).",
        labels=["action"],
    )
    sums = dict(CreditTransaction.objects.debits().values_list("action").annotate(total=Sum("amount")).order_by())
    for action, total in sorted(sums.items()):
        debited.add_metric([action], -(total or 0))
    yield debited
    refunded = CreditTransaction.objects.filter(action=CreditAction.REFUND).aggregate(total=Sum("amount"))["total"]
    yield CounterMetricFamily(
        "soundboard_credits_refunded", "Credits given back after a failed job or play.", refunded or 0
    )


def _jobs() -> Iterable[Metric]:
    extractions = GaugeMetricFamily("soundboard_extractions", "Extraction jobs by status.", labels=["status"])
    counts = dict(Extraction.objects.values_list("status").annotate(n=Count("id")).order_by())
    for status in ExtractionStatus.values:
        extractions.add_metric([status], counts.get(status, 0))
    yield extractions
    waiting = Sound.objects.filter(is_normalized=False).aggregate(
        pending=Count("id", filter=Q(normalization_error="")),
        failed=Count("id", filter=~Q(normalization_error="")),
    )
    normalization = GaugeMetricFamily(
        "soundboard_sounds_unnormalized",
        "Sounds without a normalized copy: waiting for it, or failed.",
        labels=["state"],
    )
    for state in ("pending", "failed"):
        normalization.add_metric([state], waiting[state])
    yield normalization


def _players() -> Metric:
    up = GaugeMetricFamily(
        "soundboard_player_up", "1 while the room's player publishes its heartbeat.", labels=["room"]
    )
    for room, beat in heartbeats().items():
        up.add_metric([room], 1 if beat is not None else 0)
    return up


def _queues() -> Iterable[Metric]:
    try:
        lengths = queue_lengths()
    except redis.RedisError:
        # No broker, no figure: an absent series (alert on absent()) rather than a failed scrape that also
        # hides every database figure.
        logger.warning("Cannot read the Celery queue lengths", exc_info=True)
        return
    depth = GaugeMetricFamily("soundboard_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"])
    for queue, length in lengths.items():
        depth.add_metric([queue], length)
    yield depth


class SoundboardCollector(Collector):
    """Collected on every scrape."""

    def collect(self) -> Iterable[Metric]:
        yield _plays()
        yield from _credits()
        yield from _jobs()
        yield _players()
        yield from _queues()


REGISTRY.register(SoundboardCollector())


def exposition(accept: str) -> tuple[bytes, str]:
    """The registry in the format the scraper asks for (Prometheus text 0.0.4 by default, or OpenMetrics),
    chosen by prometheus-client as its own HTTP handlers do; with its content type."""
    encoder, content_type = choose_encoder(accept)
    return encoder(REGISTRY), content_type
