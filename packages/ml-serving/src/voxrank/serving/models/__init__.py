"""The generic model manager: load, validate, warm up, hot-swap and drain any model in the repository."""

from voxrank.serving.models.loaded import LoadedModel
from voxrank.serving.models.manager import ModelManager, ModelSlot, ModelUnavailableError, ReloadResult

__all__ = ["LoadedModel", "ModelManager", "ModelSlot", "ModelUnavailableError", "ReloadResult"]
