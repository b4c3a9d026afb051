"""Django's upload handling for every form and API upload: a per-file size cap while the body is parsed.

Django's stock handlers write whatever arrives to a temporary file and leave the size check to the view, by
which time a hostile client has filled the disk. This handler writes each file to FILE_UPLOAD_TEMP_DIR (under
var/) and, the moment one passes SOUNDS_MAX_UPLOAD_MB, drops what it wrote and stops the parse. The view then
finds the refusal on the request (`refusal`) and answers 413. The whole body is capped earlier, at the ASGI
edge; this is the per-file cap inside Django.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest

from core.errors import UserError

_ATTR = "_sounds_upload_refused"


class CappedUploadHandler(TemporaryFileUploadHandler):
    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        limit = int(settings.SOUNDS_MAX_UPLOAD_MB) * 1024 * 1024
        if start + len(raw_data) > limit:
            self.file.close()  # a NamedTemporaryFile: closing deletes what was written so far
            if self.request is not None:
                setattr(self.request, _ATTR, self.file_name or "file")
            # connection_reset: read no further; nothing after this file is wanted.
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)


class TooLarge(UserError):
    def __init__(self, name: str) -> None:
        super().__init__(f"The file is larger than {settings.SOUNDS_MAX_UPLOAD_MB} MB.", 413)
        self.name = name


def refusal(request: HttpRequest) -> TooLarge | None:
    """The 413 to answer when the handler stopped an upload of this request, else None.

    Reading request.FILES first makes sure the body was parsed (and the handler had its say).
    """
    request.FILES  # noqa: B018  (parses the body)
    name = getattr(request, _ATTR, None)
    return TooLarge(name) if name else None
