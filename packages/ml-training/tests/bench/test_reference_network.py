"""The pyannote-architecture reference network: shapes, frame rate, size, and its SincNet filters."""

from __future__ import annotations

import pytest
import torch

from voxrank.training.bench.reference_network import PyannoteArchitectureSegmentation, SincConv1d


def test_five_second_window_gives_pyannote_frame_count_and_powerset_classes() -> None:
    torch.manual_seed(0)
    network = PyannoteArchitectureSegmentation().eval()
    with torch.inference_mode():
        log_probabilities = network(torch.randn(2, 80_000))
    assert log_probabilities.shape == (2, 293, 7)
    assert torch.allclose(log_probabilities.exp().sum(-1), torch.ones(2, 293), atol=1e-5)


def test_parameter_count_matches_the_published_architecture() -> None:
    parameters = sum(p.numel() for p in PyannoteArchitectureSegmentation().parameters())
    assert 1.4e6 < parameters < 1.55e6  # pyannote/segmentation-3.0 reports about 1.5 M


def test_lstm_is_four_bidirectional_layers_of_128() -> None:
    lstm = PyannoteArchitectureSegmentation().lstm
    assert (lstm.num_layers, lstm.hidden_size, lstm.bidirectional) == (4, 128, True)


def test_sinc_filters_are_symmetric_band_passes() -> None:
    layer = SincConv1d(out_channels=8, kernel_size=101, stride=10)
    with torch.no_grad():
        taps = layer.filters()[:, 0, :]
    assert taps.shape == (8, 101)
    assert torch.allclose(taps, torch.flip(taps, dims=[1]))
    spectrum = torch.fft.rfft(taps, n=1024).abs()
    peak_bins = spectrum.argmax(dim=1)
    assert torch.all(peak_bins[1:] >= peak_bins[:-1])  # mel-spaced: each filter sits above the previous one
    assert torch.all(spectrum[:, 0] < spectrum.max(dim=1).values)  # no filter passes DC best


def test_even_kernel_is_refused() -> None:
    with pytest.raises(ValueError, match="odd kernel"):
        SincConv1d(kernel_size=250)
