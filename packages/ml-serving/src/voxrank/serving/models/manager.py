"""Loads every served model from the repository, validates and warms each version, hot-swaps new ones.

A new version is loaded in the background while the current one keeps serving: session, contract and
checksum checks, golden output, warm-up; only then is it swapped in (one assignment under a lock), and
the old version is dropped once the requests that use it have finished. A version that fails any step
is recorded as rejected and never replaces the one serving.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from packaging.version import Version

from voxrank.serving.models.loaded import LoadedModel
from voxrank.serving.models.validation import load_validated
from voxrank.serving.repository import ModelRepository
from voxrank.serving.repository.versions import to_specifier
from voxrank.serving.runtime.providers import ProviderChain, ProviderError
from voxrank.serving.runtime.session import SessionConfig
from voxrank.serving.settings import ServingSettings

log = logging.getLogger(__name__)

ReloadOutcome = Literal["loaded", "rejected"]
ModelState = Literal["loading", "ready", "failed", "unavailable"]


class ModelUnavailableError(LookupError):
    """The model is not served, or no version of it has loaded yet."""


@dataclass(frozen=True)
class ReloadResult:
    version: str
    outcome: ReloadOutcome
    at: float
    seconds: float
    error: str | None = None


@dataclass
class ModelSlot:
    """Everything the manager knows about one model name."""

    name: str
    spec: str
    current: LoadedModel | None = None
    loading: str | None = None
    draining: list[LoadedModel] = field(default_factory=list)
    last_reload: ReloadResult | None = None
    rejected: dict[str, str] = field(default_factory=dict)

    @property
    def state(self) -> ModelState:
        if self.loading is not None:
            return "loading"
        if self.current is not None:
            return "ready"
        return "failed" if self.rejected else "unavailable"


ReloadObserver = Callable[[str, ReloadResult], None]


def session_config(settings: ServingSettings) -> SessionConfig:
    """ONNX Runtime session settings (providers, threads, IO binding) from the serving settings."""
    return SessionConfig(
        chain=ProviderChain.from_short_names(
            settings.providers,
            strict=settings.strict_providers,
            device_id=settings.device_id,
            tensorrt_fp16=settings.tensorrt_fp16,
            tensorrt_cache_dir=settings.tensorrt_cache_dir,
        ),
        intra_op_threads=settings.intra_op_threads,
        inter_op_threads=settings.inter_op_threads,
        io_binding=settings.io_binding,
    )


class ModelManager:
    """`get(name)` / `lease(name)` hand out the serving version of any model in the repository."""

    def __init__(self, settings: ServingSettings, observer: ReloadObserver | None = None) -> None:
        self.settings = settings
        self.repository = ModelRepository(settings.model_repository)
        self.session_config = session_config(settings)
        self._observer = observer
        self._slots: dict[str, ModelSlot] = {}
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()

    # -- serving ------------------------------------------------------------------------------------

    def get(self, name: str) -> LoadedModel:
        """The version serving `name` now; raises ModelUnavailableError when none has loaded."""
        with self._lock:
            slot = self._slots.get(name)
            if slot is None or slot.current is None:
                raise ModelUnavailableError(self._why_missing(name, slot))
            return slot.current

    @contextmanager
    def lease(self, name: str) -> Iterator[LoadedModel]:
        """The serving version, kept alive (not drained) until the block ends, even across a swap."""
        with self._lock:
            slot = self._slots.get(name)
            if slot is None or slot.current is None:
                raise ModelUnavailableError(self._why_missing(name, slot))
            model = slot.current
            model.acquire()
        try:
            yield model
        finally:
            model.release()

    def slots(self) -> list[ModelSlot]:
        with self._lock:
            return [self._slots[name] for name in sorted(self._slots)]

    def slot(self, name: str) -> ModelSlot:
        with self._lock:
            if name not in self._slots:
                raise ModelUnavailableError(f"model {name!r} is not served; served: {sorted(self._slots)}")
            return self._slots[name]

    def available_versions(self, name: str) -> list[str]:
        return [str(version) for version in self.repository.versions(name)]

    def ready(self) -> bool:
        """Every required model (every served model when none is named) has a version serving."""
        with self._lock:
            required = self.settings.required_models or list(self._slots)
            return bool(required) and all(
                name in self._slots and self._slots[name].current is not None for name in required
            )

    # -- loading ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Load every served model; a broken newest version falls back to the newest one that validates.

        Strict provider failures propagate: a GPU deployment must not come up on the CPU.
        """
        for name in self._served_names():
            slot = self._ensure_slot(name)
            for candidate in reversed(self._matching_versions(slot)):
                if self._load_into(slot, candidate):
                    break

    def refresh(self) -> None:
        """Look for new versions of every served model (and new models) and swap them in."""
        with self._refreshing:
            for name in self._served_names():
                slot = self._ensure_slot(name)
                candidates = self._matching_versions(slot)
                if not candidates:
                    continue
                newest = candidates[-1]
                current = slot.current.version if slot.current else None
                if str(newest) != current and str(newest) not in slot.rejected:
                    self._load_into(slot, newest)

    def close(self) -> None:
        with self._lock:
            for slot in self._slots.values():
                slot.current = None
                slot.draining.clear()

    def _served_names(self) -> list[str]:
        if self.settings.models:
            return list(self.settings.models)
        return self.repository.models()

    def _ensure_slot(self, name: str) -> ModelSlot:
        with self._lock:
            return self._slots.setdefault(name, ModelSlot(name=name, spec=self.settings.version_spec(name)))

    def _matching_versions(self, slot: ModelSlot) -> list[Version]:
        """READY versions that satisfy the slot's spec, oldest first."""
        versions = self.repository.versions(slot.name)
        specifier = to_specifier(slot.spec)
        return versions if specifier is None else sorted(specifier.filter(versions))

    def _load_into(self, slot: ModelSlot, candidate: Version) -> bool:
        version = str(candidate)
        with self._lock:
            slot.loading = version
        started = time.perf_counter()
        try:
            resolved = self.repository.resolve(slot.name, version)
            model = load_validated(resolved, self.session_config, self.settings.warmup_runs)
        except ProviderError:
            with self._lock:
                slot.loading = None
            raise
        except Exception as error:
            self._record(
                slot,
                ReloadResult(version, "rejected", time.time(), time.perf_counter() - started, str(error)),
            )
            log.warning("model %s %s rejected: %s", slot.name, version, error)
            return False
        self._swap(slot, model)
        self._record(slot, ReloadResult(version, "loaded", time.time(), model.load_seconds))
        log.info("model %s %s serving on %s", slot.name, version, model.provider)
        return True

    def _record(self, slot: ModelSlot, result: ReloadResult) -> None:
        with self._lock:
            slot.loading = None
            slot.last_reload = result
            if result.outcome == "rejected":
                slot.rejected[result.version] = result.error or "rejected"
        if self._observer is not None:
            self._observer(slot.name, result)

    def _swap(self, slot: ModelSlot, model: LoadedModel) -> None:
        with self._lock:
            old, slot.current = slot.current, model
            if old is not None:
                slot.draining.append(old)
        if old is not None:
            threading.Thread(
                target=self._drain, args=(slot, old), name=f"drain-{slot.name}", daemon=True
            ).start()

    def _drain(self, slot: ModelSlot, old: LoadedModel) -> None:
        if not old.wait_idle(self.settings.drain_timeout_s):
            log.warning(
                "model %s %s still had %d requests after draining", slot.name, old.version, old.in_flight
            )
        with self._lock:
            slot.draining = [model for model in slot.draining if model is not old]
        log.info("model %s %s retired", slot.name, old.version)

    @staticmethod
    def _why_missing(name: str, slot: ModelSlot | None) -> str:
        if slot is None:
            return f"model {name!r} is not served"
        if slot.loading:
            return f"model {name!r} is still loading version {slot.loading}"
        return f"model {name!r} has no version that passed validation"
