"""The media manifest of a backup: every file under the media folders with its size and SHA-256.

The audio itself is not copied (it is large, and rsync or the host's snapshots copy files better); the
manifest says exactly which files the database expects, so after a restore `restore` can tell what is missing
or different. A manifest is read back from disk, so it is untrusted: every path must be a plain relative path
that stays inside its folder, or the whole backup is refused before anything is touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings

FORMAT = 1
CHUNK = 1024 * 1024


class BadManifest(Exception):
    """The manifest cannot be trusted (unreadable, malformed, or a path leading outside its folder)."""


@dataclass(frozen=True)
class Entry:
    root: str  # which folder: "media", or "sounds" when SOUNDS_ROOT lies outside MEDIA_ROOT
    path: str  # relative, POSIX separators
    size: int
    mtime_ns: int
    sha256: str


def roots() -> dict[str, Path]:
    """The folders whose files a backup lists, by the name the manifest uses for them."""
    media = Path(settings.MEDIA_ROOT).resolve()
    sounds = Path(settings.SOUNDS_ROOT).resolve()
    found = {"media": media}
    if not sounds.is_relative_to(media):
        found["sounds"] = sounds
    return found


def _files(root: Path) -> Iterator[tuple[str, os.stat_result]]:
    """Regular files under root, without following links; hidden ones (half-written `.part-*`) left out."""
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # vanished meanwhile
            if stat.S_ISDIR(info.st_mode):
                stack.append(Path(entry.path))
            elif stat.S_ISREG(info.st_mode):
                yield Path(entry.path).relative_to(root).as_posix(), info


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def build(previous: dict[tuple[str, str], Entry] | None = None) -> list[Entry]:
    """List every media file. A file whose size and modification time match the previous backup's entry keeps
    that entry's hash: a nightly run reads only what changed."""
    previous = previous or {}
    entries = []
    for name, root in roots().items():
        if not root.is_dir():
            continue
        for rel, info in sorted(_files(root)):
            known = previous.get((name, rel))
            if known is not None and (known.size, known.mtime_ns) == (info.st_size, info.st_mtime_ns):
                entries.append(known)
                continue
            try:
                digest = sha256_of(root / rel)
            except OSError:
                continue  # removed while we listed: it is not part of this backup
            entries.append(Entry(name, rel, info.st_size, info.st_mtime_ns, digest))
    return entries


def write(path: Path, entries: list[Entry]) -> None:
    data = {"format": FORMAT, "roots": {k: str(v) for k, v in roots().items()}, "files": [asdict(e) for e in entries]}
    path.write_text(json.dumps(data, indent=1))


def _safe_relative(value: Any) -> str:
    if not isinstance(value, str) or not value or "\x00" in value or "\\" in value:
        raise BadManifest(f"the manifest names a file oddly: {value!r}")
    pure = PurePosixPath(value)
    if pure.is_absolute() or ".." in pure.parts or pure.as_posix() != value:
        raise BadManifest(f"the manifest names a file outside the media folder: {value!r}")
    return value


def read(path: Path) -> list[Entry]:
    """The entries of a manifest on disk; BadManifest unless every one is well-formed and stays inside."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise BadManifest("the media manifest is missing") from exc
    except (OSError, ValueError) as exc:
        raise BadManifest("the media manifest is not readable JSON") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), list):
        raise BadManifest("the media manifest is not one this version writes")
    known = roots()
    entries = []
    for item in data["files"]:
        if not isinstance(item, dict):
            raise BadManifest("the media manifest has an entry that is not an object")
        root, rel = item.get("root"), _safe_relative(item.get("path"))
        if root not in known:
            raise BadManifest(f"the manifest names an unknown folder: {root!r}")
        # Resolved too: a link inside the folder must not carry the path outside it.
        if not (known[root] / rel).resolve().is_relative_to(known[root]):
            raise BadManifest(f"the manifest names a file outside the media folder: {rel!r}")
        size, mtime, digest = item.get("size"), item.get("mtime_ns"), item.get("sha256")
        if not (isinstance(size, int) and isinstance(mtime, int) and isinstance(digest, str) and len(digest) == 64):
            raise BadManifest(f"the manifest's entry for {rel!r} is malformed")
        entries.append(Entry(str(root), rel, size, mtime, digest))
    return entries


@dataclass
class Check:
    same: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


def check(entries: list[Entry]) -> Check:
    """Compare the media folders with the manifest: files missing, and files whose content differs."""
    known = roots()
    result = Check()
    for entry in entries:
        path = known[entry.root] / entry.path
        try:
            if path.stat().st_size != entry.size or sha256_of(path) != entry.sha256:
                result.changed.append(entry.path)
                continue
        except OSError:
            result.missing.append(entry.path)
            continue
        result.same += 1
    return result
