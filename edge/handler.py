"""Django's ASGI handler, run the way a threaded WSGI server runs Django: each request's middleware chain and
view in one thread of a fixed pool.

Two costs of the stock handler, measured under daphne on this 2-core box (`python -m benchmarks click`,
`board_speed`), are gone:
- it runs every `MiddlewareMixin` middleware (Django's own: security, CSP, sessions, common, CSRF, auth,
  messages, clickjacking) by handing each `process_request`, `process_view` and `process_response`, then the
  view, to a thread and back: about twenty hops per request, 4 ms of a 10 ms API call. Here the chain is built
  as under WSGI and runs in one thread, with one hop there and back;
- its threads are new for every request (one per `ThreadSensitiveContext`), so every request opened a database
  connection of its own (with SQLite, a new file handle, the PRAGMAs and the schema read again: 1.5 ms). The
  pool's threads keep theirs: `close_old_connections` runs in the thread that uses the connection, at the
  start and end of each request, as Django's request signals do under WSGI (closed past CONN_MAX_AGE or on
  error; with PostgreSQL's pool, CONN_MAX_AGE is 0 and the connection goes back to the pool after each request).

An async view (`/health/`) runs from the request's thread through `async_to_sync`; streaming answers are still
sent from the event loop. At most `WEB_REQUEST_THREADS` requests run at once in a process; more wait their turn.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponseBase


class PooledASGIHandler(ASGIHandler):
    def __init__(self, threads: int) -> None:
        super().__init__()
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="request")

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self._respond, thread_sensitive=False, executor=self.executor)(request)

    def _respond(self, request: HttpRequest) -> HttpResponseBase:
        close_old_connections()
        try:
            return self.get_response(request)
        finally:
            close_old_connections()
