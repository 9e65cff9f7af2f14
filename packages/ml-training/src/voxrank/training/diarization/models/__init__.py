"""The diarization model families and `build_model`, the one way to construct them (contract 5)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from voxrank.training.diarization.models.base import SegmentationModel
from voxrank.training.diarization.models.fastcnn import FastCNN, FastCNNConfig
from voxrank.training.diarization.models.transformer import Transformer, TransformerConfig

MODEL_FAMILIES: dict[str, tuple[type[BaseModel], type[SegmentationModel]]] = {
    "fastcnn": (FastCNNConfig, FastCNN),
    "transformer": (TransformerConfig, Transformer),
}


class ModelConfigError(ValueError):
    """An unknown model family or an invalid model configuration."""


def model_config(model_name: str, values: dict[str, Any] | None = None) -> BaseModel:
    """Validated configuration of `model_name`, defaults filled in."""
    if model_name not in MODEL_FAMILIES:
        raise ModelConfigError(
            f"unknown diarization model {model_name!r}; known: {', '.join(MODEL_FAMILIES)}"
        )
    try:
        return MODEL_FAMILIES[model_name][0].model_validate(values or {})
    except ValidationError as error:
        raise ModelConfigError(f"invalid {model_name} config: {error}") from error


def build_model(model_name: str, model_config_values: dict[str, Any] | None = None) -> SegmentationModel:
    """`fastcnn` or `transformer` with the given configuration (a checkpoint's `model_config`)."""
    config = model_config(model_name, model_config_values)
    return MODEL_FAMILIES[model_name][1](config)


__all__ = ["MODEL_FAMILIES", "ModelConfigError", "SegmentationModel", "build_model", "model_config"]
