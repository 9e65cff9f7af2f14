"""The manifest's JSON Schema in docs/ONNX_CONTRACT.md is generated from the code and must stay in step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voxrank.serving.repository import schema

CONTRACT_DOC = Path(__file__).resolve().parents[4] / "docs" / "ONNX_CONTRACT.md"


def test_main_prints_the_manifest_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert schema.main([]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["title"] == "Manifest"
    assert {"name", "version", "task", "contract_major", "sha256", "golden"} <= set(printed["required"])


def test_write_then_check_round_trip_and_drift_detection(tmp_path: Path) -> None:
    doc = tmp_path / "CONTRACT.md"
    doc.write_text(
        f"# Contract\n\n{schema.BEGIN_MARKER}\nstale\n{schema.END_MARKER}\n\nafter\n", encoding="utf-8"
    )
    assert schema.main(["--check", str(doc)]) == 1
    assert schema.main(["--write", str(doc)]) == 0
    assert schema.main(["--check", str(doc)]) == 0
    assert doc.read_text(encoding="utf-8").endswith("\n\nafter\n")
    with pytest.raises(ValueError, match="lacks the markers"):
        schema.with_schema("no markers here")


@pytest.mark.skipif(not CONTRACT_DOC.is_file(), reason="docs/ folder is not part of an installed package")
def test_the_contract_document_shows_the_current_schema() -> None:
    assert schema.main(["--check", str(CONTRACT_DOC)]) == 0, "regenerate with --write docs/ONNX_CONTRACT.md"
