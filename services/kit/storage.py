"""Uploaded files, stored by the SHA-256 of their content. A file's name is kept only as
data, never used as a path; its type is read from its content, not its name. Local disk
under var/ by default; another backend (S3-compatible storage) implements the same protocol."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import filetype
from fastapi import Response

ALLOWED_TYPES = ("application/pdf", "image/jpeg", "image/png")


class UploadRejected(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    content_type: str


class FileStore(Protocol):
    async def put(self, data: bytes, content_type: str) -> StoredFile: ...

    async def get(self, sha256: str) -> bytes: ...


def inspect_upload(data: bytes, *, max_bytes: int,
                   allowed: tuple[str, ...] = ALLOWED_TYPES) -> str:
    """Return the content type read from the bytes; refuse empty, too large or other types."""
    if not data:
        raise UploadRejected("file_empty")
    if len(data) > max_bytes:
        raise UploadRejected("file_too_large")
    kind = filetype.guess(data[:8192])
    if kind is None or kind.mime not in allowed:
        raise UploadRejected("file_type_not_allowed")
    return kind.mime


def display_name(name: str | None) -> str:
    """A name safe to show and to put in a Content-Disposition header: no directories,
    no control characters, bounded length."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base)
                   if unicodedata.category(ch)[0] != "C")
    base = base.strip(" .")
    return base[:120] or "document"


class LocalFileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise KeyError(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def put(self, data: bytes, content_type: str) -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        await asyncio.to_thread(self._write, digest, data)
        return StoredFile(sha256=digest, size=len(data), content_type=content_type)

    def _write(self, digest: str, data: bytes) -> None:
        path = self._path(digest)
        if path.exists():
            return  # same content, same name: stored once
        path.parent.mkdir(parents=True, exist_ok=True)
        # write then rename, so a reader never sees half a file
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp.name, path)

    async def get(self, sha256: str) -> bytes:
        return await asyncio.to_thread(self._path(sha256).read_bytes)


def download(data: bytes, *, content_type: str, file_id: str, original_name: str) -> Response:
    """A stored upload sent back as a download: named by its id, with the person's own
    file name alongside (RFC 5987), never sniffed into another type by the browser."""
    return Response(data, media_type=content_type, headers={
        "content-disposition": f"attachment; filename=\"{file_id}\"; "
                               f"filename*=UTF-8''{quote(original_name, safe='')}",
        "x-content-type-options": "nosniff",
    })
