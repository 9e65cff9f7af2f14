"""Synthetic speakers from eSpeak NG (the library and voices ship in the `espeakng-loader` wheel).

Language voice x variant x pitch x rate gives dozens of audibly distinct "speakers" with no data at all.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voxrank.serving.audio import to_model_input

_AUDIO_OUTPUT_RETRIEVAL = 1
_POS_CHARACTER = 1
_RATE, _PITCH, _RANGE = 1, 3, 4
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)

VOICES = ("en", "en-us", "en-gb-scotland", "en-029", "de", "fr", "es", "it", "nl", "pl", "sv", "pt")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m7", "f1", "f2", "f3", "f4", "f5", "klatt")
WORDS = (
    "the",
    "meeting",
    "budget",
    "project",
    "design",
    "remote",
    "control",
    "market",
    "users",
    "button",
    "price",
    "team",
    "report",
    "think",
    "really",
    "good",
    "idea",
    "maybe",
    "next",
    "week",
    "point",
    "screen",
    "battery",
    "colour",
    "shape",
    "plan",
    "agree",
    "question",
    "simple",
    "about",
    "because",
    "people",
    "would",
    "like",
    "have",
    "some",
    "more",
    "time",
    "make",
    "sure",
    "before",
    "after",
    "voice",
    "sound",
    "little",
    "bigger",
    "other",
    "option",
    "cost",
    "already",
    "decided",
    "we",
    "should",
    "could",
)


class EspeakError(RuntimeError):
    """The eSpeak NG library could not be loaded or refused a voice."""


@dataclass(frozen=True)
class SyntheticVoice:
    voice: str
    variant: str
    pitch: int
    rate: int

    @property
    def name(self) -> str:
        return f"espeak-{self.voice}+{self.variant}-p{self.pitch}-r{self.rate}"


def synthetic_voices(count: int, seed: int = 0) -> list[SyntheticVoice]:
    """`count` distinct voices, spread over languages, variants, pitches and rates."""
    rng = np.random.default_rng(seed)
    voices: dict[str, SyntheticVoice] = {}
    while len(voices) < count:
        candidate = SyntheticVoice(
            voice=str(rng.choice(VOICES)),
            variant=str(rng.choice(VARIANTS)),
            pitch=int(rng.integers(2, 10)) * 10,
            rate=int(rng.integers(13, 20)) * 10,
        )
        voices.setdefault(candidate.name, candidate)
    return list(voices.values())


def sentence(rng: np.random.Generator, words: int) -> str:
    return " ".join(rng.choice(WORDS, size=words).tolist()) + "."


class Espeak:
    """A process-wide eSpeak NG engine; synthesis is serialised because the library is not reentrant."""

    _lock = threading.Lock()
    _instance: Espeak | None = None

    def __init__(self) -> None:
        import espeakng_loader

        try:
            self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        except OSError as error:
            raise EspeakError(f"cannot load eSpeak NG: {error}") from error
        self._lib.espeak_Initialize.restype = ctypes.c_int
        data = str(espeakng_loader.get_data_path()).encode()
        self.sample_rate = self._lib.espeak_Initialize(_AUDIO_OUTPUT_RETRIEVAL, 0, data, 0)
        if self.sample_rate <= 0:
            raise EspeakError("eSpeak NG failed to initialise")
        self._chunks: list[np.ndarray] = []
        self._callback = _SYNTH_CALLBACK(self._collect)
        self._lib.espeak_SetSynthCallback(self._callback)

    @classmethod
    def shared(cls) -> Espeak:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _collect(self, samples: ctypes.Array, count: int, _events: object) -> int:
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(samples, shape=(count,)).copy())
        return 0

    def speak(self, voice: SyntheticVoice, text: str) -> np.ndarray:
        """16 kHz float32 samples of `text` in `voice`."""
        with self._lock:
            if self._lib.espeak_SetVoiceByName(f"{voice.voice}+{voice.variant}".encode()) != 0:
                raise EspeakError(f"eSpeak NG has no voice {voice.voice}+{voice.variant}")
            self._lib.espeak_SetParameter(_RATE, voice.rate, 0)
            self._lib.espeak_SetParameter(_PITCH, voice.pitch, 0)
            self._lib.espeak_SetParameter(_RANGE, 60, 0)
            self._chunks = []
            encoded = text.encode()
            self._lib.espeak_Synth(
                ctypes.c_char_p(encoded), len(encoded) + 1, 0, _POS_CHARACTER, 0, 0, None, None
            )
            self._lib.espeak_Synchronize()
            pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)
        return to_model_input(pcm.astype(np.float32) / 32768.0, self.sample_rate)


def synthetic_utterances(
    voice: SyntheticVoice, count: int, cache_dir: Path | None, seed: int = 0
) -> list[np.ndarray]:
    """`count` utterances of `voice`, read from or written to `cache_dir/<voice>.npz` (int16)."""
    cache = cache_dir / f"{voice.name}-{count}-{seed}.npz" if cache_dir else None
    if cache is not None and cache.is_file():
        with np.load(cache) as stored:
            return [stored[f"u{index}"].astype(np.float32) / 32768.0 for index in range(count)]
    rng = np.random.default_rng([seed, *voice.name.encode()])
    engine = Espeak.shared()
    utterances = [engine.speak(voice, sentence(rng, int(rng.integers(6, 16)))) for _ in range(count)]
    pcm = {
        f"u{index}": np.clip(u * 32768.0, -32768, 32767).astype(np.int16)
        for index, u in enumerate(utterances)
    }
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache.with_suffix(".tmp.npz")
        np.savez(temporary, **pcm)  # type: ignore[arg-type]
        temporary.replace(cache)
    # What the cache holds, so a run gets the same samples whether it made the cache or read it.
    return [pcm[f"u{index}"].astype(np.float32) / 32768.0 for index in range(count)]
