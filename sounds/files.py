"""Serve a stored file: a type from an allowlist, safe headers, HTTP Range support, streamed in chunks.

Whatever a file holds, the browser must not run it: the type comes from an allowlist by the stored extension
(which the server chose from the detected container), anything else is `application/octet-stream`; every
answer carries `nosniff` and a `sandbox` CSP (a document that is rendered anyway gets no script, no origin);
downloads are attachments, and only the preview of an audio type is inline.

Streaming: Django under ASGI collects a *sync* iterator into a list before sending it (the whole file in
memory), so `FileStream` hands daphne each chunk as it is read, in a reader thread, and reads the next only
once daphne took the last (`await send` waits while the client is behind: edge/daphne.py). With
SOUNDS_FILE_SERVING set, the reverse proxy sends the file instead (X-Accel-Redirect / X-Sendfile).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import cast
from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from sounds.audio import AUDIO_CONTENT_TYPES
from sounds.models import clean_name
from sounds.paths import contained, is_contained

CHUNK = 64 * 1024
OCTET_STREAM = "application/octet-stream"
IMAGE_CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}
FILE_CSP = "sandbox; default-src 'none'"
# Digits are capped so int() never meets a 5000-digit number (Python refuses those: a 500 otherwise).
_SINGLE_RANGE = re.compile(r"(\d{1,18})?-(\d{1,18})?")
_NUMERIC_SPEC = re.compile(r"[\d\s,\-]*")


# Reads happen in two threads of their own, not the loop's default pool: glibc gives each thread that allocates
# its own heap (arena), and 50 downloads spread over six pool threads left ~45 MB of chunk-sized holes in six
# heaps (`python -m benchmarks files`). Two threads read a page-cached file far faster than a network sends it.
_READERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="file-reader")


class Unsatisfiable(Exception):
    pass


def content_type_for(path: Path, allowed: Mapping[str, str] = AUDIO_CONTENT_TYPES) -> str:
    return allowed.get(path.suffix.lower(), OCTET_STREAM)


def content_disposition(filename: str, inline: bool = False) -> str:
    filename = clean_name(filename) or "download"
    ascii_name = filename.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "") or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The (start, end) of a single satisfiable byte range; None to send the whole file.

    A header in another unit or that isn't a byte range at all is ignored (RFC 9110 lets a server do so).
    A numeric one we won't serve (several ranges, negative, reversed, past the end, absurdly long numbers)
    raises Unsatisfiable: a 416.
    """
    header = header.strip()
    if not header.lower().startswith("bytes="):
        return None
    spec = header[6:].strip()
    if not _NUMERIC_SPEC.fullmatch(spec):
        return None
    match = _SINGLE_RANGE.fullmatch(spec)
    if match is None or size == 0 or not (match.group(1) or match.group(2)):
        raise Unsatisfiable(spec)
    first, last = match.groups()
    if first is None:  # "bytes=-500": the last 500 bytes
        suffix = int(last)
        if suffix == 0:
            raise Unsatisfiable(spec)
        return max(size - suffix, 0), size - 1
    start = int(first)
    end = int(last) if last is not None else size - 1
    if start >= size or end < start:
        raise Unsatisfiable(spec)
    return start, min(end, size - 1)


def _validators(stat: os.stat_result) -> tuple[str, str]:
    """A strong ETag and the Last-Modified date, from what stat() already told us (no hashing of the file)."""
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"', http_date(stat.st_mtime)


def _range_applies(request: HttpRequest, etag: str, last_modified: str) -> bool:
    """If-Range (RFC 9110 13.1.5): a range only of the same file; a changed file is sent whole."""
    if_range = request.headers.get("If-Range", "").strip()
    return not if_range or if_range in (etag, last_modified)


def _read(path: Path, start: int, length: int) -> Iterator[bytes]:
    with path.open("rb") as fh:
        fh.seek(start)
        remaining = length
        while remaining > 0:
            chunk = fh.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


class FileStream(StreamingHttpResponse):
    """Sync iteration for WSGI and tests; under ASGI one chunk at a time, each read in a thread."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # Made from a sync generator (see serve_file), so streaming_content is a sync iterator.
        chunks = cast(Iterator[bytes], self.streaming_content)
        loop = asyncio.get_running_loop()
        while (chunk := await loop.run_in_executor(_READERS, next, chunks, None)) is not None:
            yield chunk


def _secure(response: HttpResponse | StreamingHttpResponse) -> None:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP


def _offloaded(path: Path, content_type: str) -> HttpResponse | None:
    mode = settings.SOUNDS_FILE_SERVING
    if mode == "stream":
        return None
    response = HttpResponse(content_type=content_type)
    if mode == "x-accel-redirect" and is_contained(path, settings.SOUNDS_ROOT):
        relative = path.relative_to(Path(settings.SOUNDS_ROOT).resolve()).as_posix()
        response["X-Accel-Redirect"] = settings.SOUNDS_FILE_SERVING_PREFIX.rstrip("/") + "/" + quote(relative)
    elif mode == "x-sendfile":
        response["X-Sendfile"] = str(path)
    else:
        return None
    return response


def serve_file(
    request: HttpRequest,
    path: Path,
    *,
    download_name: str,
    inline: bool = False,
    allowed_types: Mapping[str, str] = AUDIO_CONTENT_TYPES,
    max_age: int = 0,
) -> HttpResponse:
    """Answer with the file at `path`, which must lie under SOUNDS_ROOT or MEDIA_ROOT (else 404)."""
    try:
        path = contained(path)
        stat = path.stat()
    except (ValueError, OSError, RuntimeError) as exc:
        raise Http404("No such file.") from exc
    size = stat.st_size
    content_type = content_type_for(path, allowed_types)
    cache_control = f"private, max-age={max_age}" if max_age else "private, no-cache"
    response: HttpResponse | StreamingHttpResponse
    offloaded = _offloaded(path, content_type)
    if offloaded is not None:
        response = offloaded  # the proxy answers conditional requests and ranges itself
    else:
        etag, last_modified = _validators(stat)
        # If-None-Match / If-Modified-Since (a 304: the browser's copy is current) and If-Match /
        # If-Unmodified-Since (a 412), decided by Django's own RFC 9110 logic.
        conditional = get_conditional_response(request, etag=etag, last_modified=int(stat.st_mtime))
        if conditional is not None:
            conditional["ETag"], conditional["Last-Modified"] = etag, last_modified
            conditional["Cache-Control"] = cache_control
            _secure(conditional)
            return conditional
        try:
            header = request.headers.get("Range", "") if _range_applies(request, etag, last_modified) else ""
            wanted = parse_range(header, size)
        except Unsatisfiable:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            _secure(response)
            return response
        start, end = wanted if wanted is not None else (0, size - 1)
        response = FileStream(_read(path, start, end - start + 1), content_type=content_type)
        if wanted is not None:
            response.status_code = 206
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1 if size else 0)
        response["Accept-Ranges"] = "bytes"
        response["ETag"], response["Last-Modified"] = etag, last_modified
    _secure(response)
    response["Content-Disposition"] = content_disposition(download_name, inline=inline and content_type != OCTET_STREAM)
    response["Cache-Control"] = cache_control
    return response  # type: ignore[return-value]  # a FileStream (streaming) goes wherever an HttpResponse does
