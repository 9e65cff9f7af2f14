"""A speaker timeline as PNG (matplotlib from the `plot` extra, imported only here)."""

from __future__ import annotations

from pathlib import Path

from voxrank.serving.diarization import Diarization


def plot_timeline(diarization: Diarization, path: Path, title: str = "") -> Path:
    """One row per speaker, a bar per turn; the x axis is seconds."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise RuntimeError(
            "drawing a timeline needs matplotlib: pip install 'voxrank-ml-serving[plot]'"
        ) from error
    speakers = sorted({turn.speaker for turn in diarization.turns})
    figure, axes = plt.subplots(figsize=(10, 1 + 0.5 * max(len(speakers), 1)))
    colours = plt.get_cmap("tab10")
    for row, speaker in enumerate(speakers):
        spans = [(turn.start, turn.end - turn.start) for turn in diarization.turns if turn.speaker == speaker]
        axes.broken_barh(spans, (row - 0.4, 0.8), color=colours(row % 10))
    axes.set_yticks(range(len(speakers)), speakers)
    axes.set_xlim(0, max(diarization.duration, 1e-3))
    axes.set_xlabel("seconds")
    axes.set_title(title or f"{len(speakers)} speakers, {diarization.duration:.1f} s")
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
