"""Errors a client can act on: a status, a message that says why, and headers such as Retry-After."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from voxrank.serving.api.structured_logging import request_id_var


class ErrorBody(BaseModel):
    detail: str = Field(description="What went wrong, in words a client can act on.")
    request_id: str | None = Field(
        default=None, description="Quote it when reporting a problem; also in X-Request-ID."
    )


class ApiError(Exception):
    def __init__(self, status_code: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = headers or {}


def error_response(status_code: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorBody(detail=detail, request_id=request_id_var.get())
    return JSONResponse(body.model_dump(), status_code=status_code, headers=headers)


async def _handle_api_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return error_response(error.status_code, error.detail, error.headers)


async def _handle_validation_error(_: Request, error: Exception) -> JSONResponse:
    """FastAPI's parameter errors in the same shape as every other error: one readable message."""
    assert isinstance(error, RequestValidationError)
    return error_response(422, "; ".join(_describe(problem) for problem in error.errors()))


def _describe(problem: dict[str, Any]) -> str:
    where = [str(part) for part in problem.get("loc", ())]
    place = (
        f"{where[0]} parameter {'.'.join(where[1:])!r}" if len(where) > 1 else ".".join(where) or "request"
    )
    return f"{place}: {problem.get('msg', 'invalid')}"


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _handle_api_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)


def responses(*codes: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI `responses` entries for error codes, all with the ErrorBody schema."""
    descriptions = {
        401: "Missing or wrong API key.",
        404: "No such model.",
        413: "Upload too large or audio too long.",
        415: "Not audio, or an audio format that cannot be decoded.",
        422: "Invalid parameters, or corrupt audio.",
        503: "Overloaded, shutting down, or the model is not loaded yet; retry after Retry-After seconds.",
        504: "The request took longer than the configured timeout.",
    }
    return {code: {"model": ErrorBody, "description": descriptions[code]} for code in codes}
