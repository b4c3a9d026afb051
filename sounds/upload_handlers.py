"""Django's upload handling for every form and API upload: a per-file size cap while the body is parsed.

Django's stock handlers write whatever arrives to a temporary file and leave the size check to the view, by
which time a hostile client has filled the disk. This handler writes each file to FILE_UPLOAD_TEMP_DIR (under
var/) and, the moment one passes SOUNDS_MAX_UPLOAD_MB, deletes what it wrote of that file and writes none of
the rest of it: the file is left out of request.FILES and named on the request (`refused_files`), and the
other files of the batch are read as usual, so each gets its own answer. What is read is bounded by the
whole body's cap at the ASGI edge (REQUEST_MAX_BODY_MB): the hard guard; this is the per-file cap inside
Django, and nothing past it touches the disk.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest

from core.errors import UserError

_ATTR = "_sounds_upload_refused"


class CappedUploadHandler(TemporaryFileUploadHandler):
    too_large = False  # the current file passed the cap: the rest of it is read and dropped

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.too_large:
            return None  # None: the chunk is consumed here, never written
        limit = int(settings.SOUNDS_MAX_UPLOAD_MB) * 1024 * 1024
        if start + len(raw_data) > limit:
            self.too_large = True
            self.file.close()  # a NamedTemporaryFile: closing deletes what was written so far
            if self.request is not None:
                refused: list[str] = getattr(self.request, _ATTR, [])
                refused.append(self.file_name or "file")
                setattr(self.request, _ATTR, refused)
            return None
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int) -> UploadedFile[bytes] | None:
        # None: the file is not in request.FILES (its refusal is on the request instead).
        return None if self.too_large else super().file_complete(file_size)


class TooLarge(UserError):
    def __init__(self, name: str) -> None:
        super().__init__(f"The file is larger than {settings.SOUNDS_MAX_UPLOAD_MB} MB.", 413)
        self.name = name


def refused_files(request: HttpRequest) -> list[TooLarge]:
    """A 413 for each file of this request the handler left out for its size (none: an empty list).

    Reading request.FILES first makes sure the body was parsed (and the handler had its say).
    """
    request.FILES  # noqa: B018  (parses the body)
    return [TooLarge(name) for name in getattr(request, _ATTR, [])]
