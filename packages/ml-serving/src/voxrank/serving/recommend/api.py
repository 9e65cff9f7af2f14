"""POST /v1/embeddings/users, /v1/embeddings/items and /v1/recommendations on the exported towers.

The towers are the repository models `two-tower-user` and `two-tower-item` (names configurable), served
and hot-reloaded by the model manager like any other model. Recommendations embed the user with the user
tower and search the vector store built by `voxrank-serve index build`; a store built by another model
version than the serving user tower is refused (409) rather than silently mixing embedding spaces.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import numpy as np
import onnxruntime as ort
from fastapi import APIRouter, Request

from voxrank.serving.api.errors import ApiError, ErrorBody, responses
from voxrank.serving.api.inference import label_request, run_admitted, serving_model
from voxrank.serving.models.loaded import LoadedModel
from voxrank.serving.models.manager import ModelManager
from voxrank.serving.recommend.interactions import InteractionDataError, group_by_user, read_interactions
from voxrank.serving.recommend.items import Interaction, ItemRecord, UserHistory
from voxrank.serving.recommend.schemas import (
    EmbeddingResponse,
    ItemEmbeddingRequest,
    RecommendationRequest,
    RecommendationResponse,
    ScoredItem,
    UserEmbeddingRequest,
    UserQuery,
)
from voxrank.serving.recommend.settings import RecommendSettings
from voxrank.serving.recommend.store import ModelVersionMismatchError, VectorStore, VectorStoreError
from voxrank.serving.recommend.store_url import open_store
from voxrank.serving.recommend.towers import ITEM_TASK, USER_TASK, Tower, TowerMismatchError

router = APIRouter(prefix="/v1", tags=["recommendations"])
logger = logging.getLogger(__name__)
T = TypeVar("T")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# FastAPI answers a JSON body that is not even text (bytes that are no UTF-8) with 400 before validation.
ROUTE_ERRORS = {
    400: {"model": ErrorBody, "description": "The body cannot be decoded as JSON text."},
    **responses(401, 404, 422, 503, 504),
}


def file_stamp(path: Path) -> tuple[int, int] | None:
    """When and at what size `path` was last written; None when it does not exist."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


class RecommendState:
    """The vector store and the stored histories, read on first use and again whenever their file changes.

    The web page's user list reads the histories through here too, so the page and the API always show
    the same log.
    """

    def __init__(self, settings: RecommendSettings) -> None:
        self.settings = settings
        # Two locks: re-reading a large log must not hold up searches, nor reopening an index lookups.
        self._store_lock = threading.Lock()
        self._store: VectorStore | None = None
        self._store_stamp: tuple[int, int] | None = None
        self._histories_lock = threading.Lock()
        self._histories: dict[str, UserHistory] | None = None
        self._histories_stamp: tuple[int, int] | None = None

    def _store_path(self) -> Path | None:
        url = self.settings.store
        return Path(url.split(":", 1)[1]) if url.startswith(("exact:", "hnsw:")) else None

    def store(self) -> VectorStore:
        with self._store_lock:
            path = self._store_path()
            stamp = file_stamp(path) if path is not None else None
            if self._store is None or stamp != self._store_stamp:
                self._store, self._store_stamp = open_store(self.settings.store), stamp
            return self._store

    def histories(self) -> dict[str, UserHistory]:
        """Stored histories by user id. A log that changed is read again; one that cannot be read leaves
        the last good histories in service (a 503 when there are none)."""
        path = self.settings.histories
        if path is None:
            raise ApiError(422, "this server has no stored histories: send the user's history instead")
        with self._histories_lock:
            stamp = file_stamp(path)
            if self._histories is None or stamp != self._histories_stamp:
                try:
                    self._histories = group_by_user(read_interactions(path))
                except (OSError, InteractionDataError) as error:
                    if self._histories is None:
                        raise ApiError(503, f"the interaction log cannot be read: {error}") from error
                    logger.warning("keeping the last good histories: %s", error)
                else:
                    self._histories_stamp = stamp
            return self._histories

    def history(self, user_id: str) -> UserHistory:
        histories = self.histories()
        if user_id not in histories:
            raise ApiError(404, f"no stored history for user {user_id!r}")
        return histories[user_id]


def recommend_state(request: Request) -> RecommendState:
    """The app's RecommendState, made from `VOXRANK_RECOMMEND_*` on first use."""
    state: RecommendState | None = getattr(request.app.state, "recommend", None)
    if state is None:
        state = RecommendState(RecommendSettings())
        request.app.state.recommend = state
    return state


def _history(query: UserQuery, state: RecommendState) -> UserHistory:
    if query.user_id is not None:
        return state.history(query.user_id)
    events = query.history or []
    if len(events) > state.settings.max_history:
        raise ApiError(422, f"history has {len(events)} items; the limit is {state.settings.max_history}")
    return UserHistory(
        "request", [Interaction("request", event.item_id, _EPOCH, event.weight) for event in events]
    )


async def _run_tower(request: Request, name: str, task: str, work: Callable[[Tower], T]) -> tuple[T, str]:
    """Run `work` with the serving version of a tower inside the server's admission control."""
    serving_model(request, name, task)
    manager: ModelManager = request.app.state.manager

    def job(run_options: ort.RunOptions) -> tuple[T, LoadedModel]:
        with manager.lease(name) as model:

            def runner(feeds: Mapping[str, np.ndarray]) -> Mapping[str, np.ndarray]:
                return model.runner(feeds, run_options)

            return work(Tower.from_manifest(runner, model.manifest, task)), model

    try:
        result, model = (await run_admitted(request, name, job)).result
    except TowerMismatchError as error:
        raise ApiError(422, str(error)) from error
    label_request(request, model)
    return result, model.version


def _batch_limit(count: int, state: RecommendState, what: str) -> None:
    if count > state.settings.max_batch:
        raise ApiError(422, f"{count} {what} in one request; the limit is {state.settings.max_batch}")


async def _embed(
    request: Request, name: str, task: str, work: Callable[[Tower], np.ndarray]
) -> EmbeddingResponse:
    vectors, version = await _run_tower(request, name, task, work)
    return EmbeddingResponse(
        model=name, version=version, dimension=int(vectors.shape[1]), embeddings=vectors.tolist()
    )


@router.post(
    "/embeddings/users",
    summary="Embed users (by stored history or an explicit one) with the user tower.",
    response_model=EmbeddingResponse,
    responses=ROUTE_ERRORS,
)
async def embed_users(request: Request, body: UserEmbeddingRequest) -> EmbeddingResponse:
    state = recommend_state(request)
    _batch_limit(len(body.users), state, "users")
    # Opening the stored histories reads a file: keep it off the event loop.
    histories = await asyncio.to_thread(lambda: [_history(query, state) for query in body.users])
    return await _embed(
        request, state.settings.user_model, USER_TASK, lambda tower: tower.embed_users(histories)
    )


@router.post(
    "/embeddings/items",
    summary="Embed catalog items from their features with the item tower.",
    response_model=EmbeddingResponse,
    responses=ROUTE_ERRORS,
)
async def embed_items(request: Request, body: ItemEmbeddingRequest) -> EmbeddingResponse:
    state = recommend_state(request)
    _batch_limit(len(body.items), state, "items")
    records = [ItemRecord.from_dict(item.model_dump()) for item in body.items]
    return await _embed(
        request, state.settings.item_model, ITEM_TASK, lambda tower: tower.embed_items(records)
    )


@router.post(
    "/recommendations",
    summary="Top-k unseen items for a user (by id or explicit history), at most 1000.",
    response_model=RecommendationResponse,
    responses={
        **ROUTE_ERRORS,
        409: {"description": "Index and user tower versions differ."},
    },
)
async def recommend(request: Request, body: RecommendationRequest) -> RecommendationResponse:
    state = recommend_state(request)
    history = await asyncio.to_thread(_history, body, state)
    try:
        store = await asyncio.to_thread(state.store)
    except VectorStoreError as error:
        raise ApiError(503, f"the item index is not available: {error}", {"Retry-After": "30"}) from error
    excluded = set(body.exclude) | (set(history.item_ids) if body.exclude_seen else set())

    def search(tower: Tower) -> list[ScoredItem]:
        neighbours = store.search(tower.embed_users([history]), body.k, tower.version, exclude=[excluded])[0]
        return [
            ScoredItem(item_id=i, score=s)
            for i, s in zip(neighbours.item_ids, neighbours.scores, strict=True)
        ]

    try:
        items, version = await _run_tower(request, state.settings.user_model, USER_TASK, search)
    except ModelVersionMismatchError as error:
        raise ApiError(409, f"{error}; rebuild the index with voxrank-serve index build") from error
    except VectorStoreError as error:
        raise ApiError(503, f"the item index is not available: {error}", {"Retry-After": "30"}) from error
    return RecommendationResponse(
        model=state.settings.user_model, version=version, store=store.kind, items=items
    )
