"""Reading audio out of a request: multipart upload or raw body, never more than the configured bytes."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from voxrank.serving.api.errors import ApiError

UPLOAD_FIELD = "file"
RAW_CONTENT_TYPES = ("audio/", "application/octet-stream")


async def read_audio_upload(request: Request, max_bytes: int) -> bytes:
    """The audio bytes of a request; 413 past `max_bytes`, 415 for a non-audio body, 422 when empty."""
    content_type = request.headers.get("content-type", "application/octet-stream").lower()
    is_multipart = content_type.startswith("multipart/form-data")
    if not is_multipart and not content_type.startswith(RAW_CONTENT_TYPES):
        raise ApiError(
            415,
            f"content type {content_type!r} is not audio: send the file as multipart field "
            f"{UPLOAD_FIELD!r} or as a raw body with an audio/* or application/octet-stream content type",
        )
    body = await _read_limited(request, max_bytes)
    audio = await _multipart_file(request, body) if is_multipart else body
    if not audio:
        raise ApiError(422, "the request holds no audio (empty body or empty file)")
    return audio


async def _read_limited(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ApiError(413, f"upload of {int(declared)} bytes exceeds the limit of {max_bytes} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(413, f"upload exceeds the limit of {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _multipart_file(request: Request, body: bytes) -> bytes:
    async def replay() -> AsyncGenerator[bytes, None]:
        yield body

    parser = MultiPartParser(
        request.headers, replay(), max_files=1, max_fields=16, max_part_size=len(body) + 1
    )
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise ApiError(422, f"malformed multipart body: {error.message}") from error
    upload = form.get(UPLOAD_FIELD)
    if not isinstance(upload, UploadFile):
        raise ApiError(422, f"multipart body has no file field named {UPLOAD_FIELD!r}")
    try:
        return await upload.read()
    finally:
        await form.close()
