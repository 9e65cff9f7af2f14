"""Training examples: (a user's history strictly before an interaction, the item first interacted with).

Only first interactions with an item become targets, because the recommender is asked for items a user
has not had yet; repeats still count in later histories. Features come from ml-serving's preprocessing,
so training sees exactly what serving computes.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from voxrank.serving.recommend.features import FeatureSpec, encode_items, item_id_token
from voxrank.serving.recommend.items import ItemRecord, UserHistory


@dataclass(frozen=True)
class Example:
    user_start: int
    """Where the user's interactions begin in the flattened history arrays."""
    history_end: int
    """The history is the user's interactions[:history_end]."""
    item_index: int
    """Position of the target item in the catalog."""


class ExampleSet:
    """All examples of a training period with the encoded catalog, ready to cut into batches."""

    def __init__(
        self, catalog: Sequence[ItemRecord], histories: dict[str, UserHistory], spec: FeatureSpec
    ) -> None:
        self.spec = spec
        self.histories = histories
        self.catalog_index = {item.item_id: index for index, item in enumerate(catalog)}
        self.items = encode_items(catalog, spec)
        self._flatten_histories()
        self.examples = [
            example
            for start, history in zip(self._user_starts, histories.values(), strict=True)
            for example in self._user_examples(history, start)
        ]
        if not self.examples:
            raise ValueError("no training examples: every user needs an interaction after their first one")
        counts = np.bincount([example.item_index for example in self.examples], minlength=len(catalog))
        self.item_log_q = np.log(np.maximum(counts, 1) / len(self.examples)).astype(np.float32)

    def _flatten_histories(self) -> None:
        tokens: dict[str, int] = {}
        flat_tokens: list[int] = []
        flat_weights: list[float] = []
        self._user_starts: list[int] = []
        for history in self.histories.values():
            self._user_starts.append(len(flat_tokens))
            for event in history.interactions:
                if event.item_id not in tokens:
                    tokens[event.item_id] = item_id_token(event.item_id, self.spec)
                flat_tokens.append(tokens[event.item_id])
                flat_weights.append(max(event.weight, 0.0))
        self._flat_tokens = np.asarray([*flat_tokens, 0], dtype=np.int64)
        self._flat_weights = np.asarray([*flat_weights, 0.0], dtype=np.float64)

    def _user_examples(self, history: UserHistory, start: int) -> list[Example]:
        times = [event.timestamp for event in history.interactions]
        seen: set[str] = set()
        examples = []
        for position, event in enumerate(history.interactions):
            if event.item_id in seen or event.item_id not in self.catalog_index:
                seen.add(event.item_id)
                continue
            seen.add(event.item_id)
            # Items bought at the same moment (one basket) are not each other's history.
            end = bisect.bisect_left(times, event.timestamp, hi=position)
            if end > 0:
                examples.append(Example(start, end, self.catalog_index[event.item_id]))
        return examples

    def __len__(self) -> int:
        return len(self.examples)

    def batch(
        self, indices: Sequence[int]
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
        """User inputs, item inputs and catalog indices of the positives for the given examples."""
        chosen = [self.examples[index] for index in indices]
        starts = np.asarray([example.user_start for example in chosen], dtype=np.int64)[:, None]
        ends = np.asarray([example.history_end for example in chosen], dtype=np.int64)[:, None]
        item_indices = np.asarray([example.item_index for example in chosen], dtype=np.int64)
        return self.histories_at(starts, ends), self.item_inputs(item_indices), item_indices

    def histories_at(self, starts: np.ndarray, ends: np.ndarray) -> dict[str, np.ndarray]:
        """`encode_histories` of interactions[start:end] for many users at once, as vectorised numpy.

        Equal to ml-serving's encode_histories (a test holds them to it); one Python loop per history
        would cost more than the model's forward and backward pass.
        """
        ranks = np.arange(self.spec.max_history)[None, :]
        valid = ranks < ends
        positions = np.where(valid, starts + ends - 1 - ranks, len(self._flat_tokens) - 1)
        decay = np.power(self.spec.history_decay, ranks.astype(np.float64))
        return {
            "history_ids": np.where(valid, self._flat_tokens[positions], 0),
            "history_weights": np.where(valid, self._flat_weights[positions] * decay, 0.0).astype(np.float32),
        }

    def item_inputs(self, item_indices: np.ndarray) -> dict[str, np.ndarray]:
        return {name: values[item_indices] for name, values in self.items.items()}
