"""Request and response bodies of the recommendation endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from voxrank.serving.recommend.store import MAX_K

ItemId = str


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HistoryEvent(Strict):
    item_id: ItemId = Field(min_length=1, max_length=256)
    weight: float = Field(default=1.0, ge=0, le=1e6, description="Importance of the interaction.")


class UserQuery(Strict):
    """A user by id (their stored history is used) or by an explicit history, oldest first."""

    user_id: str | None = Field(default=None, min_length=1, max_length=256)
    history: list[HistoryEvent] | None = Field(default=None, description="Interactions, oldest first.")

    @model_validator(mode="after")
    def _one_source(self) -> UserQuery:
        if (self.user_id is None) == (self.history is None):
            raise ValueError("give exactly one of user_id and history")
        if self.history is not None and not self.history:
            raise ValueError("history is empty: give at least one item")
        return self


class ItemIn(Strict):
    item_id: ItemId = Field(min_length=1, max_length=256)
    title: str = Field(default="", max_length=2000)
    genre_ids: list[str] = []
    maker_ids: list[str] = []
    series_ids: list[str] = []
    label_ids: list[str] = []
    people_ids: list[str] = []
    price: float | None = Field(default=None, ge=0)
    review_count: int | None = Field(default=None, ge=0)
    review_average: float | None = Field(default=None, ge=0, le=5)
    release_date: datetime | None = None


class UserEmbeddingRequest(Strict):
    users: list[UserQuery] = Field(min_length=1)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"users": [{"history": [{"item_id": "abc001"}, {"item_id": "abc002"}]}]}]
        },
    )


class ItemEmbeddingRequest(Strict):
    items: list[ItemIn] = Field(min_length=1)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"items": [{"item_id": "abc001", "title": "夏の旅 summer trip"}]}]},
    )


class EmbeddingResponse(BaseModel):
    model: str
    version: str
    dimension: int
    embeddings: list[list[float]]


class RecommendationRequest(UserQuery):
    k: int = Field(default=10, ge=1, le=MAX_K, description=f"Number of items, at most {MAX_K}.")
    exclude_seen: bool = Field(default=True, description="Leave out items in the user's history.")
    exclude: list[ItemId] = Field(default=[], description="More item ids to leave out.")

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"history": [{"item_id": "abc001"}], "k": 10}]}
    )


class ScoredItem(BaseModel):
    item_id: str
    score: float = Field(description="Inner product of the user and item embeddings.")


class RecommendationResponse(BaseModel):
    model: str = Field(description="The user tower's model name.")
    version: str = Field(description="Version of the user tower and of the index it was matched against.")
    store: str = Field(description="Kind of vector store: exact, hnsw or pgvector.")
    items: list[ScoredItem]
