"""Feature extraction inside the model, so serving feeds raw samples: a learnable log filterbank."""

from __future__ import annotations

import math

import torch
from torch import nn

SAMPLE_RATE = 16_000


def _mel(hz: torch.Tensor) -> torch.Tensor:
    return 2595.0 * torch.log10(1.0 + hz / 700.0)


def _hz(mel: torch.Tensor) -> torch.Tensor:
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


class LogFilterbank(nn.Module):
    """Gabor pairs at mel-spaced centre frequencies, squared magnitude, log, per-band mean removal.

    One strided convolution does the work of an STFT plus mel matrix; the filters start as a mel
    filterbank and are trained with the rest. Output frames are centred at `(i + 0.5) * hop` samples.
    """

    def __init__(self, bands: int, hop: int, kernel: int = 400) -> None:
        super().__init__()
        if kernel < hop or (kernel - hop) % 2:
            raise ValueError(
                f"kernel ({kernel}) must be at least hop ({hop}) and differ from it by an even count"
            )
        self.bands, self.hop = bands, hop
        self.conv = nn.Conv1d(1, 2 * bands, kernel, stride=hop, padding=(kernel - hop) // 2, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(_gabor_filters(bands, kernel))

    def frames(self, samples: int) -> int:
        return samples // self.hop

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """`[B, samples]` -> `[B, bands, samples // hop]`."""
        pairs = self.conv(waveform.unsqueeze(1))
        real, imaginary = pairs[:, : self.bands], pairs[:, self.bands :]
        energy = torch.log(real * real + imaginary * imaginary + 1e-6)
        # Removing each band's mean over the window makes the features blind to gain and channel colour.
        return energy - energy.mean(dim=2, keepdim=True)


def _gabor_filters(bands: int, kernel: int) -> torch.Tensor:
    edges = _hz(torch.linspace(_mel(torch.tensor(60.0)).item(), _mel(torch.tensor(7600.0)).item(), bands))
    time = (torch.arange(kernel) - (kernel - 1) / 2) / SAMPLE_RATE
    window = torch.hann_window(kernel, periodic=False)
    phase = 2 * math.pi * edges[:, None] * time[None, :]
    scale = 1.0 / window.sum()
    cosines, sines = torch.cos(phase) * window * scale, torch.sin(phase) * window * scale
    return torch.cat([cosines, sines]).unsqueeze(1)
