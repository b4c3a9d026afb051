"""The documented shape of every refusal, and what each status means, written once for the whole API."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "properties": {
        "detail": {"title": "Detail", "type": "string"},
        "errors": {"title": "Errors", "type": "array", "items": {"type": "object"}},
    },
    "required": ["detail"],
}
ERROR_REF: dict[str, Any] = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

MEANINGS: dict[int, str] = {
    400: "Invalid input; `detail` says what is wrong, `errors` lists the fields.",
    401: "Not signed in, or the bearer token is unknown, revoked or expired.",
    402: "Not enough credits; nothing was charged.",
    403: "Signed in, but not allowed to do this.",
    404: "No such object (or not yours to see).",
    409: "It exists already; `detail` names the existing one.",
    413: "The request body or file is too large, or the storage quota is full.",
    423: "Quiet hours: refused until `detail` says.",
    429: "Too many requests; `Retry-After` says when to try again.",
    500: "Something broke on the server; it was logged.",
    503: "The player is offline or did not start the sound; nothing was charged.",
}
# Refusals any operation may answer; each operation adds its own with `refusals(...)`.
COMMON = (400, 401, 403, 404, 413, 429, 500)


def responses(codes: tuple[int, ...] | list[int]) -> dict[int, Any]:
    # Integer keys, as ninja writes its own: the two must not both appear as "404" in the JSON.
    return {code: {"description": MEANINGS[code], "content": ERROR_REF} for code in codes}


def refusals(*codes: int) -> dict[str, Any]:
    """`openapi_extra` for an operation that can also refuse with these statuses (402, 409, 503…)."""
    return {"responses": responses(codes)}
