"""Speaker diarization on numpy: sliding windows, a `Segmenter`, clustering and aggregation into turns.

This is the code both serving and training's DER evaluation run ("test what you ship").
"""

from voxrank.serving.diarization.clustering import cluster_embeddings
from voxrank.serving.diarization.config import PipelineConfig
from voxrank.serving.diarization.pipeline import DiarizationPipeline, PipelineInputError
from voxrank.serving.diarization.rttm import RttmError, read_rttm, read_uem, write_rttm, write_uem
from voxrank.serving.diarization.segmenter import Segmenter
from voxrank.serving.diarization.turns import Diarization, Turn

__all__ = [
    "Diarization",
    "DiarizationPipeline",
    "PipelineConfig",
    "PipelineInputError",
    "RttmError",
    "Segmenter",
    "Turn",
    "cluster_embeddings",
    "read_rttm",
    "read_uem",
    "write_rttm",
    "write_uem",
]
