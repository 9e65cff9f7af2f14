"""Typed errors of the sync, each with a message a person can act on."""

from __future__ import annotations


class SyncError(Exception):
    """Base class of every error voxrank-sync reports as one line."""


class ApiError(SyncError):
    """The API refused a request (HTTP 4xx or result.status 4xx) for a reason retrying cannot fix."""

    def __init__(self, status: int, message: str, field_errors: dict[str, str] | None = None) -> None:
        self.status = status
        self.api_message = message
        self.field_errors = field_errors or {}
        details = "; ".join(f"{field}: {reason}" for field, reason in self.field_errors.items())
        super().__init__(f"DMM API returned {status} {message}" + (f" ({details})" if details else ""))


class TransientApiError(SyncError):
    """A failure worth retrying: 429, 5xx, a timeout, a truncated or non-JSON body."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(reason)


class DatabaseUnavailableError(SyncError):
    """The database URL cannot be opened."""


class CorruptCheckpointError(SyncError):
    """Checkpoint rows contradict the saved plan; `voxrank-sync resume --repair` refetches those pages."""


class PlanningError(SyncError):
    """A date window cannot be split below the offset cap."""


class NothingToResumeError(SyncError):
    """`resume` found no unfinished sync for the scope."""
