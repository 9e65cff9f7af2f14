"""Write an analysis as NAME.json, NAME.md and NAME*.png into one folder."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: analyses run on servers and in CI

from matplotlib.figure import Figure


@dataclass
class Analysis:
    name: str
    data: dict[str, Any]
    markdown: str
    figures: dict[str, Figure] = field(default_factory=dict)

    def write(self, out: Path) -> list[Path]:
        out.mkdir(parents=True, exist_ok=True)
        written = [out / f"{self.name}.json", out / f"{self.name}.md"]
        written[0].write_text(json.dumps(self.data, indent=2, default=str, ensure_ascii=False) + "\n")
        markdown = self.markdown
        for suffix, figure in self.figures.items():
            path = out / f"{self.name}-{suffix}.png"
            figure.savefig(path, dpi=110, bbox_inches="tight")
            markdown += f"\n![{suffix}]({path.name})\n"
            written.append(path)
        written[1].write_text(markdown)
        return written


def markdown_table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
