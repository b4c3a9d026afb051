"""Progress of long jobs (a scan, a batch of normalizations), shown live to staff and readable by programs.

A batch is a small Redis hash: total, done, failed. Every worker finishing one item bumps it and staff
browsers get a fresh progress bar; no database row changes for bookkeeping. A scan's run keeps its own
done/total in a hash of the same kind, so the API can answer "how far is it" (`read`).
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

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


# What `start_batch` makes (and a scan's own key): anything else is not a job of ours.
JOB_KEY = re.compile(r"^(normalize-[0-9a-f]{12}|scan-[0-9]{1,18})$")


@dataclass(frozen=True)
class Figures:
    kind: str
    total: int
    done: int
    failed: int

    @property
    def finished(self) -> bool:
        return self.done >= self.total


def read(job: str) -> Figures | None:
    """A batch's (or a scan's) progress, None when unknown or expired (kept a day)."""
    if not JOB_KEY.match(job):
        return None
    state = sync_client().hgetall(_key(job))
    if not state:
        return None
    return Figures(
        kind=str(state.get("kind", "")),
        total=int(state.get("total", 0)),
        done=int(state.get("done", 0)),
        failed=int(state.get("failed", 0)),
    )


def record(job: str, *, kind: str, done: int, total: int) -> None:
    pipe = sync_client().pipeline()
    pipe.hset(_key(job), mapping={"kind": kind, "total": total, "done": done, "failed": 0})
    pipe.expire(_key(job), BATCH_TTL_S)
    pipe.execute()


def publish(*, kind: str, done: int, total: int, failed: int = 0, current: str = "") -> None:
    event = JobProgress(kind=kind, done=done, total=total, failed=failed, current=current, finished=done >= total)
    events.send_to_staff(event)


class Throttled:
    """Calls publish at most every `interval` seconds, and always for the last item; with `job`, also records
    the figures under that key for programs that poll."""

    def __init__(self, kind: str, interval: float = 0.25, *, job: str | None = None) -> None:
        self.kind = kind
        self.interval = interval
        self.job = job
        self.last = 0.0

    def __call__(self, done: int, total: int, current: str) -> None:
        now = time.monotonic()
        if done >= total or now - self.last >= self.interval:
            self.last = now
            publish(kind=self.kind, done=done, total=total, current=current)
            if self.job is not None:
                record(self.job, kind=self.kind, done=done, total=total)
