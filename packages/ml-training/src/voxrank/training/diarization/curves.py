"""Training metrics: one JSON object per line while training, then PNG curves from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class MetricsLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def truncate_after(self, step: int) -> None:
        """On resume, drop what the killed run logged past its last checkpoint; those steps run again."""
        kept = [record for record in self.read() if record["step"] <= step]
        self.path.write_text("".join(json.dumps(record) + "\n" for record in kept), encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    def read(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]


def plot_curves(records: list[dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [record for record in records if "loss" in record]
    dev = [record for record in records if "dev_der" in record]
    figure, (loss_axis, der_axis) = plt.subplots(1, 2, figsize=(11, 4))
    for key in ("loss", "segmentation_loss", "speaker_loss"):
        loss_axis.plot([r["step"] for r in train], [r[key] for r in train], label=key, linewidth=1)
    loss_axis.set(xlabel="step", ylabel="loss", title="training loss", yscale="log")
    loss_axis.legend()
    der_axis.plot([r["step"] for r in dev], [100 * r["dev_der"] for r in dev], marker="o")
    der_axis.set(xlabel="step", ylabel="DER % (collar 0.5)", title="dev DER")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
