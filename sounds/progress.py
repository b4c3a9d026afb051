"""Progress of long jobs (a scan, a batch of normalizations), shown live to staff.

A batch is a small Redis hash: total, done, failed. Every worker finishing one item bumps it and staff
browsers get a fresh progress bar; no database row changes for bookkeeping.
"""

from __future__ import annotations

import secrets
import time

from core.redis_client import sync_client
from live import events
from live.contexts import JobProgress

BATCH_TTL_S = 24 * 3600


def _key(batch: str) -> str:
    return f"sb:batch:{batch}"


def start_batch(kind: str, *, total: int, user_id: int | None = None) -> str:
    batch = f"{kind}-{secrets.token_hex(6)}"
    client = sync_client()
    client.hset(_key(batch), mapping={"kind": kind, "total": total, "done": 0, "failed": 0})
    client.expire(_key(batch), BATCH_TTL_S)
    publish(kind=kind, done=0, total=total, failed=0)
    return batch


def advance(batch: str | None, *, ok: bool) -> None:
    if not batch:
        return
    client = sync_client()
    pipe = client.pipeline()
    pipe.hincrby(_key(batch), "done", 1)
    if not ok:
        pipe.hincrby(_key(batch), "failed", 1)
    pipe.hgetall(_key(batch))
    state = pipe.execute()[-1]
    if state:
        publish(kind=state["kind"], done=int(state["done"]), total=int(state["total"]), failed=int(state["failed"]))


def publish(*, kind: str, done: int, total: int, failed: int = 0, current: str = "") -> None:
    event = JobProgress(kind=kind, done=done, total=total, failed=failed, current=current, finished=done >= total)
    events.send_to_staff(event)


class Throttled:
    """Calls publish at most every `interval` seconds, and always for the last item."""

    def __init__(self, kind: str, interval: float = 0.25) -> None:
        self.kind = kind
        self.interval = interval
        self.last = 0.0

    def __call__(self, done: int, total: int, current: str) -> None:
        now = time.monotonic()
        if done >= total or now - self.last >= self.interval:
            self.last = now
            publish(kind=self.kind, done=done, total=total, current=current)
