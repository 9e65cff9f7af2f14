"""API keys in a header, compared in constant time; no keys configured means authentication is off."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Depends
from fastapi.security import APIKeyHeader

from voxrank.serving.api.errors import ApiError
from voxrank.serving.settings import ServingSettings


def key_is_valid(presented: str | None, accepted: list[bytes]) -> bool:
    if not presented:
        return False
    candidate = presented.encode()
    # Compare against every key so the time taken does not tell which one nearly matched.
    matches = [hmac.compare_digest(candidate, key) for key in accepted]
    return any(matches)


def is_authorised(settings: ServingSettings, presented: str | None) -> bool:
    """True when authentication is off, or `presented` is one of the configured keys."""
    if not settings.auth_enabled:
        return True
    return key_is_valid(presented, [key.get_secret_value().encode() for key in settings.api_keys])


def api_key_dependency(settings: ServingSettings) -> Callable[[str | None], None]:
    """A dependency for the /v1 routers; it also puts the header scheme into the OpenAPI document."""
    scheme = APIKeyHeader(
        name=settings.api_key_header, auto_error=False, description="API key, when enabled."
    )

    def require_api_key(presented: str | None = Depends(scheme)) -> None:
        if not is_authorised(settings, presented):
            raise ApiError(
                401,
                f"missing or invalid API key in header {settings.api_key_header}",
                {"WWW-Authenticate": "ApiKey"},
            )

    return require_api_key
