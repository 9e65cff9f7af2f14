"""WS /v1/diarize/stream: PCM in as it is recorded, speaker turns out as they become known.

The client sends binary messages of raw PCM (mono, `encoding` at `sample_rate`) and the text message
`end` when done. Every `update_s` seconds of new audio the server diarizes what it has so far and sends
`{"type": "partial", ...}`; after `end` it sends `{"type": "final", ...}` and closes. Labels are those
of the audio so far: a later message may relabel earlier turns, the final one is authoritative.
Errors are sent as `{"type": "error", "status": <HTTP-like code>, "detail": ...}` before closing.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
import soxr
from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from voxrank.serving.api.errors import ApiError
from voxrank.serving.api.inference import run_admitted, serving_model
from voxrank.serving.api.routes.diarize import DiarizationJob, Outcome
from voxrank.serving.api.schemas import Turn
from voxrank.serving.api.security import is_authorised
from voxrank.serving.audio import SAMPLE_RATE
from voxrank.serving.diarization import PipelineInputError
from voxrank.serving.settings import ServingSettings

router = APIRouter(prefix="/v1", tags=["diarization"])

Encoding = Literal["pcm_s16le", "pcm_f32le"]
DTYPES: dict[str, np.dtype] = {"pcm_s16le": np.dtype("<i2"), "pcm_f32le": np.dtype("<f4")}
END_MESSAGE = "end"
# WebSocket close codes (RFC 6455 and the IANA registry).
CLOSE_NORMAL, CLOSE_UNSUPPORTED, CLOSE_INVALID, CLOSE_POLICY, CLOSE_TOO_BIG, CLOSE_TRY_LATER = (
    1000,
    1003,
    1007,
    1008,
    1009,
    1013,
)


class StreamError(Exception):
    def __init__(self, status: int, close_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.close_code = close_code
        self.detail = detail


class PcmBuffer:
    """Audio received so far, as 16 kHz float32; resampled as it arrives when the client's rate differs."""

    def __init__(self, sample_rate: int, encoding: Encoding, max_seconds: float) -> None:
        self.dtype = DTYPES[encoding]
        self.max_samples = int(max_seconds * SAMPLE_RATE)
        self._chunks: list[np.ndarray] = []
        self.samples = 0
        self._resampler = (
            soxr.ResampleStream(sample_rate, SAMPLE_RATE, 1, dtype="float32")
            if sample_rate != SAMPLE_RATE
            else None
        )

    def add(self, payload: bytes) -> None:
        if len(payload) % self.dtype.itemsize:
            raise StreamError(
                422, CLOSE_INVALID, f"a message of {len(payload)} bytes is not whole {self.dtype} samples"
            )
        samples = np.frombuffer(payload, dtype=self.dtype).astype(np.float32)
        if self.dtype.kind == "i":
            samples /= 32768.0
        if not np.all(np.isfinite(samples)):
            raise StreamError(422, CLOSE_INVALID, "the stream contains NaN or infinite samples")
        self._append(self._resampler.resample_chunk(samples) if self._resampler else samples)

    def finish(self) -> None:
        if self._resampler is not None:
            self._append(self._resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True))

    def waveform(self) -> np.ndarray:
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.float32)

    def _append(self, samples: np.ndarray) -> None:
        self.samples += len(samples)
        if self.samples > self.max_samples:
            raise StreamError(
                413, CLOSE_TOO_BIG, f"the stream exceeds {self.max_samples / SAMPLE_RATE:g} s of audio"
            )
        self._chunks.append(samples)


@router.websocket("/diarize/stream")
async def diarize_stream(
    websocket: WebSocket,
    *,
    sample_rate: Annotated[
        int, Query(ge=8000, le=192_000, description="Rate of the PCM sent.")
    ] = SAMPLE_RATE,
    encoding: Annotated[Encoding, Query(description="pcm_s16le or pcm_f32le, mono.")] = "pcm_s16le",
    update_s: Annotated[float, Query(ge=0.5, le=60, description="Audio between partial results.")] = 2.5,
    model: Annotated[
        str | None, Query(description="Diarization model; the configured one by default.")
    ] = None,
) -> None:
    settings: ServingSettings = websocket.app.state.settings
    await websocket.accept()
    # Browsers cannot set headers on a WebSocket handshake; other clients send the key as on /v1 routes.
    if not is_authorised(settings, websocket.headers.get(settings.api_key_header)):
        await _fail(
            websocket,
            StreamError(401, CLOSE_POLICY, f"missing or invalid API key in {settings.api_key_header}"),
        )
        return
    name = model or settings.diarization_model
    buffer = PcmBuffer(sample_rate, encoding, settings.max_audio_duration_s)
    next_update = update_s * SAMPLE_RATE
    try:
        serving_model(websocket, name, task="diarization")
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("bytes") is not None:
                buffer.add(message["bytes"])
                if buffer.samples >= next_update:
                    next_update += update_s * SAMPLE_RATE
                    await websocket.send_json(await _result(websocket, name, buffer, "partial"))
            elif message.get("text") == END_MESSAGE:
                buffer.finish()
                await websocket.send_json(await _result(websocket, name, buffer, "final"))
                await websocket.close(CLOSE_NORMAL)
                return
            else:
                raise StreamError(
                    422, CLOSE_UNSUPPORTED, f"send binary PCM, then the text message {END_MESSAGE!r}"
                )
    except StreamError as error:
        await _fail(websocket, error)
    except ApiError as error:
        close_code = CLOSE_TRY_LATER if error.status_code in (503, 504) else CLOSE_POLICY
        await _fail(websocket, StreamError(error.status_code, close_code, error.detail))
    except WebSocketDisconnect:
        return


async def _result(websocket: WebSocket, name: str, buffer: PcmBuffer, kind: str) -> dict[str, object]:
    if buffer.samples == 0:
        raise StreamError(422, CLOSE_INVALID, "no audio was sent")
    job = DiarizationJob(
        websocket.app.state.manager, name, buffer.waveform(), {}, websocket.app.state.metrics
    )
    try:
        outcome: Outcome = (await run_admitted(websocket, name, job)).result
    except PipelineInputError as error:
        raise StreamError(422, CLOSE_INVALID, str(error)) from error
    return {
        "type": kind,
        "model": outcome.model.name,
        "version": outcome.model.version,
        "duration_s": round(outcome.duration_s, 6),
        "turns": [
            Turn(start=t.start, end=t.end, speaker=t.speaker).model_dump() for t in outcome.diarization.turns
        ],
    }


async def _fail(websocket: WebSocket, error: StreamError) -> None:
    await websocket.send_json({"type": "error", "status": error.status, "detail": error.detail})
    await websocket.close(error.close_code, reason=error.detail[:120])
