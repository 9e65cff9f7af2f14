"""The external speed anchor: a network with the architecture of pyannote's segmentation model (PyanNet).

SincNet front end (80 parametrised band-pass filters of 251 taps at stride 10, then two 1-D
convolutions, each stage max-pooled by 3 with instance norm and leaky ReLU), a 4-layer bidirectional
LSTM with 128 units per direction, two 128-unit linear layers and a classifier over the 7 powerset
classes of 3 speakers. Weights are random: it exists to be timed, with the same shapes and operations
as the model people compare diarization speed against, not to diarize. Written from the published
architecture; no code or weights come from pyannote.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional


def _hz_to_mel(hz: torch.Tensor) -> torch.Tensor:
    return 2595 * torch.log10(1 + hz / 700)


def _mel_to_hz(mel: torch.Tensor) -> torch.Tensor:
    return 700 * (10 ** (mel / 2595) - 1)


class SincConv1d(nn.Module):
    """Band-pass filters defined by two learnable cut-off frequencies each (Ravanelli and Bengio, 2018)."""

    def __init__(
        self,
        out_channels: int = 80,
        *,
        kernel_size: int = 251,
        stride: int = 10,
        sample_rate: int = 16_000,
        min_low_hz: float = 50.0,
        min_band_hz: float = 50.0,
    ) -> None:
        super().__init__()
        if kernel_size % 2 == 0:
            raise ValueError("SincConv1d needs an odd kernel size (a symmetric filter)")
        self.stride = stride
        self.sample_rate = sample_rate
        self.min_low_hz, self.min_band_hz = min_low_hz, min_band_hz
        high = sample_rate / 2 - (min_low_hz + min_band_hz)
        edges = _mel_to_hz(
            torch.linspace(_hz_to_mel(torch.tensor(30.0)), _hz_to_mel(torch.tensor(high)), out_channels + 1)
        )
        self.low_hz = nn.Parameter(edges[:-1].unsqueeze(1))
        self.band_hz = nn.Parameter(torch.diff(edges).unsqueeze(1))
        half = kernel_size // 2
        # Only the left half of each symmetric filter is computed; the right half is its mirror.
        self.register_buffer("window", torch.hamming_window(kernel_size, periodic=False)[:half])
        self.register_buffer("time", 2 * math.pi * torch.arange(-half, 0, dtype=torch.float32) / sample_rate)

    window: torch.Tensor
    time: torch.Tensor

    def filters(self) -> torch.Tensor:
        low = self.min_low_hz + self.low_hz.abs()
        high = torch.clamp(low + self.min_band_hz + self.band_hz.abs(), self.min_low_hz, self.sample_rate / 2)
        band = (high - low)[:, 0]
        left = (torch.sin(high * self.time) - torch.sin(low * self.time)) / (self.time / 2) * self.window
        centre = 2 * band.unsqueeze(1)
        taps = torch.cat([left, centre, torch.flip(left, dims=[1])], dim=1) / centre
        return taps.unsqueeze(1)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return functional.conv1d(waveform, self.filters(), stride=self.stride)


class SincNet(nn.Module):
    """Waveform [B, 1, S] -> features [B, 60, frames] (one frame per 270 samples)."""

    def __init__(self, sample_rate: int = 16_000) -> None:
        super().__init__()
        self.waveform_norm = nn.InstanceNorm1d(1, affine=True)
        self.convolutions = nn.ModuleList(
            [
                SincConv1d(80, kernel_size=251, stride=10, sample_rate=sample_rate),
                nn.Conv1d(80, 60, 5),
                nn.Conv1d(60, 60, 5),
            ]
        )
        self.norms = nn.ModuleList([nn.InstanceNorm1d(c, affine=True) for c in (80, 60, 60)])
        self.pool = nn.MaxPool1d(3, stride=3)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        features = self.waveform_norm(waveform)
        for index, (convolution, norm) in enumerate(zip(self.convolutions, self.norms, strict=True)):
            features = convolution(features)
            if index == 0:
                features = features.abs()  # rectified band-pass energies, as SincNet's first stage
            features = functional.leaky_relu(norm(self.pool(features)))
        return features


class PyannoteArchitectureSegmentation(nn.Module):
    """Waveform [B, S] at 16 kHz -> log-probabilities [B, frames, 7] over powerset classes of 3 speakers."""

    def __init__(self, lstm_layers: int = 4, hidden: int = 128, classes: int = 7) -> None:
        super().__init__()
        self.sincnet = SincNet()
        self.lstm = nn.LSTM(60, hidden, num_layers=lstm_layers, bidirectional=True, batch_first=True)
        self.linear = nn.ModuleList([nn.Linear(2 * hidden, 128), nn.Linear(128, 128)])
        self.classifier = nn.Linear(128, classes)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        features = self.sincnet(waveform.unsqueeze(1)).transpose(1, 2)
        hidden, _ = self.lstm(features)
        for layer in self.linear:
            hidden = functional.leaky_relu(layer(hidden))
        return functional.log_softmax(self.classifier(hidden), dim=-1)
