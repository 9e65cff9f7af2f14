"""POST /v1/diarize: audio in, speaker turns out (JSON or RTTM)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
import onnxruntime as ort
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse

from voxrank.serving.api.errors import ApiError, responses
from voxrank.serving.api.inference import label_request, run_admitted, serving_model
from voxrank.serving.api.metrics import ServingMetrics
from voxrank.serving.api.schemas import DiarizationResponse, DiarizationTiming, Turn
from voxrank.serving.api.upload import UPLOAD_FIELD, read_audio_upload
from voxrank.serving.audio import SAMPLE_RATE, AudioError, CorruptAudioError, load_audio, probe
from voxrank.serving.diarization import Diarization, DiarizationPipeline, PipelineConfig, PipelineInputError
from voxrank.serving.models.loaded import LoadedModel
from voxrank.serving.models.manager import ModelManager
from voxrank.serving.runtime.segmenter import OnnxSegmenter
from voxrank.serving.settings import ServingSettings

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["diarization"])

MAX_SPEAKERS = 64
SpeakerCount = Annotated[int | None, Query(ge=1, le=MAX_SPEAKERS)]

_AUDIO_BODY = {"type": "string", "format": "binary"}
REQUEST_BODY = {
    "required": True,
    "description": "The audio (WAV, FLAC or OGG; any rate and channel count): a multipart upload in the "
    f"field `{UPLOAD_FIELD}`, or the raw file as the body.",
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {UPLOAD_FIELD: _AUDIO_BODY},
                "required": [UPLOAD_FIELD],
            }
        },
        "audio/wav": {"schema": _AUDIO_BODY},
        "audio/flac": {"schema": _AUDIO_BODY},
        "audio/ogg": {"schema": _AUDIO_BODY},
        "application/octet-stream": {"schema": _AUDIO_BODY},
    },
}
RTTM_EXAMPLE = "SPEAKER audio 1 0.000 2.000 <NA> <NA> SPEAKER_00 <NA> <NA>\n"


@dataclass(frozen=True)
class Outcome:
    diarization: Diarization
    model: LoadedModel
    duration_s: float
    seconds: float


@router.post(
    "/diarize",
    summary="Who spoke when: speaker turns of an audio file.",
    response_model=DiarizationResponse,
    openapi_extra={"requestBody": REQUEST_BODY},
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}, "example": RTTM_EXAMPLE}}},
        **responses(401, 404, 413, 415, 422, 503, 504),
    },
)
async def diarize(
    request: Request,
    *,
    num_speakers: SpeakerCount = None,
    min_speakers: SpeakerCount = None,
    max_speakers: SpeakerCount = None,
    output: Annotated[Literal["json", "rttm"], Query(alias="format", description="json or rttm")] = "json",
    model: Annotated[
        str | None, Query(description="Model name; the configured diarization model by default.")
    ] = None,
    uri: Annotated[
        str, Query(pattern=r"^[A-Za-z0-9._-]{1,128}$", description="File id written into RTTM.")
    ] = "audio",
) -> Response:
    settings: ServingSettings = request.app.state.settings
    name = model or settings.diarization_model
    serving_model(request, name, task="diarization")
    audio = await read_audio_upload(request, settings.max_upload_bytes)
    _check_audio_header(audio, settings.max_audio_duration_s)

    speakers = {"num_speakers": num_speakers, "min_speakers": min_speakers, "max_speakers": max_speakers}
    job = DiarizationJob(request.app.state.manager, name, audio, speakers, request.app.state.metrics)
    try:
        admitted = await run_admitted(request, name, job)
    except AudioError as error:
        raise _audio_error(error) from error
    except PipelineInputError as error:
        raise ApiError(422, str(error)) from error
    outcome = admitted.result
    label_request(request, outcome.model)
    if output == "rttm":
        return PlainTextResponse(outcome.diarization.to_rttm(uri))
    return _json_response(outcome, admitted.queue_s)


@dataclass(frozen=True)
class DiarizationJob:
    """Runs in a worker thread, holding a lease on the serving version so a reload drains around it."""

    manager: ModelManager
    name: str
    audio: bytes | np.ndarray
    """An encoded file, or 16 kHz mono samples already decoded (streaming)."""
    speakers: dict[str, int | None]
    metrics: ServingMetrics

    def __call__(self, run_options: ort.RunOptions) -> Outcome:
        started = time.perf_counter()
        with self.manager.lease(self.name) as model:
            status = "error"
            try:
                waveform = self.audio if isinstance(self.audio, np.ndarray) else load_audio(self.audio)
                config = PipelineConfig.from_manifest(model.manifest)
                segmenter = OnnxSegmenter(model.runner, config.window_samples, run_options)
                diarization = DiarizationPipeline(segmenter, config)(waveform, **self.speakers)
                status = "ok"
            finally:
                self.metrics.inference.labels(
                    model=self.name, version=model.version, provider=model.provider, status=status
                ).observe(time.perf_counter() - started)
        return Outcome(diarization, model, waveform.shape[0] / SAMPLE_RATE, time.perf_counter() - started)


def _json_response(outcome: Outcome, queue_s: float) -> Response:
    turns = [Turn(start=turn.start, end=turn.end, speaker=turn.speaker) for turn in outcome.diarization.turns]
    body = DiarizationResponse(
        model=outcome.model.name,
        version=outcome.model.version,
        provider=outcome.model.provider,
        duration_s=round(outcome.duration_s, 6),
        num_speakers=len({turn.speaker for turn in turns}),
        turns=turns,
        timing=DiarizationTiming(
            queue_ms=round(queue_s * 1000, 3), inference_ms=round(outcome.seconds * 1000, 3)
        ),
    )
    return Response(body.model_dump_json(), media_type="application/json")


def _check_audio_header(audio: bytes, max_duration_s: float) -> None:
    try:
        info = probe(audio)
    except AudioError as error:
        raise _audio_error(error) from error
    except PipelineInputError as error:
        raise ApiError(422, str(error)) from error
    if info.duration_s > max_duration_s:
        raise ApiError(413, f"audio lasts {info.duration_s:.1f} s; the limit is {max_duration_s:g} s")


def _audio_error(error: AudioError) -> ApiError:
    return ApiError(422 if isinstance(error, CorruptAudioError) else 415, str(error))
